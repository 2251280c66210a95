// The Lanczos σ estimates and the tridiagonal eigenvalue kernel behind e_j.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/linalg/lanczos.hpp"
#include "core/linalg/orthogonality.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"

namespace polarkit::detail {
namespace {

TEST(Tridiagonal, ExtremesOfTheSecondDifferenceMatrix) {
  // tridiag(−1, 2, −1) of order k has eigenvalues 2 − 2cos(jπ/(k+1)).
  for (std::size_t k : {1u, 2u, 5u, 40u}) {
    std::vector<double> diag(k, 2.0), off(k - 1, -1.0);
    const auto e = tridiagonal_extremes(diag, off);
    const double h = std::numbers::pi / double(k + 1);
    EXPECT_NEAR(e.min, 2 - 2 * std::cos(h), 1e-14) << k;
    EXPECT_NEAR(e.max, 2 - 2 * std::cos(double(k) * h), 1e-14) << k;
  }
}

template <class T>
Extremes lanczos_of(const Matrix<T>& S) {
  Backend<T>& be = backend_for<T>(MemorySpace::host);
  Ops<T> ops(be);
  Lanczos<T> lanczos(ops, S.rows());
  return lanczos.extremes([&](MatrixView<const T> x, MatrixView<T> y) { ops.gemm(1.0, S.view(), x, 0.0, y); });
}

TEST(Lanczos, ExactForSmallMatricesAndDiagonalOnes) {
  // n ≤ 40 steps: the Krylov space is the whole space, so the extremes are exact.
  Matrix<double> D(30, 30);
  for (index_t i = 0; i < 30; ++i) D(i, i) = 1.0 + double(i) / 10.0;
  const auto e = lanczos_of(D);
  // Exact up to the rounding of the recurrence and of the bisection: c·n·u·‖D‖.
  const double bar = 4.0 * 30 * testkit::eps<double> * 3.9;
  EXPECT_NEAR(e.min, 1.0, bar);
  EXPECT_NEAR(e.max, 3.9, bar);
}

TEST(Lanczos, TightOnAGramMatrixOfSize300) {
  const index_t n = 300;
  const auto X = testkit::with_singular_values<double>(n, n, testkit::geometric_spectrum(n, 30.0), 4);
  Backend<double>& be = backend_for<double>(MemorySpace::host);
  Ops<double> ops(be);
  OrthogonalityMeter<double> meter(ops, n);
  const GramSpectrum s = meter.measure(X.view());
  // σ from 1 down to 1/30: λ(XᵀX) in [1/900, 1]; Ritz values are inside (up to the rounding of
  // G = XᵀX, n·u) and, after 40 steps on this geometric spectrum, within 1% of the ends
  // (docs/algorithms.md promises 10% for e_j's 2-norm estimate in general).
  const double rounding = double(n) * testkit::eps<double>;
  EXPECT_LE(s.lambda_max, 1.0 + rounding);
  EXPECT_GE(s.lambda_max, 0.99);
  EXPECT_GE(s.lambda_min, 1.0 / 900 - rounding);
  EXPECT_LE(s.lambda_min, 2.0 / 900);
  EXPECT_NEAR(s.e_two, 1.0 - 1.0 / 900, 0.01 * (1.0 - 1.0 / 900));
  EXPECT_NEAR(s.e_fro, testkit::orthogonality_fro<double>(X.view()), rounding * s.e_fro);
}

}  // namespace
}  // namespace polarkit::detail
