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
  if (!std::isfinite(inv_one) || !std::isfinite(inv_inf)) return 0.0;
  const double n = static_cast<double>(R.rows());
  return std::max(1.0 / (std::sqrt(n) * inv_one), 1.0 / std::sqrt(inv_one * inv_inf));
}

// Lanczos steps and the margin of the sharper bound. The trcon bound can be √n below σ_min (a
// 1-norm stands in for the 2-norm): 36× at n = 2048 for a random orthogonal R, which turns
// κ = 10 into a design for 360 and a QR step for a Cholesky one. Lanczos on (RᵀR)⁻¹ = R⁻¹R⁻ᵀ
// converges to its largest eigenvalue 1/σ_min² from below; after k steps from a start vector
// that is random to the input, the Ritz value is below (1 − ε)·λ_max with probability at most
// 1.648·√n·e^(−(2k−1)√ε) (Kuczyński & Woźniakowski 1992). With k = 16 and the margin 1.5
// (ε = 1 − 1/1.5² = 0.56) that is below 1e-8 for n ≤ 10⁶: the sharper ℓ is then still a lower
// bound. Where it is not, QDWH takes an extra step, as stable as the others.
constexpr int sharpening_steps = 16;
constexpr double sharpening_margin = 1.5;

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
  // R is the factor of X₀ + ΔX with ‖ΔX‖ ≲ n·u (‖X₀‖ ≈ 1), in practice a few √n·u, the
  // rounding floor of an orthogonal factor: below it the bound only says that X₀ is numerically
  // singular, and it is only as good as the rounding (two QRs of one X₀ with σ_min ≈ u, by
  // geqrf and by geqrt, gave 1.2e-17 and 1.0e-16). QDWH designs for a tenth of it there (6
  // steps at κ = 1e16 in every sampled case; 7 in some with the bound itself). Above it the
  // sharpened ℓ saves a step where the bound alone is a decade low (κ = 1e12, n = 2048: ℓ₀ =
  // 1.5e-13 against σ_min = 1e-12, 5 steps instead of 6); should rounding have moved σ_min
  // below it, QDWH takes one step more.
  const double dn = static_cast<double>(n);
  const double resolution = std::min(dn, 8.0 * std::sqrt(dn)) * unit_roundoff<T>;
  const bool resolved = out.ell0 >= resolution;
  out.ell = resolved ? out.ell0 : out.ell0 / 10.0;
  out.cond_estimate = std::numeric_limits<double>::quiet_NaN();
  // Sharpened where X₀ is not numerically singular: there 1/σ_min² ≤ 1/ℓ₀² is in range too.
  if (resolved) {
    const double sigma = sigma_min_estimate(ops, std::as_const(R).view());
    if (sigma > 0.0) {
      out.ell = std::min(1.0, std::max(out.ell0, sigma / sharpening_margin));
      out.cond_estimate = 1.0 / sigma;  // σ_max(X₀) ≈ 1 after the spectral normalisation
    }
  }
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
