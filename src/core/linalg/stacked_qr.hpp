// The product both QDWH and Zolo-PD are built on: for [ρX; I] = [Q₁; Q₂]R,
//   Q₁Q₂ᵀ = ρ·X·(ρ²XᵀX + I)⁻¹,
// the (1, 2) block of the orthogonal projector onto the range of the stack, so any orthonormal
// basis of that range gives it. Two ways to one:
//  - a Householder QR of the (m + n) × n stack and its explicit Q: backward stable however
//    ill-conditioned X is (Nakatsukasa & Higham 2013);
//  - a Cholesky QR with one correction, where the stack is well enough conditioned
//    (κ ≤ √(1 + ρ²) for ‖X‖₂ ≤ 1): W = [ρX; I] = Q̃R₁ with R₁ the Cholesky factor of I + ρ²XᵀX
//    (XᵀX is at hand: the iterations measure it), Q̃ = W·R₁⁻¹ orthonormal up to E = Q̃ᵀQ̃ − I of
//    about (1 + ρ²)·u, and then Q₁Q₂ᵀ = Q̃₁(Q̃ᵀQ̃)⁻¹Q̃₂ᵀ = Q̃₁(I − E)R₁⁻ᵀ + O(‖E‖²). Cholesky QR
//    keeps the residual W − Q̃R₁ at rounding level for any κ < u^(−1/2) (Yamamoto et al. 2015),
//    so the range is W's to rounding; the correction is CholeskyQR2's second pass in projector
//    form and is used only where the measured ‖E‖_F² ≤ u/16, so the term it drops is below
//    rounding. No Householder panel (BLAS-2) remains: 1⅔n³ + 5mn² flops of potrf, trtri, TRSM,
//    SYRK and GEMM against 8⅔n³ at the QR's lower rate (f64, n = 2048: 0.56 against 0.72 s).
#pragma once

#include <cmath>
#include <utility>

#include "core/kernels/ops.hpp"

namespace polarkit::detail {

/// Whether the Cholesky route can be expected to pass its check for this ρ, n and unit roundoff
/// u: E is about ρ²·u·√n/3 in Frobenius norm (measured for n = 500–2048), kept 8× below the
/// √u/4 the check allows. In float ρ² ≤ 512/√n, above QDWH's Cholesky-step limit of 100 only for
/// n < 27.
inline bool cholesky_route_suits(double rho, index_t n, double u) {
  return rho * rho <= 1.0 / (8.0 * std::sqrt(u * static_cast<double>(n)));
}

template <class T>
class StackedQr {
 public:
  StackedQr(Ops<T>& ops, index_t m, index_t n)
      : ops_(ops), work_(ops.allocate(m + n, n)), t_(ops.allocate(n, n)), q_(ops.allocate(m + n, n)) {}

  /// Y ← Y + alpha · Q₁Q₂ᵀ for [ρX; I] = [Q₁; Q₂]R.
  void accumulate(double rho, MatrixView<const T> X, double alpha, MatrixView<T> Y) {
    const index_t m = X.rows();
    const index_t n = X.cols();
    ops_.stack_identity_q(rho, X, work_.view(), t_.view(), q_.view());
    const MatrixView<const T> Q = std::as_const(q_).view();
    ops_.gemm(alpha, Q.block(0, 0, m, n), Q.block(m, 0, n, n).transposed(), 1.0, Y);
  }

  /// The same product as accumulate() by the Cholesky route, given G = XᵀX. False (Y unchanged)
  /// where I + ρ²G has no Cholesky factor or the measured ‖E‖_F exceeds √u/4: take accumulate().
  bool accumulate_by_cholesky(double rho, MatrixView<const T> X, MatrixView<const T> G,
                              double alpha, MatrixView<T> Y) {
    Backend<T>& be = ops_.backend();
    const index_t m = X.rows();
    const index_t n = X.cols();
    const MatrixView<T> R1 = q_.view().block(m, 0, n, n);
    be.copy(rho * rho, G, R1);
    be.add_diagonal(1.0, R1);
    if (!ops_.cholesky(R1)) return false;
    const MatrixView<const T> R = R1;
    // Q̃ = [ρX; I]·R₁⁻¹ in work_: Q̃₁ = ρX·R₁⁻¹ on top, Q̃₂ = R₁⁻¹ below.
    const MatrixView<T> Q1 = work_.view().block(0, 0, m, n);
    const MatrixView<T> Q2 = work_.view().block(m, 0, n, n);
    be.copy(rho, X, Q1);
    ops_.solve_upper_right(R, false, Q1);
    ops_.invert_upper(R, Q2);
    // Q̃ᵀQ̃ = Q̃₁ᵀQ̃₁ + Q̃₂ᵀQ̃₂ in t_, and ‖E‖_F.
    const MatrixView<T> K = t_.view();
    ops_.gram(1.0, Q1, 0.0, K);
    ops_.gram(1.0, Q2, 1.0, K);
    const double e = be.norm_fro_minus_identity(K);
    if (!(e <= std::sqrt(ops_.rounding().unit_roundoff) / 4.0)) return false;
    // K = I − E = 2I − Q̃ᵀQ̃; M = Q̃₁·K·R₁⁻ᵀ in q_'s top block; Y += alpha·M.
    be.copy(-1.0, K, K);
    be.add_diagonal(2.0, K);
    const MatrixView<T> M = q_.view().block(0, 0, m, n);
    ops_.gemm(1.0, Q1, K, 0.0, M);
    ops_.solve_upper_right(R, true, M);
    be.add(alpha, M, 1.0, Y);
    return true;
  }

 private:
  Ops<T>& ops_;
  Matrix<T> work_;
  Matrix<T> t_;
  Matrix<T> q_;
};

}  // namespace polarkit::detail
