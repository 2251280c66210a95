// Scalar coefficient design: minimax quintics (Remez), the Polar Express composition and the
// published table (docs/algorithms.md, "The adaptive schedule").
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "polarkit/coefficients.hpp"
#include "polarkit/error.hpp"

namespace polarkit {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

double relative(double value, double reference) {
  return std::fabs(value - reference) / std::fabs(reference);
}

// Grid over [lo, hi]: uniform, plus geometric so that a tiny lo is resolved as well.
std::vector<double> grid(double lo, double hi, int n) {
  std::vector<double> x;
  x.reserve(2 * static_cast<std::size_t>(n) + 2);
  for (int i = 0; i <= n; ++i) x.push_back(lo + (hi - lo) * i / n);
  for (int i = 0; i <= n; ++i) x.push_back(lo * std::pow(hi / lo, static_cast<double>(i) / n));
  std::sort(x.begin(), x.end());
  x.front() = lo;
  x.back() = hi;
  return x;
}

// ---- Quintic and with_safety -----------------------------------------------------------------

TEST(Quintic, EvaluatesTheOddPolynomial) {
  constexpr Quintic p{1.0, 2.0, 3.0};
  static_assert(p(2.0) == 2.0 + 2.0 * 8 + 3.0 * 32);  // usable in constant expressions
  EXPECT_DOUBLE_EQ(p(2.0), 114.0);
  EXPECT_DOUBLE_EQ(p(-0.5), -(0.5 + 2.0 * 0.125 + 3.0 * 0.03125));
  EXPECT_EQ(p(0.0), 0.0);
  const Quintic classic{15.0 / 8, -10.0 / 8, 3.0 / 8};
  EXPECT_DOUBLE_EQ(classic(1.0), 1.0);
  EXPECT_DOUBLE_EQ(classic(-1.0), -1.0);
}

TEST(WithSafety, DividesByPowersOfTheFactor) {
  const Quintic p{8.0, -24.0, 17.0};
  const Quintic q = with_safety(p, 1.01);
  EXPECT_DOUBLE_EQ(q.a, 8.0 / 1.01);
  EXPECT_DOUBLE_EQ(q.b, -24.0 / std::pow(1.01, 3));
  EXPECT_DOUBLE_EQ(q.c, 17.0 / std::pow(1.01, 5));
  // It is the polynomial x ↦ p(x/s).
  for (double x : {0.1, 0.5, 0.9, 1.3}) EXPECT_NEAR(q(x), p(x / 1.01), 1e-13 * std::fabs(p(x / 1.01)));
  const Quintic same = with_safety(p, 1.0);
  EXPECT_EQ(same.a, p.a);
  EXPECT_EQ(same.b, p.b);
  EXPECT_EQ(same.c, p.c);
}

TEST(WithSafety, RejectsNonPositiveOrNonFiniteFactors) {
  for (double s : {0.0, -1.01, nan, inf}) {
    try {
      (void)with_safety(Quintic{1.5, -0.5, 0.0}, s);
      ADD_FAILURE() << "no exception for s = " << s;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("s = "), std::string::npos) << e.what();
    }
  }
}

// ---- the published table ---------------------------------------------------------------------

TEST(PolarExpressTable, IsThePublishedTable) {
  const auto table = polar_express_table();
  ASSERT_EQ(table.size(), 8u);
  EXPECT_EQ(table[0].a, 8.28721201814563);
  EXPECT_EQ(table[0].b, -23.595886519098837);
  EXPECT_EQ(table[0].c, 17.300387312530933);
  EXPECT_EQ(table[6].a, 1.8750014808534479);
  EXPECT_EQ(table[7].a, 1.875);
  EXPECT_EQ(table[7].b, -1.25);
  EXPECT_EQ(table[7].c, 0.375);
}

