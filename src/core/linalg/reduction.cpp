#include "core/linalg/reduction.hpp"

#include "core/linalg/lanczos.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace polarkit::detail {
namespace {

template <class T>
double lower_bound_from_r(Backend<T>& be, MatrixView<const T> R) {
  const auto [inv_one, inv_inf] = be.inverse_norms_upper(R);
  return lower_bound_from_inverse_norms(inv_one, inv_inf, R.rows());
}

template <class T>
double sigma_min_estimate(Ops<T>& ops, MatrixView<const T> R) {
  Backend<T>& be = ops.backend();
  const index_t n = R.rows();
  Lanczos<T> lanczos(ops, n, 1, sharpening_steps);
  const auto ext = lanczos.extremes([&](MatrixView<const T> x, MatrixView<T> y) {
    be.copy(1.0, x, y);
    const MatrixView<T> row(y.data(), 1, n, 1, Layout::col_major, y.space());  // yᵀ
    ops.solve_upper_right(R, false, row);  // (R⁻ᵀy)ᵀ = yᵀR⁻¹
    ops.solve_upper_right(R, true, row);   // (R⁻¹R⁻ᵀy)ᵀ
  });
  return ext.max > 0.0 && std::isfinite(ext.max) ? 1.0 / std::sqrt(ext.max) : 0.0;
}

}  // namespace

template <class T>
Reduction<T> reduce_to_square(Ops<T>& ops, Matrix<T>& X) {
  Backend<T>& be = ops.backend();
  const index_t m = X.rows();
  const index_t n = X.cols();
  Reduction<T> out;
  Matrix<T> tau = ops.allocate(n, 1);
  Matrix<T> R = ops.allocate(n, n);
  if (m == n) {
    be.copy(1.0, std::as_const(X).view(), R.view());
    ops.qr(R.view(), tau.view());
  } else {
    ops.qr(X.view(), tau.view());
    be.copy(1.0, std::as_const(X).view().block(0, 0, n, n), R.view());
  }
  be.zero_strict_lower(R.view());
  out.ell0 = lower_bound_from_r(be, std::as_const(R).view());
  const DesignBound design = design_bound(out.ell0, n, unit_roundoff<T>, [&] {
    return sigma_min_estimate(ops, std::as_const(R).view());
  });
  out.ell = design.ell;
  out.cond_estimate = design.cond_estimate;
  if (m > n) {
    ops.form_q(X.view(), std::as_const(tau).view());
    out.Q = std::move(X);
    X = std::move(R);
  }
  return out;
}

namespace {

// δ = 2(n + 1)·u·tr(G): the Gram matrix's and its Cholesky factor's rounding in ‖·‖₂ (below).
template <class T>
double gram_rounding(Backend<T>& be, MatrixView<const T> G) {
  return 2.0 * (static_cast<double>(G.rows()) + 1.0) * unit_roundoff<T> * be.trace(G);
}

}  // namespace

template <class T>
double gram_route_ceiling(Ops<T>& ops, MatrixView<const T> G) {
  // Every way reduce_from_gram gives up puts σ_min(X₀)² below 100δ + δ: a Lanczos estimate
  // (from above) under 100δ, or a failed factorisation (λ_min(G) ≲ n·u·λ_max ≤ δ).
  return std::sqrt(101.0 * gram_rounding(ops.backend(), G));
}

template <class T>
std::optional<Reduction<T>> reduce_from_gram(Ops<T>& ops, MatrixView<const T> G, double lambda_min) {
  Backend<T>& be = ops.backend();
  const index_t n = G.rows();
  // δ below; Lanczos approaches λ_min from above, so a λ_min estimate under 100δ fails the test.
  const double delta = gram_rounding(be, G);
  if (!(lambda_min >= 100.0 * delta)) return std::nullopt;
  Matrix<T> R = ops.allocate(n, n);
  be.copy(1.0, G, R.view());
  if (!ops.cholesky(R.view())) return std::nullopt;
  be.zero_strict_lower(R.view());
  // RᵀR = X₀ᵀX₀ + E with ‖E‖₂ ≤ δ = 2(n + 1)·u·tr(G): the Gram matrix's rounding (|E₁| ≤
  // γₙ|X₀|ᵀ|X₀|, so ‖E₁‖₂ ≤ γₙ‖X₀‖_F²) and the Cholesky factor's (|E₂| ≤ γₙ₊₁|Rᵀ||R|, so
  // ‖E₂‖₂ ≤ γₙ₊₁‖R‖_F² = γₙ₊₁·tr(G)). By Weyl, σ_min(X₀)² ≥ σ_min(R)² − δ. Taken only where
  // Lanczos puts σ_min(R)² at 100δ or more, so that δ moves σ_min by ≤ 0.5% (f64, n = 2048,
  // κ = 1e3: δ ≈ 7e-11 against σ_min² ≈ 1e-6); elsewhere the QR's R, which carries only the
  // rounding of X₀ itself, decides.
  const double sigma = sigma_min_estimate(ops, std::as_const(R).view());
  if (!(sigma * sigma >= 100.0 * delta)) return std::nullopt;
  const double bound = lower_bound_from_r(be, std::as_const(R).view());
  Reduction<T> out;
  out.ell0 = std::sqrt(std::max(0.0, bound * bound - delta));
  const double sharp = std::sqrt(sigma * sigma - delta);
  out.ell = std::min(1.0, std::max(out.ell0, sharp / sharpening_margin));
  out.cond_estimate = 1.0 / sharp;
  return out;
}

template <class T>
void expand(Ops<T>& ops, const Reduction<T>& reduction, Matrix<T>& X) {
  if (reduction.Q.empty()) return;
  Matrix<T> U = ops.allocate(reduction.Q.rows(), X.cols());
  ops.gemm(1.0, reduction.Q.view(), std::as_const(X).view(), 0.0, U.view());
  X = std::move(U);
}

template double gram_route_ceiling<float>(Ops<float>&, MatrixView<const float>);
template double gram_route_ceiling<double>(Ops<double>&, MatrixView<const double>);
template Reduction<float> reduce_to_square<float>(Ops<float>&, Matrix<float>&);
template Reduction<double> reduce_to_square<double>(Ops<double>&, Matrix<double>&);
template std::optional<Reduction<float>> reduce_from_gram<float>(Ops<float>&, MatrixView<const float>,
                                                                 double);
template std::optional<Reduction<double>> reduce_from_gram<double>(Ops<double>&,
                                                                   MatrixView<const double>, double);
template void expand<float>(Ops<float>&, const Reduction<float>&, Matrix<float>&);
template void expand<double>(Ops<double>&, const Reduction<double>&, Matrix<double>&);

}  // namespace polarkit::detail
