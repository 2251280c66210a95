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
      : ops_(ops), stack_(ops.allocate(m + n, n)), tau_(ops.allocate(n, 1)) {}

  /// Y ← Y + alpha · Q₁Q₂ᵀ for [ρX; I] = [Q₁; Q₂]R.
  void accumulate(double rho, MatrixView<const T> X, double alpha, MatrixView<T> Y) {
    Backend<T>& be = ops_.backend();
    const index_t m = X.rows();
    const index_t n = X.cols();
    const MatrixView<T> S = stack_.view();
    be.copy(rho, X, S.block(0, 0, m, n));
    be.copy(0.0, X.block(0, 0, n, n), S.block(m, 0, n, n));
    be.add_diagonal(1.0, S.block(m, 0, n, n));
    be.qr(S, tau_.view());
    be.form_q(S, std::as_const(tau_).view());
    ops_.add_flops(2.0 * qr_flops(m + n, n));  // geqrf + orgqr
    const MatrixView<const T> Q = std::as_const(stack_).view();
    ops_.gemm(alpha, Q.block(0, 0, m, n), Q.block(m, 0, n, n).transposed(), 1.0, Y);
  }

 private:
  Ops<T>& ops_;
  Matrix<T> stack_;
  Matrix<T> tau_;
};

}  // namespace polarkit::detail