// Acceptance criterion: the composition of §3.2 with ℓ = 1e-3 and the published cushion
// reproduces the published table, every coefficient to 1e-10 relative. (Measured: 2.5e-11, in
// entry 6, where the reference's own double-precision 4×4 solve is ill-conditioned; the other
// entries agree to ≈ 1e-15 and entry 7 exactly.)
TEST(PolarExpressCoefficients, ReproducePublishedTable) {
  const auto table = polar_express_table();
  const std::vector<Quintic> computed = polar_express_coefficients(8, 1e-3, polar_express_cushion);
  ASSERT_EQ(computed.size(), table.size());
  double worst = 0;
  for (std::size_t k = 0; k < table.size(); ++k) {
    SCOPED_TRACE("entry " + std::to_string(k));
    EXPECT_LE(relative(computed[k].a, table[k].a), 1e-10) << computed[k].a;
    EXPECT_LE(relative(computed[k].b, table[k].b), 1e-10) << computed[k].b;
    EXPECT_LE(relative(computed[k].c, table[k].c), 1e-10) << computed[k].c;
    worst = std::max({worst, relative(computed[k].a, table[k].a),
                      relative(computed[k].b, table[k].b), relative(computed[k].c, table[k].c)});
  }
  RecordProperty("max_relative_deviation", (::testing::Message() << worst).GetString());
}

TEST(PolarExpressCoefficients, ContinuesWithTheClassicQuinticOnceConverged) {
  const std::vector<Quintic> computed = polar_express_coefficients(12, 1e-3, polar_express_cushion);
  ASSERT_EQ(computed.size(), 12u);
  for (std::size_t k = 7; k < computed.size(); ++k) {
    EXPECT_DOUBLE_EQ(computed[k].a, 1.875);
    EXPECT_DOUBLE_EQ(computed[k].b, -1.25);
    EXPECT_DOUBLE_EQ(computed[k].c, 0.375);
  }
  EXPECT_TRUE(polar_express_coefficients(0, 1e-3, polar_express_cushion).empty());
}

// The scalar model: every σ in [ℓ, 1] ends within rounding of 1 after the composed steps, even
// for ℓ far below the published 1e-3.
double worst_after(const std::vector<Quintic>& ps, double ell) {
  double worst = 0;
  for (double sigma : grid(ell, 1.0, 2000)) {
    for (const Quintic& p : ps) sigma = p(sigma);
    worst = std::max(worst, std::fabs(1 - sigma));
  }
  return worst;
}

TEST(PolarExpressCoefficients, ConvergeOnTheWholeInterval) {
  for (double ell : {1e-1, 1e-3, 1e-6}) {
    SCOPED_TRACE(::testing::Message() << "ell = " << ell);
    EXPECT_LE(worst_after(polar_express_coefficients(25, ell, polar_express_cushion), ell), 1e-15);
  }
  // For tiny ℓ the top of the spectrum rides the steep edge of the interval for many steps and
  // rounding there is amplified ≈ 12× per step (see polar_express_step): without a safety
  // factor σ = 1 escapes and diverges for ℓ = 1e-12 in double precision. A 1.01 safety factor
  // on the early steps fixes it.
  for (double ell : {1e-12, 1e-16}) {
    SCOPED_TRACE(::testing::Message() << "ell = " << ell << " with safety");
    std::vector<Quintic> ps = polar_express_coefficients(30, ell, polar_express_cushion);
    for (std::size_t k = 0; k < 15; ++k) ps[k] = with_safety(ps[k], 1.01);
    EXPECT_LE(worst_after(ps, ell), 1e-15);
  }
}

