// Host memory for the CPU backend's matrices, kept for reuse after they are freed.
//
// A solve allocates a dozen matrices of the problem's size (iterates, Gram matrices, the QR
// stack, H). Fresh pages from the operating system are zeroed by it and faulted in one page at
// a time; on the 2-core virtual machine of docs/performance.md that was a quarter of a QDWH run
// at n = 1024 (0.76 s against 0.56 s with glibc told to keep freed memory). The cache keeps
// freed blocks, up to a limit, and hands them to the next allocation of a size they fit.
#pragma once

#include <cstddef>

namespace polarkit::detail {

/// At most this many bytes of freed blocks are kept; a block that would exceed it is returned
/// to the system at once. polarkit::release_cached_memory() empties the cache.
inline constexpr std::size_t host_cache_limit = std::size_t{1} << 30;

/// A zero-filled, 64-byte aligned block of at least `bytes` bytes (a freed one of up to twice
/// that size when the cache has one). Throws std::bad_alloc when the system has none.
void* host_acquire(std::size_t bytes);

/// Gives a block from host_acquire back: kept for reuse, or freed beyond the limit.
void host_release(void* block) noexcept;

/// Frees every cached block (polarkit::release_cached_memory).
void host_release_cached() noexcept;

/// How many blocks host_acquire has handed out so far in this process (a solve's matrices: the
/// tests check that their number does not grow with the iterations).
std::size_t host_acquisitions() noexcept;

}  // namespace polarkit::detail
