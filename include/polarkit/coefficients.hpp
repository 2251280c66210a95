// polarkit/coefficients.hpp — scalar design of the odd quintics p(x) = a·x + b·x³ + c·x⁵ that
// Newton–Schulz-type iterations apply to the singular values (docs/algorithms.md, "The adaptive schedule").
//
// Everything here is scalar and cheap (microseconds), so a solver can design a fresh polynomial
// for every step from the interval it has certified, instead of relying on a fixed table.
#pragma once

#include <span>
#include <vector>

namespace polarkit {

/// An odd quintic p(x) = a·x + b·x³ + c·x⁵. Only odd polynomials are used because an odd p
/// commutes with the SVD: p(X) = W·p(Σ)·Vᵀ, so a matrix step acts on each singular value alone,
/// and exact zeros (rank deficiency) stay zero.
struct Quintic {
  double a;  ///< coefficient of x
  double b;  ///< coefficient of x³
  double c;  ///< coefficient of x⁵

  /// Horner in x² is both the cheapest form and the one the matrix step mirrors
  /// (X·(a·I + G·(b·I + c·G)) with G = XᵀX), so scalar models round like the real iteration.
  [[nodiscard]] constexpr double operator()(double x) const noexcept {
    const double y = x * x;
    return x * (a + y * (b + y * c));
  }
};

/// The odd quintic that minimises max |1 − p(x)| over [lo, hi] (the best single step towards
/// sign(x) = 1 on that interval), computed by a Remez exchange.
///
/// At the optimum the error equioscillates: 1 − p = +E at lo, −E at the interior local
/// maximum q, +E at the local minimum r and −E at hi (so p(lo) = 1 − E and p(hi) = 1 + E).
///
/// Numerics (why this is more accurate than the textbook 4×4 solve): the levelled system is
/// solved through divided differences in y = x² of 1/x (closed forms) and of sign-alternating
/// data, in long double. Neither involves cancellation, so the result is accurate to double
/// precision for every ratio lo/hi, including lo/hi → 0 (1e-300 works) and lo/hi → 1, where the
/// monomial 4×4 system is ill-conditioned (≈ 4.5e11 at hi/lo − 1 ≈ 2e-3).
///
/// When lo/hi > 1 − 5e-6 the interval is so narrow that the answer is the classic quintic
/// P(t) = (15t − 10t³ + 3t⁵)/8 centred on the midpoint m = (lo + hi)/2, plus its second-order
/// correction in the relative half-width h = (hi − lo)/(hi + lo):
///   p(x) = A·(x/m) + B·(x/m)³ + C·(x/m)⁵,  (A, B, C) = (15/8, −10/8, 3/8) + h²·(135, −150, 15)/128.
/// Its distance from the true minimax polynomial is O(h⁴) (below 1e-20 at the threshold, so the
/// two branches join seamlessly; derived from the first-order perturbation of the alternation
/// points ±h, ±h/2 of the cubic error term, and checked against the Remez branch). The
/// centre must be m and not hi: centring on hi (as the reference Python code does) is off by
/// O(h) — 1e-9 for the eighth step of the ℓ = 1e-3 composition, which the published table
/// lists as exactly (1.875, −1.25, 0.375), the true minimax value.
///
/// Guards: the exchange stops after 100 iterations, and it stops early, keeping the levelled
/// solution of the last valid reference, if the next reference is not valid (no real critical
/// points, or not lo < q < r < hi). Neither happens in exact arithmetic; numerically the
/// exchange converges in at most 5 iterations for every ratio tried (1e-300 to 1 − 5e-6), so
/// the guards only protect against rounding-level surprises. A kept solution still has the
/// sign pattern above, but its error may exceed E away from the reference points.
///
/// Throws Error(invalid_argument) unless 0 < lo < hi and both are finite.
[[nodiscard]] Quintic minimax_quintic(double lo, double hi);

/// One step of the Polar Express composition, and the interval the step maps [lo, hi] into.
struct PolarExpressStep {
  Quintic p;  ///< the step's polynomial
  double lo_next;  ///< guaranteed lower bound on p(σ) for σ in [lo, hi]
  double hi_next;  ///< guaranteed upper bound on p(σ) for σ in [lo, hi]
};

/// One Polar Express composition step: the minimax quintic for
/// [max(lo, cushion·hi), hi], rescaled so that p(lo) and p(hi) straddle 1 symmetrically when the
/// cushion was active. The cushion exists because the optimal polynomial for a very small lo has
/// a huge slope and maps [lo, hi] onto a band that is almost [0, 2]: giving up optimality on
/// [lo, cushion·hi] keeps every later step well conditioned and, in exact arithmetic, costs
/// at most a step or two.
///
/// The image of [lo, hi] is [p(lo), 2 − p(lo)] (equioscillation puts the maximum of p at
/// 1 + E = 2 − p(lo)); lo_next = min(p(lo), 2 − p(lo)) guards against rounding making it empty.
/// Finite precision: hi is mapped exactly onto hi_next, where p is steepest (p'(hi) ≈ 12 while
/// the cushion is active and hi ≈ 2), so a rounding error at the top of the spectrum grows ≈ 12×
/// per step for as long as lo ≪ cushion·hi. In a double-precision scalar model started from
/// [1e-12, 1] that is enough for σ = 1 to leave the interval and diverge; a safety factor
/// (with_safety(p, 1.01), or an upper bound with a margin) on the early steps prevents it.
///
/// Requires finite 0 ≤ lo ≤ hi, 0 ≤ cushion < 1, with lo > 0 unless cushion > 0 (lo = hi gives
/// the classic quintic centred on hi, the limit of the minimax polynomial). Throws
/// Error(invalid_argument) otherwise.
[[nodiscard]] PolarExpressStep polar_express_step(double lo, double hi, double cushion);

/// The first `steps` polynomials of the composition that starts from [ell, 1]. With
/// ell = 1e-3 and cushion = polar_express_cushion, eight steps reproduce polar_express_table().
/// Requires steps ≥ 0 and the conditions of polar_express_step for [ell, 1].
[[nodiscard]] std::vector<Quintic> polar_express_coefficients(int steps, double ell, double cushion);

/// The cushion of the published Polar Express coefficients. It is not a round number because
/// it was tuned so that the first polynomial's slope stays moderate; any value near 0.024 works,
/// but only this one reproduces the published table.
inline constexpr double polar_express_cushion = 0.02407327424182761;

/// The eight published Polar Express polynomials for ℓ = 1e-3 (Amsel et al.), exactly as
/// published and *without* the 1.01 safety factor, so that they can be compared with
/// polar_express_coefficients(); apply with_safety() before use in finite precision.
[[nodiscard]] std::span<const Quintic> polar_express_table();

/// p(x/s) as a quintic: (a/s, b/s³, c/s⁵). A safety factor s slightly above 1 shrinks the
/// interval the polynomial acts on, so that rounding which pushes a singular value a little
/// above the design interval does not meet the fast growth of p beyond it.
/// Throws Error(invalid_argument) unless s is finite and > 0.
[[nodiscard]] Quintic with_safety(Quintic p, double s);

}  // namespace polarkit
