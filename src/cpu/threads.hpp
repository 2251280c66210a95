// Threads of polarkit's own on the CPU: the O(n²) passes of a solve spread over cores
// (cpu/parallel_passes.hpp). BLAS runs its own threads for the products; polarkit never changes
// BLAS's thread count, which is process-wide in OpenBLAS and on which its results depend.
#pragma once

#include <cstddef>
#include <functional>

namespace polarkit::cpu {

/// Runs body(0), …, body(workers − 1) at the same time and returns when all have returned:
/// body(0) on the calling thread, the others on threads of their own — or, where no thread can
/// be had, on the calling thread afterwards. body must not throw (it keeps its own errors).
void run_on_threads(std::size_t workers, const std::function<void(std::size_t)>& body);

}  // namespace polarkit::cpu
