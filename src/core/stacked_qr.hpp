// The product both QDWH and Zolo-PD are built on: for [ρX; I] = [Q₁; Q₂]R,
//   Q₁Q₂ᵀ = ρ·X·(ρ²XᵀX + I)⁻¹,
// computed through a Householder QR, which keeps it backward stable however ill-conditioned
// X is (Nakatsukasa & Higham 2013). Only the explicit Q of the (m + n) × n stack is formed.
#pragma once

#include <utility>

#include "core/ops.hpp"

namespace polarkit::detail {

template <class T>
class StackedQr {
 public:
  StackedQr(Ops<T>& ops, index_t m, index_t n)
      : ops_(ops), work_(ops.allocate(m + n, n)), t_(ops.allocate(n, n)), q_(ops.allocate(m + n, n)) {}

  /// Y ← Y + alpha · Q₁Q₂ᵀ for [ρX; I] = [Q₁; Q₂]R.
  void accumulate(double rho, MatrixView<const T> X, double alpha, MatrixView<T> Y) {
    const index_t m = X.rows();
    const index_t n = X.cols();
    ops_.backend().stack_identity_q(rho, X, work_.view(), t_.view(), q_.view());
    ops_.add_flops(2.0 * qr_flops(m + n, n));  // the QR of the stack and its explicit Q
    const MatrixView<const T> Q = std::as_const(q_).view();
    ops_.gemm(alpha, Q.block(0, 0, m, n), Q.block(m, 0, n, n).transposed(), 1.0, Y);
  }

 private:
  Ops<T>& ops_;
  Matrix<T> work_;
  Matrix<T> t_;
  Matrix<T> q_;
};

}  // namespace polarkit::detail