TEST(PolarExpressStep, BoundsContainTheImageAndStraddleOne) {
  double lo = 1e-3, hi = 1.0;
  for (int k = 0; k < 6; ++k) {
    SCOPED_TRACE("step " + std::to_string(k));
    const PolarExpressStep step = polar_express_step(lo, hi, polar_express_cushion);
    EXPECT_DOUBLE_EQ(step.lo_next + step.hi_next, 2.0);
    EXPECT_LE(step.lo_next, step.hi_next);
    EXPECT_DOUBLE_EQ(step.lo_next, step.p(lo));
    for (double x : grid(lo, hi, 4000)) {
      EXPECT_GE(step.p(x), step.lo_next * (1 - 1e-14));
      EXPECT_LE(step.p(x), step.hi_next * (1 + 1e-14));
    }
    lo = step.lo_next;
    hi = step.hi_next;
  }
}

TEST(PolarExpressStep, CushionRecentresThePolynomial) {
  // lo below cushion·hi: p is the minimax polynomial for [cushion·hi, hi], scaled so that
  // p(lo) + p(hi) = 2.
  const double lo = 1e-6, hi = 1.0, cushion = polar_express_cushion;
  const PolarExpressStep step = polar_express_step(lo, hi, cushion);
  EXPECT_NEAR(step.p(lo) + step.p(hi), 2.0, 1e-14);
  const Quintic m = minimax_quintic(cushion * hi, hi);
  const double k = step.p.a / m.a;
  EXPECT_NEAR(step.p.b / m.b, k, 1e-14 * k);
  EXPECT_NEAR(step.p.c / m.c, k, 1e-14 * k);
  // lo above cushion·hi: the minimax polynomial itself.
  const PolarExpressStep plain = polar_express_step(0.2, 1.0, cushion);
  const Quintic direct = minimax_quintic(0.2, 1.0);
  EXPECT_EQ(plain.p.a, direct.a);
  EXPECT_EQ(plain.p.b, direct.b);
  EXPECT_EQ(plain.p.c, direct.c);
  // A degenerate interval (converged iteration) gives the classic quintic centred on it.
  const PolarExpressStep point = polar_express_step(1.0, 1.0, cushion);
  EXPECT_DOUBLE_EQ(point.p.a, 1.875);
  EXPECT_DOUBLE_EQ(point.lo_next, 1.0);
}

