// Zolo-PD (Nakatsukasa–Freund 2016), the scalar part: the order table and the coefficients of
// the scaled Zolotarev function of one step (docs/algorithms.md, "Zolo-PD").
//
// One step maps the singular values in [ℓ, 1] by the best type-(2r+1, 2r) odd rational
// approximation of sign(x) there, scaled so that its maximum on [ℓ, 1] is f(1) = 1:
//
//   f(x) = M̂·x·∏_j (x² + c_{2j}) / (x² + c_{2j−1})          (product form)
//        = M̂·x·(1 + Σ_j a_j / (x² + c_{2j−1}))               (partial fractions: a_j > 0)
//
// On [ℓ, 1], f takes its minimum ell_next = f(ℓ) and its maximum 1 at r + 1 points each,
// alternately (2r + 2 alternation points: x_i = ℓ / dn(iK'/(2r+1); ℓ'), i = 0..2r+1), so
// max |1 − f| = 1 − ell_next. The matrix step is X ← M̂·(X + Σ_j (a_j/√c_{2j−1}) Q₁ⱼQ₂ⱼᵀ) with
// [X; √c_{2j−1} I] = [Q₁ⱼ; Q₂ⱼ] Rⱼ.
#pragma once

#include <vector>

namespace polarkit::detail {

/// The coefficients of one Zolo-PD step for the interval [ℓ, 1].
struct ZolotarevStep {
  int r;                  ///< order (r QRs per step; f has type (2r+1, 2r))
  std::vector<double> c;  ///< c_1..c_{2r} (index 0 = c_1): positive, strictly increasing
  std::vector<double> a;  ///< a_1..a_r: positive partial-fraction weights
  double mhat;            ///< M̂ = ∏_j (1 + c_{2j−1}) / (1 + c_{2j}), so that f(1) = 1
  double ell_next;  ///< f(ℓ) = M̂·ℓ·∏_j (ℓ² + c_{2j})/(ℓ² + c_{2j−1}): the next lower bound
};

/// Largest order zolotarev_step accepts.
inline constexpr int zolotarev_max_order = 16;

/// Smallest ℓ zolotarev_step accepts: below it c_1 (≈ ℓ²/c_{2r}) is no longer a normal double.
/// A caller with a smaller (or zero) estimate of σ_min/σ_max clamps it to this value.
inline constexpr double zolotarev_min_ell = 1e-150;

/// The order for condition number κ = 1/ℓ such that two steps reach 1 − ℓ ≲ 1e-15 (§5):
/// κ < 6.5 → 2; < 180 → 3; < 1.5e4 → 4; < 2e6 → 5; < 1e9 → 6; < 3e12 → 7; otherwise 8.
/// κ in (0, 1) (an estimate a little below 1) gives 2 and κ = ∞ gives 8. Two steps with r = 8
/// suffice up to κ ≈ 2e16 only: from ℓ = 1e-20 they leave 1 − ℓ ≈ 7e-13 and a third is needed.
/// (The row r = 4 reaches 1.33e-15, not 1e-15, from κ just below 1.5e4; the others ≤ 9e-16.)
/// Throws Error(invalid_argument) for NaN or κ ≤ 0.
int zolotarev_order(double kappa);

/// The coefficients of the step for the interval [ell, 1] with order r.
///
/// Requires zolotarev_min_ell ≤ ell ≤ 1 (finite) and 1 ≤ r ≤ zolotarev_max_order; throws
/// Error(invalid_argument) otherwise. Evaluated in long double through the complementary
/// modulus ℓ (exact), never through ℓ' = √(1 − ℓ²), which rounds to 1 for ℓ ≲ 1e-10: the
/// coefficients are accurate to a few units in the last place of double for every ell.
///
/// ell = 1 gives the limit ℓ → 1 (continuous in ell): c_i = tan²(iπ/(2(2r+1))), which is the
/// principal Padé iteration of type (2r+1, 2r) (Halley's for r = 1), with f(1) = 1, f'(1) = 0
/// and ell_next = 1. Iterating it keeps singular values at 1 fixed, so the step is harmless
/// (and unnecessary) there.
ZolotarevStep zolotarev_step(double ell, int r);

/// f(x) of the step in product form, evaluated in long double (x ≥ 0).
double zolotarev_map(const ZolotarevStep& step, double x);

}  // namespace polarkit::detail
