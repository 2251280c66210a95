// The numerical rank in the report and one behaviour for rank-deficient inputs across methods:
// every method iterating to tolerance returns an orthonormal U (an orthonormal completion on the
// null space of A), the unique H, `converged` exactly when U meets the acceptance level, and
// rank = the number of singular values above max(m, n)·ε·σ_max.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "polarkit/polar.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit {
namespace {

using testkit::eps;

const Method to_tolerance[] = {Method::svd,         Method::newton_schulz, Method::quintic,
                               Method::polar_express, Method::polar_express_adaptive,
                               Method::newton,      Method::qdwh,          Method::zolo,
                               Method::automatic};

template <class T>
PolarResult<T> solve(const Matrix<T>& A, Method method) {
  PolarOptions o;
  o.method = method;
  o.backward_error = true;
  return polar(A, o);
}

// What every method must give for an A of numerical rank r: U orthonormal to the bar of the
// test suite (13ε per √k, k = min(m, n)), A = UH to rounding, H symmetric, and the rank.
template <class T>
void expect_rank_and_orthonormal_u(const Matrix<T>& A, int rank, const std::string& what) {
  const double k = static_cast<double>(std::min(A.rows(), A.cols()));
  for (const Method method : to_tolerance) {
    const auto r = solve(A, method);
    const std::string where = what + ", " + std::string(method_name(method));
    EXPECT_EQ(r.info.rank, rank) << where;
    EXPECT_TRUE(r.info.converged) << where;
    EXPECT_LE(testkit::orthogonality_fro(r.U.view()) / std::sqrt(k), 13 * eps<T>) << where;
    // The report agrees: converged means ‖UᵀU − I‖_F within the acceptance level, 100× the
    // rounding floor min(k, 8√k)·u, i.e. at most 50·k·ε.
    EXPECT_LE(r.info.ortho_error_fro, 50 * k * eps<T>) << where;
    EXPECT_LE(testkit::backward_error(A, r.U, r.H), 13 * std::sqrt(k) * eps<T>) << where;
    EXPECT_LE(testkit::asymmetry<T>(r.H.view()), 10 * eps<T>) << where;
  }
}

template <class T>
void rank_deficient_inputs() {
  Matrix<T> ones(4, 3);  // rank 1
  for (index_t i = 0; i < 4; ++i) {
    for (index_t j = 0; j < 3; ++j) ones(i, j) = T(1);
  }
  expect_rank_and_orthonormal_u(ones, 1, "4x3 of ones");
  Matrix<T> wide(3, 4);  // its transpose: the wide orientation
  for (index_t i = 0; i < 3; ++i) {
    for (index_t j = 0; j < 4; ++j) wide(i, j) = T(1);
  }
  expect_rank_and_orthonormal_u(wide, 1, "3x4 of ones");
  // Rank 20 of 30, tall: a product of Gaussian factors.
  const auto F = testkit::gaussian<T>(40, 20, 21);
  const auto G = testkit::gaussian<T>(20, 30, 22);
  Matrix<T> P(40, 30);
  for (index_t i = 0; i < 40; ++i) {
    for (index_t j = 0; j < 30; ++j) {
      double s = 0.0;
      for (index_t p = 0; p < 20; ++p) s += double(F(i, p)) * double(G(p, j));
      P(i, j) = static_cast<T>(s);
    }
  }
  expect_rank_and_orthonormal_u(P, 20, "40x30 of rank 20");
}

TEST(Rank, RankDeficientInputsGiveAnOrthonormalUFromEveryMethodDouble) {
  rank_deficient_inputs<double>();
}
TEST(Rank, RankDeficientInputsGiveAnOrthonormalUFromEveryMethodFloat) {
  rank_deficient_inputs<float>();
}

// A single nonzero entry (the JAX suite's case): rank 1, and U's entry there is exactly 1 in
// float too (QDWH's partial isometry had 0.99999988; the SVD's completion has 1).
TEST(Rank, ASingleNonzeroEntryGivesAnExactOneInFloat) {
  Matrix<float> A(5, 3);
  A(3, 1) = 2.5f;
  for (const Method method : to_tolerance) {
    const auto r = solve(A, method);
    EXPECT_EQ(r.info.rank, 1) << method_name(method);
    EXPECT_EQ(r.U(3, 1), 1.0f) << method_name(method);
    EXPECT_EQ(r.H(1, 1), 2.5f) << method_name(method);
  }
}

// diag(1e300, 1e-300): σ_min/σ_max = 1e-600 is far below ε, so the rank is 1; before, QDWH,
// Zolo-PD and auto reported converged with ‖UᵀU − I‖ = 1.
TEST(Rank, ExtremeMagnitudesCountAsRankOne) {
  Matrix<double> A(2, 2);
  A(0, 0) = 1e300;
  A(1, 1) = 1e-300;
  expect_rank_and_orthonormal_u(A, 1, "diag(1e300, 1e-300)");
}

// κ = 1e20 with geometric σ: the singular values below 100·ε·σ_max (a third of them) are zero
// to working precision. Every method reports the SVD's count; Zolo-PD, whose two steps left
// ‖UᵀU − I‖ at 0.3 here, returns an orthonormal U like the rest.
TEST(Rank, NumericallySingularInputsReportTheSvdCount) {
  const index_t n = 100;
  const auto sigma = testkit::geometric_spectrum(n, 1e20);
  const auto A = testkit::with_singular_values<double>(n, n, sigma, 23);
  const double threshold = double(n) * eps<double> * sigma.front();
  int rank = 0;
  for (const double s : sigma) rank += s > threshold ? 1 : 0;
  ASSERT_GT(rank, 50);
  ASSERT_LT(rank, 80);
  // The computed singular values of the formed A differ from sigma by rounding; none lies near
  // the threshold here (the nearest is a factor 1.6 away).
  expect_rank_and_orthonormal_u(A, rank, "kappa 1e20");
}

// Full rank: n at no cost for every method iterating to tolerance (no SVD: no "rank" phase);
// a fixed budget determines nothing (−1).
TEST(Rank, FullRankIsNAndFixedBudgetsDoNotDetermineIt) {
  const index_t n = 40;
  for (const double kappa : {1.0, 1e3}) {
    const auto A = testkit::with_singular_values<double>(n + 5, n, testkit::geometric_spectrum(n, kappa), 24);
    for (const Method method : to_tolerance) {
      const auto r = solve(A, method);
      const std::string where = std::string(method_name(method)) + " kappa " + std::to_string(kappa);
      EXPECT_EQ(r.info.rank, n) << where;
      EXPECT_TRUE(r.info.converged) << where;
      for (const PhaseTime& p : r.info.phases) EXPECT_NE(p.name, "rank") << where;
    }
    PolarOptions o;
    o.method = Method::muon;
    EXPECT_EQ(polar(A, o).info.rank, -1);
    o.method = Method::polar_express;
    o.steps = 5;
    EXPECT_EQ(polar(A, o).info.rank, -1);
  }
  Matrix<double> zero(3, 2);
  EXPECT_EQ(solve(zero, Method::qdwh).info.rank, 0);
}

// Float: the Gram matrix resolves κ only up to ≈ 1/√(n·u); beyond it a Newton–Schulz run's rank
// comes from a QR bound (one QR, no SVD) and is n below the singular threshold.
TEST(Rank, FloatBeyondTheGramResolutionTakesTheQrBound) {
  const index_t n = 60;
  const auto A = testkit::with_singular_values<float>(n, n, testkit::geometric_spectrum(n, 2e3), 25);
  const auto r = solve(A, Method::polar_express_adaptive);
  EXPECT_EQ(r.info.rank, n);
  EXPECT_TRUE(r.info.converged);
  EXPECT_EQ(r.info.method_used, Method::polar_express_adaptive);
  bool rank_phase = false;
  for (const PhaseTime& p : r.info.phases) rank_phase = rank_phase || p.name == "rank";
  EXPECT_TRUE(rank_phase);
}

}  // namespace
}  // namespace polarkit