TEST(PolarExpressStep, RejectsInvalidArguments) {
  const auto expect_invalid = [](double lo, double hi, double cushion, const char* name) {
    try {
      (void)polar_express_step(lo, hi, cushion);
      ADD_FAILURE() << "no exception for (" << lo << ", " << hi << ", " << cushion << ")";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  expect_invalid(-1e-3, 1.0, 0.02, "lo = ");
  expect_invalid(0.0, 1.0, 0.0, "lo = ");
  expect_invalid(nan, 1.0, 0.02, "lo = ");
  expect_invalid(0.5, 0.25, 0.02, "hi = ");
  expect_invalid(0.5, inf, 0.02, "hi = ");
  expect_invalid(0.5, 1.0, 1.0, "cushion = ");
  expect_invalid(0.5, 1.0, -0.1, "cushion = ");
  expect_invalid(0.5, 1.0, nan, "cushion = ");
  EXPECT_THROW((void)polar_express_coefficients(-1, 1e-3, 0.02), Error);
  EXPECT_THROW((void)polar_express_coefficients(0, 2.0, 0.02), Error);
  EXPECT_THROW((void)polar_express_coefficients(3, nan, 0.02), Error);
  // lo = 0 is meaningful with a cushion: σ = 0 stays 0, the rest still converges.
  const PolarExpressStep zero = polar_express_step(0.0, 1.0, 0.02);
  EXPECT_EQ(zero.lo_next, 0.0);
}

// ---- minimax_quintic ------------------------------------------------------------------------

// The property checked is the Chebyshev alternation theorem, which characterises the unique
// best approximation of 1 by span{x, x³, x⁵} on [lo, hi] (a Haar space for lo > 0): with
// E = 1 − p(lo),
//   (1) E > 0 and 1 − p(hi) = −E (to rounding),
//   (2) no grid point has |1 − p(x)| above E (beyond rounding and 1e-12 relative): E is the
//       maximum error,
//   (3) there are grid points lo < x₁ < x₂ < hi with 1 − p(x₁) ≈ −E and 1 − p(x₂) ≈ +E
//       (within the grid's resolution), so the error attains ±E with alternating signs at four
//       points lo < x₁ < x₂ < hi.
// Together, (1)–(3) prove that p is the minimax polynomial.
void expect_equioscillation(double lo, double hi, double grid_tol) {
  SCOPED_TRACE(::testing::Message() << "[" << lo << ", " << hi << "]");
  const Quintic p = minimax_quintic(lo, hi);
  const double E = 1 - p(lo);
  const double rounding = 1e-15 * std::max(1.0, std::fabs(p.a * hi) + std::fabs(p.b * hi * hi * hi) +
                                                      std::fabs(p.c * std::pow(hi, 5)));
  ASSERT_GT(E, 0);
  EXPECT_NEAR(1 - p(hi), -E, rounding + 1e-12 * E);

  const std::vector<double> xs = grid(lo, hi, 200000);
  double max_abs = 0;
  std::vector<std::size_t> sign_changes;  // i such that 1 − p changes sign between xs[i−1], xs[i]
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double err = 1 - p(xs[i]);
    max_abs = std::max(max_abs, std::fabs(err));
    if (i > 0 && (err < 0) != (1 - p(xs[i - 1]) < 0)) sign_changes.push_back(i);
  }
  EXPECT_LE(max_abs, E * (1 + 1e-12) + rounding);

  // 1 − p goes +E (lo) → −E (x₁) → +E (x₂) → −E (hi): three sign changes, with the extrema
  // between them.
  ASSERT_EQ(sign_changes.size(), 3u);
  double min_err = inf, max_err = -inf;
  for (std::size_t i = sign_changes[0]; i < sign_changes[1]; ++i) min_err = std::min(min_err, 1 - p(xs[i]));
  for (std::size_t i = sign_changes[1]; i < sign_changes[2]; ++i) max_err = std::max(max_err, 1 - p(xs[i]));
  EXPECT_NEAR(min_err, -E, grid_tol * E + rounding);
  EXPECT_NEAR(max_err, E, grid_tol * E + rounding);
}

TEST(MinimaxQuintic, Equioscillates) {
  expect_equioscillation(1e-3, 1.0, 1e-8);
  expect_equioscillation(0.1, 1.0, 1e-8);
  expect_equioscillation(0.5, 1.2, 1e-7);
  expect_equioscillation(1e-8, 1.0, 1e-8);
  expect_equioscillation(1e-16, 1.0, 1e-8);
  expect_equioscillation(0.9, 1.0, 1e-6);
  expect_equioscillation(3.0, 7.0, 1e-7);  // not normalised to hi = 1
}

TEST(MinimaxQuintic, LimitsOfTheInterval) {
  // lo → 0: the polynomials converge (to the minimax polynomial for [0, 1], E → 1), and stay
  // finite down to the smallest ratios a solver can produce.
  const Quintic small = minimax_quintic(1e-16, 1.0);
  for (double lo : {1e-100, 1e-300}) {
    const Quintic tiny = minimax_quintic(lo, 1.0);
    EXPECT_NEAR(tiny.a, small.a, 1e-13 * small.a);
    EXPECT_NEAR(tiny.b, small.b, 1e-13 * std::fabs(small.b));
    EXPECT_NEAR(tiny.c, small.c, 1e-13 * small.c);
    EXPECT_GT(tiny(lo), 0.0);
  }
  // Scale invariance: the polynomial for [s·lo, s·hi] is x ↦ p(x/s).
  const Quintic unit = minimax_quintic(0.05, 1.0);
  const Quintic wide = minimax_quintic(0.05 * 4.0, 4.0);
  const Quintic expected = with_safety(unit, 4.0);
  EXPECT_NEAR(wide.a, expected.a, 1e-14 * expected.a);
  EXPECT_NEAR(wide.b, expected.b, 1e-14 * std::fabs(expected.b));
  EXPECT_NEAR(wide.c, expected.c, 1e-14 * expected.c);
}

// Classic branch (lo/hi > 1 − 5e-6): the classic quintic centred on m = (lo + hi)/2 with its
// h² correction. It must agree with what the Remez branch gives just below the threshold (the
// correction's own error is O(h⁴) ≈ 1e-22 there), so the switch is invisible.
Quintic narrow_formula(double lo, double hi) {
  const double m = (lo + hi) / 2, h = (hi - lo) / (hi + lo), h2 = h * h;
  return {(15.0 / 8 + h2 * 135 / 128) / m, (-10.0 / 8 - h2 * 150 / 128) / std::pow(m, 3),
          (3.0 / 8 + h2 * 15 / 128) / std::pow(m, 5)};
}

TEST(MinimaxQuintic, ClassicBranchForNarrowIntervals) {
  for (double hi : {1.0, 3.0}) {
    for (double width : {4e-6, 1e-9, 1e-14}) {  // closed form
      const double lo = hi * (1 - width);
      SCOPED_TRACE(::testing::Message() << "hi = " << hi << ", closed-form width = " << width);
      const Quintic p = minimax_quintic(lo, hi);
      const Quintic f = narrow_formula(lo, hi);
      EXPECT_NEAR(p.a, f.a, 1e-15 * f.a);
      EXPECT_NEAR(p.b, f.b, 1e-15 * std::fabs(f.b));
      EXPECT_NEAR(p.c, f.c, 1e-15 * f.c);
      // 1 − p is tiny and changes sign across the interval: below 1 at lo, above 1 at hi.
      EXPECT_NEAR(p(lo), 1.0, 1e-14);
      EXPECT_NEAR(p(hi), 1.0, 1e-14);
    }
    for (double width : {6e-6, 2e-5, 1e-4}) {  // Remez, just below the threshold
      const double lo = hi * (1 - width);
      SCOPED_TRACE(::testing::Message() << "hi = " << hi << ", Remez width = " << width);
      const Quintic p = minimax_quintic(lo, hi);
      const Quintic f = narrow_formula(lo, hi);
      EXPECT_NEAR(p.a, f.a, 1e-14 * f.a);
      EXPECT_NEAR(p.b, f.b, 1e-14 * std::fabs(f.b));
      EXPECT_NEAR(p.c, f.c, 1e-14 * f.c);
    }
  }
  // The symmetric interval around 1 reached by the ℓ = 1e-3 composition gives exactly the
  // classic quintic (the published table's last entry), not the classic one scaled by 1/hi.
  const Quintic p = minimax_quintic(0.99999999896018066, 1.0000000010398193);
  EXPECT_DOUBLE_EQ(p.a, 1.875);
  EXPECT_DOUBLE_EQ(p.b, -1.25);
  EXPECT_DOUBLE_EQ(p.c, 0.375);
}

TEST(MinimaxQuintic, RejectsInvalidArguments) {
  const auto expect_invalid = [](double lo, double hi, const char* name) {
    try {
      (void)minimax_quintic(lo, hi);
      ADD_FAILURE() << "no exception for [" << lo << ", " << hi << "]";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    }
  };
  expect_invalid(0.0, 1.0, "lo = 0");
  expect_invalid(-0.5, 1.0, "lo = -0.5");
  expect_invalid(nan, 1.0, "lo = nan");
  expect_invalid(-inf, 1.0, "lo = -inf");
  expect_invalid(0.5, 0.5, "hi = 0.5");
  expect_invalid(0.5, 0.25, "hi = 0.25");
  expect_invalid(0.5, nan, "hi = nan");
  expect_invalid(0.5, inf, "hi = inf");
}

}  // namespace
}  // namespace polarkit
