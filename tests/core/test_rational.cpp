// QDWH, Zolo-PD, scaled Newton, the condition estimate and auto: the bars of the rational
// iterations, which must hold for every κ up to 1/u.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/solvers/solvers.hpp"
#include "polarkit/condition.hpp"
#include "polarkit/polar.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"

namespace polarkit {
namespace {

using testkit::eps;

struct Shape {
  index_t m, n;
  bool linear;
};

std::string name(const Shape& s, double kappa) {
  return std::to_string(s.m) + "x" + std::to_string(s.n) + (s.linear ? " linear" : " geometric") +
         " kappa=" + std::to_string(kappa);
}

template <class T>
Matrix<T> make(const Shape& s, double kappa, std::uint64_t seed) {
  const index_t k = std::min(s.m, s.n);
  return testkit::with_singular_values<T>(
      s.m, s.n, s.linear ? testkit::linear_spectrum(k, kappa) : testkit::geometric_spectrum(k, kappa), seed);
}

template <class T>
PolarResult<T> run(const Matrix<T>& A, Method method) {
  PolarOptions o;
  o.method = method;
  return polar(A, o);
}

// The 13ε bars of the JAX and SLATE test suites, for orthogonality and backward error.
template <class T>
void expect_13_eps(const Matrix<T>& A, const PolarResult<T>& r, const std::string& what) {
  const double k = double(std::min(A.rows(), A.cols()));
  EXPECT_LE(testkit::orthogonality_fro<T>(r.U.view()) / std::sqrt(k), 13 * eps<T>) << what;
  EXPECT_LE(testkit::backward_error<T>(A.view(), r.U.view(), r.H.view()), 13 * eps<T>) << what;
  EXPECT_LE(testkit::asymmetry<T>(r.H.view()), 0.0) << what;
}

const Shape double_shapes[] = {{300, 300, false}, {300, 300, true}, {300, 200, false}, {300, 200, true}};
const double double_kappas[] = {1.0, 1e2, 1e4, 1e8, 1e12, 1e16};

TEST(Qdwh, DoubleMeets13EpsInAtMostSixIterations) {
  for (const Shape& s : double_shapes) {
    for (double kappa : double_kappas) {
      const auto A = make<double>(s, kappa, 31);
      const auto r = run(A, Method::qdwh);
      expect_13_eps(A, r, name(s, kappa));
      EXPECT_TRUE(r.info.converged) << name(s, kappa);
      EXPECT_LE(r.info.iterations, kappa <= 10 ? 4 : 6) << name(s, kappa);
      EXPECT_EQ(r.info.steps.size(), std::size_t(r.info.iterations));
      EXPECT_EQ(r.info.ortho_error_history.size(), std::size_t(r.info.iterations) + 1);
    }
  }
}

// Where the ℓ recurrence reaches 1 and XᵀX is I to rounding, QDWH stops without the step that
// would confirm convergence by its size: at κ = 1e3 ℓ converges after QCCC, at κ = 1e12 (above
// the rounding resolution, so designed for the sharpened ℓ) after QQCCC. The final U is
// measured in the 2-norm as well, and meets the 13ε bars.
TEST(Qdwh, StopsOnceTheIterateIsOrthogonalToRounding) {
  struct Case {
    double kappa;
    int steps;
  };
  for (const Case c : {Case{1e3, 4}, Case{1e12, 5}}) {
    const auto A = make<double>({400, 400, false}, c.kappa, 37);
    const auto r = run(A, Method::qdwh);
    const std::string what = "kappa=" + std::to_string(c.kappa);
    EXPECT_TRUE(r.info.converged) << what;
    EXPECT_EQ(r.info.iterations, c.steps) << what;
    ASSERT_FALSE(r.info.ortho_error_2_history.empty());
    EXPECT_TRUE(std::isfinite(r.info.ortho_error_2_history.back())) << what;
    EXPECT_LE(r.info.ortho_error, 16 * eps<double> / 2) << what;
    expect_13_eps(A, r, what);
  }
}

TEST(Qdwh, WellConditionedTakesCholeskyStepsOnly) {
  const auto A = make<double>({120, 120, false}, 1.0, 5);
  const auto r = run(A, Method::qdwh);
  EXPECT_LE(r.info.iterations, 4);
  for (StepKind k : r.info.steps) EXPECT_EQ(k, StepKind::cholesky);
  const auto B = make<double>({120, 120, false}, 1e12, 5);
  EXPECT_EQ(run(B, Method::qdwh).info.steps.front(), StepKind::qr);  // c > 100 at first
}

TEST(Qdwh, ModerateCTakesCorrectedCholeskyQrStepsAndMeets13Eps) {
  // κ = 1e3: c ≈ 1.6e4 at first, too large for a Cholesky step and small enough for the Cholesky
  // QR route; κ = 1e12: a Householder QR step (c ≈ 1.6e16), then the Cholesky QR (c ≈ 1e5).
  const auto A = make<double>({200, 200, false}, 1e3, 11);
  const auto r = run(A, Method::qdwh);
  ASSERT_FALSE(r.info.steps.empty());
  EXPECT_EQ(r.info.steps.front(), StepKind::cholesky_qr);
  expect_13_eps(A, r, "kappa=1e3");
  const auto B = make<double>({200, 200, false}, 1e12, 11);
  const auto s = run(B, Method::qdwh);
  ASSERT_GE(s.info.steps.size(), 2U);
  EXPECT_EQ(s.info.steps[0], StepKind::qr);
  EXPECT_EQ(s.info.steps[1], StepKind::cholesky_qr);
  expect_13_eps(B, s, "kappa=1e12");
}

TEST(Qdwh, FloatMeets13EpsInAtMostFiveIterations) {
  for (const Shape& s : {Shape{200, 200, false}, Shape{200, 120, true}}) {
    for (double kappa : {1.0, 1e2, 1e4, 1e6}) {
      const auto A = make<float>(s, kappa, 37);
      const auto r = run(A, Method::qdwh);
      expect_13_eps(A, r, name(s, kappa));
      EXPECT_LE(r.info.iterations, 5) << name(s, kappa);
    }
  }
}

TEST(Zolo, MeetsTheQdwhBarsInAtMostTwoIterations) {
  for (const Shape& s : double_shapes) {
    for (double kappa : double_kappas) {
      const auto A = make<double>(s, kappa, 41);
      const auto r = run(A, Method::zolo);
      expect_13_eps(A, r, name(s, kappa));
      EXPECT_TRUE(r.info.converged) << name(s, kappa);
      // Two steps from a valid ℓ₀; where A is numerically singular (κ·n·u ≥ 1) the QR's ℓ₀ may
      // not bound σ_min and Zolo-PD takes a third step designed from the measured e_F.
      const bool singular = kappa * double(std::min(s.m, s.n)) * eps<double> / 2 >= 1.0;
      EXPECT_LE(r.info.iterations, singular ? 3 : 2) << name(s, kappa);
    }
  }
}

TEST(Newton, MeetsTheSqrtNBarsInAtMostNineIterations) {
  for (const Shape& s : double_shapes) {
    for (double kappa : double_kappas) {
      const auto A = make<double>(s, kappa, 43);
      const auto r = run(A, Method::newton);
      const double bar = 3 * std::sqrt(double(s.n)) * eps<double>;
      EXPECT_LE(testkit::orthogonality_fro<double>(r.U.view()) / std::sqrt(double(s.n)), bar) << name(s, kappa);
      EXPECT_LE(testkit::backward_error<double>(A.view(), r.U.view(), r.H.view()), bar) << name(s, kappa);
      EXPECT_LE(r.info.iterations, 9) << name(s, kappa);
      EXPECT_EQ(r.info.steps.front(), StepKind::newton);
    }
  }
}

// ---- rank-deficient and extreme inputs ------------------------------------------------------

// σ_min/σ_max = 1e-200 puts the certified ℓ₀ below the smallest ℓ the Zolotarev coefficients
// exist for (1e-150): Zolo-PD must treat that singular value as zero, as for a singular input,
// not throw. The other singular values still give exact columns.
// κ = 2e200: ‖X₀⁻¹‖ ≈ 1e200, whose Gram products overflowed the β estimate (NaN, 100 steps).
// A full-rank diagonal A has U = I.
TEST(Newton, HugeConditionNumberStaysFinite) {
  Matrix<double> A(3, 3);
  A(0, 0) = 1.0;
  A(1, 1) = 1e-200;
  A(2, 2) = 0.5;
  const auto r = run(A, Method::newton);
  EXPECT_TRUE(r.info.converged);
  for (index_t i = 0; i < 3; ++i) EXPECT_NEAR(r.U(i, i), 1.0, 4 * eps<double>) << i;
  EXPECT_LE(testkit::backward_error<double>(A.view(), r.U.view(), r.H.view()), 13 * eps<double>);
}

TEST(Zolo, LowerBoundBelowTheCoefficientRangeIsTreatedAsSingular) {
  Matrix<double> A(3, 3);
  A(0, 0) = 1.0;
  A(1, 1) = 1e-200;
  A(2, 2) = 0.5;
  PolarResult<double> r;
  ASSERT_NO_THROW(r = run(A, Method::zolo));
  EXPECT_NEAR(r.U(0, 0), 1.0, 4 * eps<double>);
  EXPECT_NEAR(r.U(2, 2), 1.0, 4 * eps<double>);
  EXPECT_LE(testkit::backward_error<double>(A.view(), r.U.view(), r.H.view()), 13 * eps<double>);
}

// A = P·diag(1, …, 1, 0, …)·Qᵀ with known Q, so range(Aᵀ) = span(Q[:, :rank]).
TEST(RankDeficient, OrthogonalOnTheRangeAndReconstructs) {
  struct Case {
    index_t m, n, rank;
  };
  for (const Case c : {Case{10, 10, 8}, Case{8, 8, 7}, Case{12, 8, 5}}) {
    std::vector<double> sigma(std::size_t(c.n), 0.0);
    for (index_t i = 0; i < c.rank; ++i) sigma[std::size_t(i)] = 1.0 / double(i + 1);
    const std::uint64_t seed = 51;
    const auto A = testkit::with_singular_values<double>(c.m, c.n, sigma, seed);
    const auto Q = testkit::haar_orthonormal(c.n, c.n, seed + 1);
    for (Method method : {Method::qdwh, Method::zolo, Method::automatic}) {
      const auto r = run(A, method);
      const std::string what = std::string(method_name(method)) + " " + std::to_string(c.m) + "x" +
                               std::to_string(c.n) + " rank " + std::to_string(c.rank);
      EXPECT_LE(testkit::asymmetry<double>(r.H.view()), 10 * eps<double>) << what;
      EXPECT_LE(testkit::backward_error<double>(A.view(), r.U.view(), r.H.view()), 60 * eps<double>) << what;
      // U·Q_r must have orthonormal columns.
      Matrix<double> UQ(c.m, c.rank);
      for (index_t i = 0; i < c.m; ++i) {
        for (index_t j = 0; j < c.rank; ++j) {
          long double s = 0;
          for (index_t p = 0; p < c.n; ++p) s += static_cast<long double>(r.U(i, p)) * Q(p, j);
          UQ(i, j) = static_cast<double>(s);
        }
      }
      EXPECT_LE(testkit::orthogonality_fro<double>(UQ.view()) / std::sqrt(double(c.rank)), 25 * eps<double>) << what;
    }
  }
}

TEST(Extremes, ZeroAndASingleSmallestNormalEntryAreExact) {
  for (Method method : {Method::qdwh, Method::zolo, Method::newton, Method::automatic}) {
    Matrix<double> Z(5, 3);
    const auto z = run(Z, method);
    EXPECT_TRUE(z.info.zero_input);
    for (index_t i = 0; i < 5; ++i) {
      for (index_t j = 0; j < 3; ++j) EXPECT_EQ(z.U(i, j), 0.0);
    }
    Matrix<double> T(5, 3);
    const double tiny = std::numeric_limits<double>::min();
    T(3, 1) = tiny;
    const auto r = run(T, method);
    EXPECT_EQ(r.H(1, 1), tiny) << method_name(method);
    EXPECT_EQ(r.U(3, 1), 1.0) << method_name(method);
    for (index_t i = 0; i < 5; ++i) {
      for (index_t j = 0; j < 3; ++j) {
        EXPECT_EQ(r.U(i, j) * r.H(j, j), T(i, j)) << method_name(method) << " " << i << "," << j;
      }
    }
  }
}

TEST(Extremes, ScaleInvariance) {
  const auto A = make<double>({60, 40, false}, 1e6, 61);
  for (Method method : {Method::qdwh, Method::zolo, Method::newton}) {
    const auto base = run(A, method);
    for (double c : {1e150, 1e-150}) {
      Matrix<double> B(60, 40);
      for (index_t j = 0; j < 40; ++j) {
        for (index_t i = 0; i < 60; ++i) B(i, j) = A(i, j) * c;
      }
      const auto r = run(B, method);
      // A·c rounds every entry (c is not a power of 2): U moves by up to ~κ·u (perturbation
      // bound 2‖ΔA‖/(σ_n + σ_{n−1})), H by ~u.
      EXPECT_LE(testkit::relative_difference(r.U.view(), base.U.view()), 10 * 1e6 * eps<double>)
          << method_name(method) << " " << c;
      Matrix<double> H(40, 40);
      for (index_t j = 0; j < 40; ++j) {
        for (index_t i = 0; i < 40; ++i) H(i, j) = r.H(i, j) / c;
      }
      EXPECT_LE(testkit::relative_difference(H.view(), base.H.view()), 100 * eps<double>)
          << method_name(method) << " " << c;
    }
  }
}

// ---- condition estimate and auto ------------------------------------------------------------

TEST(Condition, BoundsKappaFromAboveWithinAModestFactor) {
  for (double kappa : {1.0, 1e3, 1e8, 1e14}) {
    const auto A = make<double>({150, 100, false}, kappa, 71);
    const auto c = estimate_condition(A);
    EXPECT_NEAR(c.sigma_max, 1.0, 0.02) << kappa;
    EXPECT_LE(c.sigma_min_bound, 1.0 / kappa * (1 + 1e-6)) << kappa;
    EXPECT_GE(c.kappa, kappa * (1 - 0.02)) << kappa;
    EXPECT_LE(c.kappa, 100 * kappa) << kappa;
  }
  Matrix<double> Z(4, 4);
  EXPECT_TRUE(std::isinf(estimate_condition(Z).kappa));
}

TEST(Auto, NewtonSchulzForWellConditionedFloatQdwhForIllConditionedDouble) {
  for (double kappa : {1.0, 1e2, 1e3}) {
    const auto A = make<float>({160, 128, false}, kappa, 81);
    const auto r = run(A, Method::automatic);
    // A float Gram matrix certifies κ up to ≈ 150 at n = 128 (8× its rounding floor): beyond,
    // QDWH, as fast here (2.3 against 2.5 ms at κ = 1e3, n = 128) and accurate for every κ.
    EXPECT_EQ(r.info.method_used, kappa <= 1e2 ? Method::polar_express_adaptive : Method::qdwh)
        << kappa;
    expect_13_eps(A, r, "auto float kappa=" + std::to_string(kappa));
  }
  // Where QDWH would need a Householder QR step, the CPU's SVD refined by Newton–Schulz is
  // faster (select_method.cpp): one cubic step from the SVD's U (25–45u from orthogonal).
  for (double kappa : {1e8, 1e12, 1e16}) {
    const auto A = make<double>({160, 128, false}, kappa, 83);
    const auto r = run(A, Method::automatic);
    EXPECT_EQ(r.info.method_used, Method::svd) << kappa;
    EXPECT_GE(r.info.iterations, 1) << kappa;
    EXPECT_LE(r.info.iterations, 2) << kappa;
    EXPECT_EQ(r.info.steps, std::vector<StepKind>(std::size_t(r.info.iterations), StepKind::polynomial));
    EXPECT_TRUE(r.info.converged) << kappa;
    expect_13_eps(A, r, "auto double kappa=" + std::to_string(kappa));
  }
}

// The rule behind auto's third way, on the CPU: the refined SVD where QDWH would take more
// Householder QR steps than the precision's allowance (double: none, float: one), or where A
// is numerically singular (the rank check after QDWH would run an SVD anyway); not above the
// sizes where its backward error stays within 13ε, and not on a GPU.
TEST(Auto, RefinedSvdWhereQdwhNeedsHouseholderSteps) {
  const auto host = MemorySpace::host;
  // Double, n = 1024: QDWH's plan for ℓ = 1e-4 is KCCC (a Cholesky QR step, c ≈ 2e5), for
  // ℓ = 1e-5 QCCCC.
  EXPECT_EQ(detail::qdwh_householder_steps(1e-4, 1024, eps<double> / 2), 0);
  EXPECT_EQ(detail::qdwh_householder_steps(1e-5, 1024, eps<double> / 2), 1);
  EXPECT_FALSE(detail::refined_svd_suits<double>(1e-4, 1e4, 1024, 1024, host));
  EXPECT_TRUE(detail::refined_svd_suits<double>(1e-5, 1e5, 1024, 1024, host));
  EXPECT_FALSE(detail::refined_svd_suits<double>(1e-5, 1e5, 1024, 1024, MemorySpace::cuda));
  EXPECT_FALSE(detail::refined_svd_suits<double>(1e-12, 1e12, 4096, 4096, host));
  // Float, n = 1024 (no Cholesky QR route): one Householder step for ℓ = 1e-5 (QCCC), two for
  // ℓ = 1e-6 (QQCC). κ passed below the singular threshold 1/(1024·ε) ≈ 8e3.
  EXPECT_EQ(detail::qdwh_householder_steps(1e-5, 1024, eps<float> / 2), 1);
  EXPECT_EQ(detail::qdwh_householder_steps(1e-6, 1024, eps<float> / 2), 2);
  EXPECT_FALSE(detail::refined_svd_suits<float>(1e-5, 1e3, 1024, 1024, host));
  EXPECT_TRUE(detail::refined_svd_suits<float>(1e-6, 1e3, 1024, 1024, host));
  EXPECT_FALSE(detail::refined_svd_suits<float>(1e-6, 1e3, 2048, 2048, host));
  // Numerically singular (κ ≥ 1/(max(m, n)·ε)) with a plan that has no Householder step.
  EXPECT_EQ(detail::qdwh_householder_steps(0.5, 200, eps<float> / 2), 0);
  EXPECT_TRUE(detail::refined_svd_suits<float>(0.5, 1e6, 200, 200, host));
}

// The plan is QDWH's own: for the ℓ it designed for, the predicted number of Householder steps
// is the number it took.
TEST(Qdwh, HouseholderStepsAreAsPlanned) {
  for (const double kappa : {1e2, 1e4, 1e8, 1e12}) {
    const auto A = make<double>({300, 300, false}, kappa, 41);
    const auto r = run(A, Method::qdwh);
    const auto taken = std::count(r.info.steps.begin(), r.info.steps.end(), StepKind::qr);
    EXPECT_EQ(detail::qdwh_householder_steps(r.info.lower_bound, 300, eps<double> / 2), taken)
        << kappa;
    const auto F = make<float>({300, 300, false}, std::min(kappa, 1e6), 41);
    const auto f = run(F, Method::qdwh);
    const auto taken_f = std::count(f.info.steps.begin(), f.info.steps.end(), StepKind::qr);
    EXPECT_EQ(detail::qdwh_householder_steps(f.info.lower_bound, 300, eps<float> / 2), taken_f)
        << kappa;
  }
}

// Where auto runs Polar Express it starts exactly as a direct call does (the same scaling and
// first measurement): the same U bit for bit, with no QR in its phases.
TEST(Auto, NewtonSchulzChoiceIsTheDirectCallBitForBit) {
  for (const Shape s : {Shape{300, 300, false}, Shape{320, 200, false}, Shape{200, 320, true}}) {
    const auto A = make<double>(s, 3.0, 87);
    const auto r = run(A, Method::automatic);
    ASSERT_EQ(r.info.method_used, Method::polar_express_adaptive) << name(s, 3.0);
    const auto direct = run(A, Method::polar_express_adaptive);
    EXPECT_EQ(r.info.iterations, direct.info.iterations);
    for (index_t j = 0; j < A.cols(); ++j) {
      for (index_t i = 0; i < A.rows(); ++i) ASSERT_EQ(r.U(i, j), direct.U(i, j)) << name(s, 3.0);
    }
    for (const PhaseTime& phase : r.info.phases) {
      EXPECT_NE(phase.name, "reduce");
      // κ = 3 needs the Cholesky certificate (n³/3 flops, n the smaller side).
      const double k = double(std::min(A.rows(), A.cols()));
      if (phase.name == "certify") {
        EXPECT_NEAR(phase.flops, k * k * k / 3.0, 1e-9 * k * k * k);  // a difference of totals
      }
    }
  }
  // An orthogonal A (κ = 1): Weyl's bound from tr G and ‖G − I‖_F certifies it, no factorisation.
  const auto Q = testkit::haar_orthonormal(250, 250, 91);
  const auto q = run(Q, Method::automatic);
  EXPECT_EQ(q.info.method_used, Method::polar_express_adaptive);
  bool certified = false;
  for (const PhaseTime& phase : q.info.phases) {
    if (phase.name != "certify") continue;
    certified = true;
    EXPECT_EQ(phase.flops, 0.0);
  }
  EXPECT_TRUE(certified);
}

// Where auto runs QDWH on a square A, the Gram matrix it measured gives ℓ₀ through a Cholesky
// factor (n³/3 flops) instead of a QR (4n³/3), while σ_min² stands well above the rounding of
// G (κ = 1e3): ℓ is a lower bound on σ_min(X₀) within the sharpening margin. Where it does not
// (κ = 1e12), σ_min is known to be far too small for QDWH without a Householder step, and the
// refined SVD runs without a QR. Either way the answer meets 13ε.
TEST(Auto, QdwhTakesLowerBoundFromTheMeasuredGramWhereItResolvesSigmaMin) {
  const index_t n = 200;
  const double k = double(n);
  for (const double kappa : {1e3, 1e12}) {
    const auto A = make<double>({n, n, false}, kappa, 93);
    const auto r = run(A, Method::automatic);
    const std::string what = "kappa=" + std::to_string(kappa);
    ASSERT_EQ(r.info.method_used, kappa == 1e3 ? Method::qdwh : Method::svd) << what;
    double reduce = -1.0;
    for (const PhaseTime& phase : r.info.phases) {
      if (phase.name == "reduce") reduce = phase.flops;
    }
    // At most the Cholesky factor and 16 Lanczos steps of 2n² each; no QR.
    EXPECT_LT(reduce, 2.0 * k * k * k / 3.0) << what;
    const double sigma_min = 1.0 / (kappa * r.info.scale);  // of X₀ = A/α, σ_max(A) = 1
    if (kappa == 1e3) {
      EXPECT_GT(reduce, k * k * k / 3.0 - 1.0) << what;
      EXPECT_LE(r.info.lower_bound, sigma_min) << what;
      EXPECT_GE(r.info.lower_bound, sigma_min / 2.0) << what;
    } else {
      // The SVD's σ_min: its absolute error is u·σ_max, 1e-4 relative at κ = 1e12.
      EXPECT_NEAR(r.info.lower_bound, sigma_min, 1e3 * eps<double> / r.info.scale) << what;
    }
    EXPECT_NEAR(r.info.cond_estimate, kappa, 0.05 * kappa) << what;
    expect_13_eps(A, r, "auto " + what);
  }
}

// One singular value far below the rest (linear spectrum 1 … 1/n, then one tiny σ): the
// Lanczos estimate of κ from the Gram matrix sees the spread of the rest (κ̂ ≈ n) and misses it,
// so the Cholesky certificate has to catch it — auto runs QDWH and meets 13ε.
TEST(Auto, AnIsolatedSmallSingularValueIsNotMissed) {
  for (const double tiny : {1e-6, 1e-9, 1e-14}) {
    const index_t n = 200;
    std::vector<double> sigma(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) sigma[std::size_t(i)] = 1.0 - double(i) / double(n);
    sigma.back() = tiny;
    const auto A = testkit::with_singular_values<double>(n, n, sigma, 89);
    const auto r = run(A, Method::automatic);
    // QDWH, or where its ℓ₀ shows a Householder step ahead (σ = 1e-6 and below), the refined SVD.
    EXPECT_NE(r.info.method_used, Method::polar_express_adaptive) << tiny;
    expect_13_eps(A, r, "isolated sigma " + std::to_string(tiny));
  }
}

}  // namespace
}  // namespace polarkit
