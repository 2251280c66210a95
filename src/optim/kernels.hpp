// Backend kernels as the optimizer layer calls them. The backend's arithmetic kernels write
// column-major outputs; a row-major output is the column-major view of the transpose, so these
// wrappers flip every operand instead (no copies).
#pragma once

#include "core/kernels/backend.hpp"

namespace polarkit::optim::detail {

using polarkit::detail::Backend;

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
void sign(Backend<T>& be, double alpha, MatrixView<const T> src, MatrixView<T> dst) {
  if (dst.is_col_major()) {
    be.sign(alpha, src, dst);
  } else {
    be.sign(alpha, src.transposed(), dst.transposed());
  }
}

}  // namespace polarkit::optim::detail
