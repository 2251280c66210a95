// The QR of X₀ that the rational iterations share: it yields the guaranteed lower bound ℓ₀ on
// σ_min(X₀), and for a tall X₀ = QR it turns the problem into the square one for R
// (polar(X₀) = Q·polar(R)), so the iterations work on n × n matrices only.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "core/kernels/ops.hpp"
#include "core/kernels/report.hpp"
#include "polarkit/info.hpp"

namespace polarkit::detail {

/// ℓ₀ from estimates of ‖R⁻¹‖₁ and ‖R⁻¹‖_∞ (LAPACK's trcon, or ScaLAPACK's) of an n × n upper
/// triangular R: max(1/(√n‖R⁻¹‖₁), 1/√(‖R⁻¹‖₁‖R⁻¹‖_∞)) — both lower bounds on σ_min(R) =
/// 1/‖R⁻¹‖₂ —, 0 where either norm is infinite (R singular).
inline double lower_bound_from_inverse_norms(double inv_one, double inv_inf, index_t n) {
  if (!std::isfinite(inv_one) || !std::isfinite(inv_inf)) return 0.0;
  const double dn = static_cast<double>(n);
  return std::max(1.0 / (std::sqrt(dn) * inv_one), 1.0 / std::sqrt(inv_one * inv_inf));
}

/// Lanczos steps and the margin of the sharper bound. The trcon bound can be √n below σ_min (a
/// 1-norm stands in for the 2-norm): 36× at n = 2048 for a random orthogonal R, which turns
/// κ = 10 into a design for 360 and a QR step for a Cholesky one. Lanczos on (RᵀR)⁻¹ = R⁻¹R⁻ᵀ
/// converges to its largest eigenvalue 1/σ_min² from below; after k steps from a start vector
/// that is random to the input, the Ritz value is below (1 − ε)·λ_max with probability at most
/// 1.648·√n·e^(−(2k−1)√ε) (Kuczyński & Woźniakowski 1992). With k = 16 and the margin 1.5
/// (ε = 1 − 1/1.5² = 0.56) that is below 1e-8 for n ≤ 10⁶: the sharper ℓ is then still a lower
/// bound. Where it is not, QDWH takes an extra step, as stable as the others.
inline constexpr int sharpening_steps = 16;
inline constexpr double sharpening_margin = 1.5;

/// The ℓ QDWH designs for and the κ estimate, from the bound ℓ₀ of a QR's R.
struct DesignBound {
  double ell;            ///< Reduction::ell
  double cond_estimate;  ///< Reduction::cond_estimate (NaN where X₀ is numerically singular)
};

/// R is the factor of X₀ + ΔX with ‖ΔX‖ ≲ n·u (‖X₀‖ ≈ 1), in practice a few √n·u, the rounding
/// floor of an orthogonal factor: below min(n, 8√n)·u the bound ℓ₀ only says that X₀ is
/// numerically singular, and it is only as good as the rounding (two QRs of one X₀ with
/// σ_min ≈ u, by geqrf and by geqrt, gave 1.2e-17 and 1.0e-16). QDWH designs for a tenth of it
/// there (6 steps at κ = 1e16 in every sampled case; 7 in some with the bound itself). Above it
/// the ℓ sharpened by sigma_min() — a Lanczos estimate of σ_min(R) from above, 0 where it failed
/// — saves a step where the bound alone is a decade low (κ = 1e12, n = 2048: ℓ₀ = 1.5e-13
/// against σ_min = 1e-12, 5 steps instead of 6); should rounding have moved σ_min below it,
/// QDWH takes one step more. sigma_min() runs only there: 1/σ_min² ≤ 1/ℓ₀² is in range too.
template <class SigmaMin>
DesignBound design_bound(double ell0, index_t n, double u, SigmaMin&& sigma_min) {
  const double dn = static_cast<double>(n);
  const double resolution = std::min(dn, 8.0 * std::sqrt(dn)) * u;
  const bool resolved = ell0 >= resolution;
  DesignBound out{resolved ? ell0 : ell0 / 10.0, std::numeric_limits<double>::quiet_NaN()};
  if (resolved) {
    const double sigma = sigma_min();
    if (sigma > 0.0) {
      out.ell = std::min(1.0, std::max(ell0, sigma / sharpening_margin));
      out.cond_estimate = 1.0 / sigma;  // σ_max(X₀) ≈ 1 after the spectral normalisation
    }
  }
  return out;
}

template <class T>
struct Reduction {
  Matrix<T> Q;         ///< m × n explicit Q when X₀ was tall; empty when it was square
  double ell0 = 0.0;   ///< lower bound on σ_min(X₀) (0 when X₀ is numerically singular)
  /// The ℓ QDWH designs for: where X₀ is not numerically singular (ℓ₀ ≥ n·u), a sharper one —
  /// Lanczos's σ_min estimate over 1.5, never below ℓ₀ — since QDWH corrects a too large ℓ by a
  /// step more, as stable as the others; where it is, ℓ₀/10 (reduction.cpp says why).
  double ell = 0.0;
  /// The Lanczos estimate of σ_max/σ_min of X₀ (NaN where it was not run: X₀ numerically
  /// singular by the ℓ₀ bound).
  double cond_estimate = 0.0;
};

/// The ℓ the rational iterations design for, recorded in the report (ℓ₀ and κ ≤ 1/ℓ₀): ℓ₀
/// itself, however small (a true bound below u still converges in the predicted number of
/// steps), or u for a numerically singular X₀, whose zero singular values no iteration can
/// move — u is then the worst case the weights cover.
template <class T>
double design_lower_bound(double ell0, Report& report) {
  const double u = unit_roundoff<T>;
  const double ell = ell0 > 0.0 ? std::min(ell0, 1.0) : u;
  report.designed_for(ell);
  return ell;
}

/// Replaces a tall X by its R factor (n × n) and returns Q; for a square X, X is kept. Either
/// way computes ℓ₀ = max(1/(√n‖R⁻¹‖₁), 1/√(‖R⁻¹‖₁‖R⁻¹‖_∞)) — both are lower bounds on
/// σ_min(R) = 1/‖R⁻¹‖₂ — with the norms estimated by LAPACK's trcon.
template <class T>
Reduction<T> reduce_to_square(Ops<T>& ops, Matrix<T>& X);

/// The same ℓ₀, ℓ and κ estimate for a square X₀ from its Gram matrix G = X₀ᵀX₀ (‖X₀‖₂ ≤ 1)
/// where another part measured G already (auto): a Cholesky factor of G (n³/3) instead of the QR
/// (4n³/3). Empty where that would not be as good: G not numerically positive definite, or
/// σ_min(X₀)² not above the rounding G and its factor carry (reduction.cpp) — known without
/// the factor where lambda_min, the measurement's estimate of λ_min(G) (from above), says so.
template <class T>
std::optional<Reduction<T>> reduce_from_gram(Ops<T>& ops, MatrixView<const T> G, double lambda_min);

/// Where reduce_from_gram(ops, G, ·) gives nothing, σ_min(X₀) is below this (√(101·δ), δ the
/// rounding of G and its factor).
template <class T>
double gram_route_ceiling(Ops<T>& ops, MatrixView<const T> G);

/// X ← Q·X when the reduction was a real one (the polar factor of the original X₀).
template <class T>
void expand(Ops<T>& ops, const Reduction<T>& reduction, Matrix<T>& X);

/// What a QR certifies about the condition of a tall A (amax = max|aᵢⱼ| > 0): A/α with α its
/// Frobenius norm (power-of-two prescaled), the Lanczos estimate of σ_max(A/α) and the
/// guaranteed lower bound ℓ₀ on σ_min(A/α) (0 when A is numerically singular). Costs the QR of
/// reduce_to_square and a Lanczos run; estimate_condition() reports it.
struct ConditionBound {
  double alpha = 0.0;
  double sigma_max = 0.0;
  double ell0 = 0.0;
  /// The Lanczos estimate of κ(A) from the QR's R (Reduction::cond_estimate); +∞ where A is
  /// numerically singular by the ℓ₀ bound.
  double kappa = 0.0;
};

template <class T>
ConditionBound condition_bound(Ops<T>& ops, MatrixView<const T> A, double amax);

}  // namespace polarkit::detail
