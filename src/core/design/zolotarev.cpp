// Zolo-PD coefficients (docs/algorithms.md, "Zolo-PD"), evaluated without ever forming ℓ' = √(1 − ℓ²).
//
// c_i = ℓ²·sc²(u_i; ℓ') with u_i = iK'/(2r+1), K' = K(ℓ'). The modulus ℓ' is within ℓ²/2 of 1:
// it rounds to 1 (K' = ∞) in double for ℓ ≲ 1e-8 and in long double for ℓ ≲ 1e-10, and a
// phase-based evaluation (sn = sin φ, cn = cos φ) loses all accuracy long before that. Only the
// complementary modulus k' = ℓ, known exactly, is used here:
//
//  * The AGM chain of A&S 16.4 started with a₀ = 1, b₀ = ℓ (= k'): aₙ₊₁ = (aₙ + bₙ)/2,
//    bₙ₊₁ = √(aₙbₙ), cₙ₊₁ = (aₙ − bₙ)/2 — computed as c₁ = (1 − ℓ)/2, cₙ₊₁ = cₙ²/(4aₙ₊₁), no
//    cancellation. Level n has modulus kₙ = cₙ/aₙ, complement kₙ' = bₙ/aₙ, and
//    1 + kₙ = aₙ₋₁/aₙ. K(ℓ') = π/(2·AGM(1, ℓ)) is never needed: the Landen transformations keep
//    the ratio u/K(kₙ) = i/(2r+1), so at the bottom (kₙ < 1e-12) the argument is iπ/(2(2r+1)).
//  * The descending Landen (Gauss) transformation (DLMF 22.7.1–22.7.2) in terms of cs = cn/sn:
//      cs(z; kₙ₋₁) = cs(w; kₙ)·dn(w; kₙ)/(1 + kₙ),  dn² = (cs² + kₙ'²)/(cs² + 1),
//    with w = z/(1 + kₙ) — products and sums of positive numbers only, so cs(u; ℓ') keeps the
//    full relative accuracy of long double however close to 0 it is (cs(K'−) ≈ ℓ).
//  * The quarter-period identity cs(K' − u) = k'·sc(u) gives c_{2r+1−i} = ℓ²/c_i: only
//    u ≤ K'/2 (i = 1..r) is evaluated, c_i = ℓ²/cs²(u_i) and c_{2r+1−i} = cs²(u_i).
//
// The differences c_{2j−1} − c_{2k} in a_j are of long double numbers whose ratios stay away
// from 1 (the c's grow by a factor ≥ 1.2 per index for r ≤ 16), so a_j loses no more than a few
// long double digits. Everything is rounded to double at the end.
#include "core/design/zolotarev.hpp"

#include <cmath>
#include <cstddef>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "core/api/checks.hpp"
#include "polarkit/error.hpp"

