// polarkit/device.hpp — which devices this build of polarkit can run on, and copies between
// host and device memory.
//
//   auto dA = polarkit::copy_to(A.view(), polarkit::MemorySpace::cuda);  // upload
//   auto [U, H, info] = polarkit::polar(dA.view());                       // U, H on the device
//   auto hU = polarkit::copy_to(U.view(), polarkit::MemorySpace::host);   // download
#pragma once

#include "polarkit/matrix.hpp"

namespace polarkit {

/// The number of CUDA devices polarkit can use for views in MemorySpace::cuda: 0 when the CUDA
/// backend is not compiled into this build, and 0 when the CUDA runtime finds no device (no GPU,
/// no driver, or a driver too old for the runtime). Never throws. With 0, a polarkit call on
/// device memory throws Error: not_compiled without the backend, backend_failure ("no CUDA
/// device: <reason>") with it.
int cuda_device_count() noexcept;

/// Hands back to the CUDA driver the device memory polarkit keeps for reuse on every device it
/// has used: matrices freed since (polarkit allocates from its own stream-ordered pool, which
/// keeps freed memory for the next call) and its workspace. Waits for polarkit's queued work
/// first. For a program that shares the GPU with another allocator (PyTorch's caching
/// allocator, say) and needs the memory back; the next polarkit call allocates again. Matrices
/// still alive are untouched. Does nothing without the CUDA backend or a device used. Throws
/// Error(backend_failure) when the CUDA runtime reports a fault of the queued work.
void release_cached_device_memory();

/// Hands back to the system the host memory polarkit keeps for reuse: the CPU backend keeps the
/// blocks of freed matrices (up to 1 GiB) for the next solve, since fresh pages cost the
/// operating system a zeroing and a fault each. Then does what release_cached_device_memory()
/// does. Matrices still alive are untouched.
void release_cached_memory();

/// dst = src for two views of one shape, any layouts, each in host or CUDA device memory; returns
/// once dst holds the values. Throws Error: invalid_argument for a shape mismatch, and as any
/// device call does (not_compiled, backend_failure) when a view is in device memory.
template <class T>
void copy(MatrixView<const T> src, MatrixView<T> dst);

/// A column-major copy of A in `space` (host, or the current CUDA device).
template <class T>
Matrix<T> copy_to(MatrixView<const T> A, MemorySpace space);

// A mutable view or an owning Matrix as A (deduction does not see through their conversions).
template <class T>
Matrix<T> copy_to(MatrixView<T> A, MemorySpace space) {
  return copy_to(MatrixView<const T>(A), space);
}
template <class T>
Matrix<T> copy_to(const Matrix<T>& A, MemorySpace space) {
  return copy_to(A.view(), space);
}

}  // namespace polarkit
