// The optimizer layer's kernels, and backend kernels as the optimizer layer calls them.
//
// OptimKernels<T> holds the three operations only src/optim/ needs (column norms, the elementwise
// sign, the symmetric eigensolver), kept out of the core's Backend<T> so that it holds what the
// polar solvers need and no more: a backend for polar() alone need not implement them. Each
// backend that serves the optimizer implements both interfaces on one object (optim_kernels_for).
//
// The backend's arithmetic kernels write column-major outputs; a row-major output is the
// column-major view of the transpose, so the wrappers below flip every operand instead (no copies).
#pragma once

#include <vector>

#include "core/kernels/backend.hpp"

namespace polarkit::optim::detail {

using polarkit::detail::Backend;

/// The kernels of the optimizer layer, for the working precisions float and double.
template <class T>
class OptimKernels {
 public:
  OptimKernels() = default;
  OptimKernels(const OptimKernels&) = delete;
  OptimKernels& operator=(const OptimKernels&) = delete;
  virtual ~OptimKernels() = default;

  /// ‖a_j‖₂ of every column j, without overflow or harmful underflow (as Backend::norm_fro).
  virtual std::vector<double> column_norms(MatrixView<const T> A) = 0;

  /// dst = alpha · sign(src) elementwise, with sign(0) = 0 (same shape; src may be dst).
  virtual void sign(double alpha, MatrixView<const T> src, MatrixView<T> dst) = 0;

  /// Eigendecomposition of a symmetric n × n A (its lower triangle is read): A = V·diag(λ)·Vᵀ
  /// with λ returned in ascending order and V orthogonal (column-major n × n; V may not alias A).
  virtual std::vector<double> symmetric_eigen(MatrixView<const T> A, MatrixView<T> V) = 0;
};

/// The optimizer kernels of a memory space: the same object as backend_for<T>(space), so their
/// work is ordered with the backend's (one CUDA stream). Throws Error(not_compiled) for a space
/// whose backend is not part of this build, as backend_for does.
template <class T>
OptimKernels<T>& optim_kernels_for(MemorySpace space);

/// The implementations optim_kernels_for() chooses from, each defined beside its backend (as
/// core/kernels/backends.hpp's): src/cpu/cpu_backend.cpp, and cuda/cuda_backend.cpp when the
/// build has the CUDA backend.
template <class T>
OptimKernels<T>& cpu_optim_kernels();

#ifdef POLARKIT_HAVE_CUDA
/// Those of the calling thread's current CUDA device (Error(backend_failure) without one).
template <class T>
OptimKernels<T>& cuda_optim_kernels();
#endif

/// dst = alpha · src.
template <class T>
void copy(Backend<T>& be, double alpha, MatrixView<const T> src, MatrixView<T> dst) {
  if (dst.is_col_major()) {
    be.copy(alpha, src, dst);
  } else {
    be.copy(alpha, src.transposed(), dst.transposed());
  }
}

/// C = alpha · A + beta · C.
template <class T>
void add(Backend<T>& be, double alpha, MatrixView<const T> A, double beta, MatrixView<T> C) {
  if (C.is_col_major()) {
    be.add(alpha, A, beta, C);
  } else {
    be.add(alpha, A.transposed(), beta, C.transposed());
  }
}

/// C = alpha · A · B + beta · C.
template <class T>
void gemm(Backend<T>& be, double alpha, MatrixView<const T> A, MatrixView<const T> B, double beta,
          MatrixView<T> C) {
  if (C.is_col_major()) {
    be.gemm(alpha, A, B, beta, C);
  } else {  // Cᵀ = BᵀAᵀ
    be.gemm(alpha, B.transposed(), A.transposed(), beta, C.transposed());
  }
}

/// dst = alpha · sign(src).
template <class T>
void sign(OptimKernels<T>& kernels, double alpha, MatrixView<const T> src, MatrixView<T> dst) {
  if (dst.is_col_major()) {
    kernels.sign(alpha, src, dst);
  } else {
    kernels.sign(alpha, src.transposed(), dst.transposed());
  }
}

}  // namespace polarkit::optim::detail