namespace polarkit::detail {
namespace {

using real = long double;

constexpr real pi = std::numbers::pi_v<real>;
constexpr real bottom_modulus = 1e-12L;  // k² < 1e-24: cs(w; k) = cot(w) to long double precision
constexpr int max_levels = 64;           // the chain converges quadratically: ~10 levels at ℓ = 1e-150

std::string show(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

// The AGM chain for a₀ = 1, b₀ = ℓ; level n ≥ 1 has 1 + kₙ = a[n−1]/a[n] and kₙ' = b[n]/a[n].
struct LandenChain {
  std::vector<real> a, b;

  explicit LandenChain(real ell) {
    a.push_back(1.0L);
    b.push_back(ell);
    real c = (1.0L - ell) / 2;  // c₁
    for (int n = 0; n < max_levels; ++n) {
      const real a_next = (a.back() + b.back()) / 2;
      const real b_next = std::sqrt(a.back() * b.back());
      if (n > 0) c = c * c / (4 * a_next);
      a.push_back(a_next);
      b.push_back(b_next);
      if (c <= bottom_modulus * a_next) break;
    }
  }

  // cs(t·K(ℓ'); ℓ') for 0 < t < 1.
  [[nodiscard]] real cs(real t) const {
    const real w = t * pi / 2;
    real value = std::cos(w) / std::sin(w);  // cs(w; kₙ) for the bottom level, kₙ ≈ 0
    for (std::size_t n = a.size() - 1; n >= 1; --n) {
      const real kp = b[n] / a[n];
      const real cs2 = value * value;
      const real dn = std::sqrt((cs2 + kp * kp) / (cs2 + 1.0L));
      value = value * dn * (a[n] / a[n - 1]);
    }
    return value;
  }
};

}  // namespace

int zolotarev_order(double kappa) {
  if (std::isnan(kappa) || kappa <= 0.0)
    invalid("zolotarev_order", "kappa must be positive, got " + show(kappa));
  if (kappa < 6.5) return 2;
  if (kappa < 180.0) return 3;
  if (kappa < 1.5e4) return 4;
  if (kappa < 2e6) return 5;
  if (kappa < 1e9) return 6;
  if (kappa < 3e12) return 7;
  return 8;
}

ZolotarevStep zolotarev_step(double ell, int r) {
  if (!(std::isfinite(ell) && ell > 0.0 && ell <= 1.0))
    invalid("zolotarev_step", "ell must be in (0, 1], got " + show(ell));
  if (ell < zolotarev_min_ell)
    invalid("zolotarev_step", "ell must be at least zolotarev_min_ell = " + show(zolotarev_min_ell) +
                                  " (clamp it), got " + show(ell));
  if (r < 1 || r > zolotarev_max_order)
    invalid("zolotarev_step",
            "order r must be in [1, " + std::to_string(zolotarev_max_order) + "], got " + std::to_string(r));

  const auto n = static_cast<std::size_t>(r);
  const real L = ell;
  const real L2 = L * L;
  const LandenChain chain(L);

  std::vector<real> c(2 * n);
  for (std::size_t i = 1; i <= n; ++i) {
    const real cs = chain.cs(static_cast<real>(i) / static_cast<real>(2 * n + 1));
    const real cs2 = cs * cs;
    c[i - 1] = L2 / cs2;  // ℓ²·sc²(u_i)
    c[2 * n - i] = cs2;   // ℓ²·sc²(K' − u_i) = cs²(u_i)
  }

  std::vector<real> a(n);
  real mhat = 1.0L;
  for (std::size_t j = 0; j < n; ++j) {
    const real pole = c[2 * j];  // c_{2j−1} in 1-based numbering
    real num = 1.0L;
    real den = 1.0L;
    for (std::size_t k = 0; k < n; ++k) {
      num *= c[2 * k + 1] - pole;          // c_{2k} − c_{2j−1}
      if (k != j) den *= c[2 * k] - pole;  // c_{2k−1} − c_{2j−1}
    }
    a[j] = num / den;  // = −∏(c_{2j−1} − c_{2k}) / ∏_{k≠j}(c_{2j−1} − c_{2k−1}) > 0
    mhat *= (1.0L + c[2 * j]) / (1.0L + c[2 * j + 1]);
  }

  real f = mhat * L;
  for (std::size_t j = 0; j < n; ++j) f *= (L2 + c[2 * j + 1]) / (L2 + c[2 * j]);
  // f(ℓ) ≤ f(1) = 1; ℓ = 1 is the one point of its interval.
  const double ell_next = ell == 1.0 ? 1.0 : std::fmin(static_cast<double>(f), 1.0);

  ZolotarevStep step{r, std::vector<double>(2 * n), std::vector<double>(n), static_cast<double>(mhat),
                     ell_next};
  for (std::size_t i = 0; i < 2 * n; ++i) step.c[i] = static_cast<double>(c[i]);
  for (std::size_t j = 0; j < n; ++j) step.a[j] = static_cast<double>(a[j]);
  return step;
}

double zolotarev_map(const ZolotarevStep& step, double x) {
  const real X = x;
  const real X2 = X * X;
  real f = static_cast<real>(step.mhat) * X;
  for (std::size_t j = 0; 2 * j + 1 < step.c.size(); ++j)
    f *= (X2 + static_cast<real>(step.c[2 * j + 1])) / (X2 + static_cast<real>(step.c[2 * j]));
  return static_cast<double>(f);
}

}  // namespace polarkit::detail
