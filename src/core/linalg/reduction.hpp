// The QR of X₀ that the rational iterations share: it yields the guaranteed lower bound ℓ₀ on
// σ_min(X₀), and for a tall X₀ = QR it turns the problem into the square one for R
// (polar(X₀) = Q·polar(R)), so the iterations work on n × n matrices only.
#pragma once

#include <algorithm>
#include <optional>

#include "core/kernels/ops.hpp"
#include "core/kernels/report.hpp"
#include "polarkit/info.hpp"

namespace polarkit::detail {

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
