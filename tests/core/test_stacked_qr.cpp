// The stacked product Q₁Q₂ᵀ for [ρX; I] = [Q₁; Q₂]R, by its two routes: the corrected Cholesky
// QR must agree with the Householder QR to the conditioning of the stack times rounding where it
// is taken, and must decline (leaving Y as it was) where its correction would not suffice.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/kernels/backends.hpp"
#include "core/linalg/stacked_qr.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit::detail {
namespace {

struct Routes {
  Matrix<double> householder;
  Matrix<double> cholesky;  // empty where the Cholesky route declined
  bool suits = false;
  bool unchanged = false;  // Y bit for bit as before when declined
};

// X with singular values from 1 down to 1/kappa (‖X‖₂ = 1, as the iterations keep it), G = XᵀX.
Routes both_routes(index_t m, index_t n, double kappa, double rho) {
  Backend<double>& be = backend_for<double>(MemorySpace::host);
  Ops<double> ops(be);
  const Matrix<double> X =
      polarkit::testkit::with_singular_values<double>(m, n, polarkit::testkit::geometric_spectrum(n, kappa), 7);
  Matrix<double> G(n, n);
  ops.gram(1.0, X.view(), 0.0, G.view());
  StackedQr<double> stacked(ops, m, n);
  Routes r;
  r.householder = Matrix<double>(m, n);
  be.copy(0.5, X.view(), r.householder.view());  // Y starts nonzero: the routes accumulate
  Matrix<double> Y = polarkit::testkit::clone(r.householder);
  stacked.accumulate(rho, X.view(), 0.75, r.householder.view());
  r.suits = cholesky_route_suits(rho, n, polarkit::detail::unit_roundoff<double>);
  if (stacked.accumulate_by_cholesky(rho, X.view(), G.view(), 0.75, Y.view())) {
    r.cholesky = std::move(Y);
  } else {
    bool same = true;
    for (index_t j = 0; j < n; ++j) {
      for (index_t i = 0; i < m; ++i) same = same && Y(i, j) == 0.5 * X(i, j);
    }
    r.unchanged = same;
  }
  return r;
}

TEST(StackedQr, CholeskyRouteAgreesWithHouseholderWhereItIsTaken) {
  const double u = polarkit::testkit::eps<double> / 2;
  // ρ² = c of QDWH's first step at κ = 1e3 (1.6e4) and of its second at κ = 1e12 (1.0e5).
  for (const double c : {1.6e4, 1.0e5}) {
    for (const auto& [m, n] : {std::pair<index_t, index_t>{160, 160}, {240, 160}}) {
      const Routes r = both_routes(m, n, 1e3, std::sqrt(c));
      const std::string what = "c=" + std::to_string(c) + " m=" + std::to_string(m);
      EXPECT_TRUE(r.suits) << what;
      ASSERT_FALSE(r.cholesky.empty()) << what;
      // Both are the projector block of the stack's range from a basis orthonormal to about
      // n·u: they agree to a few n·u (measured 0.9–2.1·n·u). Without the correction the
      // Cholesky route is off by E ≈ c·u (measured 29–150·n·u here), which this bar catches.
      const double bar = 4.0 * static_cast<double>(n) * u;
      EXPECT_LE(polarkit::testkit::relative_difference(r.cholesky.view(), r.householder.view()), bar)
          << what;
    }
  }
}

TEST(StackedQr, CholeskyRouteDeclinesWhereTheStackIsIllConditioned) {
  // ρ² = 1e12 (κ of the stack 1e6): E ≈ 1e-4, far above √u/4, or no Cholesky factor at all.
  const Routes r = both_routes(160, 160, 1e8, 1e6);
  EXPECT_FALSE(r.suits);
  EXPECT_TRUE(r.cholesky.empty());
  EXPECT_TRUE(r.unchanged);
}

TEST(StackedQr, TriangularInverseAgreesWithTheGenericSolve) {
  // The CPU backend's trtri against the default every backend has (a solve against I), on the
  // Cholesky factor R of I + 1e4·XᵀX (κ(R) ≤ 100): both are R⁻¹ to c·n·u·κ(R).
  Backend<double>& be = backend_for<double>(MemorySpace::host);
  Ops<double> ops(be);
  const index_t n = 150;
  const Matrix<double> X = polarkit::testkit::gaussian<double>(n, n, 3);
  Matrix<double> R(n, n);
  ops.gram(1e4 / static_cast<double>(n), X.view(), 0.0, R.view());
  be.add_diagonal(1.0, R.view());
  ASSERT_TRUE(be.cholesky(R.view()));
  Matrix<double> fast(n, n);
  Matrix<double> generic(n, n);
  be.invert_upper(R.view(), fast.view());
  be.Backend<double>::invert_upper(R.view(), generic.view());
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = j + 1; i < n; ++i) ASSERT_EQ(fast(i, j), 0.0) << i << "," << j;
  }
  const double bar = 100.0 * static_cast<double>(n) * polarkit::testkit::eps<double>;
  EXPECT_LE(polarkit::testkit::relative_difference(fast.view(), generic.view()), bar);
}

TEST(StackedQr, FloatSuitsAboveTheCholeskyStepLimitOnlyForTinyN) {
  const double u = polarkit::detail::unit_roundoff<float>;
  EXPECT_TRUE(cholesky_route_suits(std::sqrt(120.0), 16, u));
  for (const index_t n : {27, 64, 1024}) {
    EXPECT_FALSE(cholesky_route_suits(std::sqrt(100.0), n, u)) << n;
  }
}

}  // namespace
}  // namespace polarkit::detail
