// Device-side helpers of the kernel files: element access and launch checks.
#pragma once

#include <algorithm>

#include "check.hpp"
#include "kernels.hpp"

namespace polarkit::cuda {

template <class T>
__device__ inline T& at(const Strided<T>& A, index_t i, index_t j) {
  return A.data[i * A.row_stride + j * A.col_stride];
}

/// Blocks of `threads` covering count items, at most `cap` (the kernels loop over the rest).
inline unsigned blocks_for(index_t count, int threads, int cap) {
  return static_cast<unsigned>(std::min<index_t>((count + threads - 1) / threads, cap));
}

/// A launch's own errors (bad configuration); faults while it runs surface at the next read.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

}  // namespace polarkit::cuda
