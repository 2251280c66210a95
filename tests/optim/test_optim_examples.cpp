// The optimizer experiments of examples/ (docs/optimizers.md, "Experiments"): the problems'
// losses and gradients against their definitions, and the acceptance criteria of the
// optimizer-step issue on the matrix quadratic regression:
//   PolarGrad (double, exact oracle, X₀ = 0, γ = 1/(L·r)) has f/f(0) < 1e-3 after 1000 steps,
//   < 1e-4 after 2000 steps, and f never increases; Muon with a constant step 0.1 plateaus
//   (f changes by less than 1 % over its last 500 of 2000 steps).
// The thresholds are the issue's; they are not tuned to the measurements.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "experiments.hpp"
#include "testkit/random.hpp"

namespace ex = polarkit::examples;
using polarkit::index_t;
using polarkit::Matrix;

namespace {

double max_abs_diff(const Matrix<double>& A, const Matrix<double>& B) {
  double d = 0.0;
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) d = std::max(d, std::abs(A(i, j) - B(i, j)));
  }
  return d;
}

double max_abs(const Matrix<double>& A) {
  double d = 0.0;
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) d = std::max(d, std::abs(A(i, j)));
  }
  return d;
}

ex::Params params_of(const Matrix<double>& X) {
  ex::Params params;
  params.emplace_back(X.rows(), X.cols());
  std::copy(X.data(), X.data() + X.rows() * X.cols(), params[0].data());
  return params;
}

// The problem: seed 42, X 500×100, A 1000×500, B 100×250 (built once: C, the Gram
// matrices and AᵀCBᵀ cost about 0.8 GFlop).
const ex::QuadraticRegression& regression() {
  static const ex::QuadraticRegression problem(42);
  return problem;
}

// Where f first increases (k with f_{k+1} > f_k), −1 if never.
long first_increase(const std::vector<double>& f) {
  for (std::size_t k = 0; k + 1 < f.size(); ++k) {
    if (!(f[k + 1] <= f[k])) return static_cast<long>(k);
  }
  return -1;
}

// --- the problems -----------------------------------------------------------------------------

TEST(ExampleQuadraticRegression, LossAndGradientMatchTheirDefinitions) {
  const ex::QuadraticRegression& p = regression();
  // At X₀ = 0 and at a random point; then at X* (f = 0 and ∇f = 0 up to rounding).
  std::vector<Matrix<double>> points;
  points.emplace_back(500, 100);
  points.push_back(polarkit::testkit::splitmix_gaussian(500, 100, 7));
  for (const Matrix<double>& X : points) {
    const ex::Params params = params_of(X);
    ex::Params G;
    const double f = p.loss(params, &G);
    const double f_ref = p.loss_from_residual(X);
    EXPECT_NEAR(f, f_ref, 1e-12 * f_ref);
    const Matrix<double> G_ref = p.gradient_from_residual(X);
    EXPECT_LE(max_abs_diff(G[0], G_ref), 1e-11 * max_abs(G_ref));
  }
  // X*: the minimiser, f(X*) = 0 and ∇f(X*) = 0 up to rounding.
  const ex::Params star = params_of(p.X_star());
  ex::Params G;
  const double f_star = p.loss(star, &G);
  const double f0 = p.loss(p.initial_point(), nullptr);
  EXPECT_LT(std::abs(f_star), 1e-12 * f0);
  EXPECT_LE(max_abs(G[0]), 1e-12 * max_abs(p.gradient_from_residual(Matrix<double>(500, 100))));
  EXPECT_LT(p.loss_from_residual(p.X_star()), 1e-20 * f0);
}

TEST(ExampleQuadraticRegression, SmoothnessConstantAndGradientRank) {
  const ex::QuadraticRegression& p = regression();
  // L = λ_max(AᵀA)·λ_max(BBᵀ) = ‖A‖₂²·‖B‖₂², checked against LAPACK singular values of A and B.
  const double sa = ex::singular_values(p.A()).front();
  const double sb = ex::singular_values(p.B()).front();
  EXPECT_NEAR(p.lipschitz(), sa * sa * sb * sb, 1e-12 * p.lipschitz());
  const double ma = ex::singular_values(p.A()).back();
  const double mb = ex::singular_values(p.B()).back();
  EXPECT_NEAR(p.strong_convexity(), ma * ma * mb * mb, 1e-10 * p.strong_convexity());
  // r = rank of the gradient: min(500, 100) = 100 bounds every gradient's rank, and ∇f(X₀)
  // attains it, so 1/(L·r) is the theorem's step at every iteration.
  ex::Params G;
  p.loss(p.initial_point(), &G);
  EXPECT_EQ(ex::numerical_rank(G[0]), 100);
  EXPECT_EQ(p.gradient_rank_bound(), 100);
}

TEST(ExampleMatrixCompletion, GradientMatchesFiniteDifferences) {
  const ex::MatrixCompletion p(42, 60, 40, 3, 0.3);  // small: central differences entry by entry
  const ex::Params X = p.initial_point();
  ex::Params G;
  const double f = p.loss(X, &G);
  EXPECT_GT(f, 0.0);
  for (std::size_t which = 0; which < 2; ++which) {
    for (index_t i = 0; i < X[which].rows(); i += 7) {
      for (index_t j = 0; j < X[which].cols(); ++j) {
        ex::Params Xp = p.initial_point(), Xm = p.initial_point();
        const double h = 1e-6;
        Xp[which](i, j) += h;
        Xm[which](i, j) -= h;
        const double fd = (p.loss(Xp, nullptr) - p.loss(Xm, nullptr)) / (2 * h);
        EXPECT_NEAR(G[which](i, j), fd, 1e-7 * (1.0 + std::abs(fd)))
            << which << ' ' << i << ' ' << j;
      }
    }
  }
  // The local smoothness bound dominates the curvature along the gradient: f(X − G/L) ≤ f(X) −
  // ‖G‖²/(2L).
  const double L = p.smoothness(X);
  double g2 = 0.0;
  ex::Params Y = p.initial_point();
  for (std::size_t w = 0; w < 2; ++w) {
    for (index_t j = 0; j < Y[w].cols(); ++j) {
      for (index_t i = 0; i < Y[w].rows(); ++i) {
        g2 += G[w](i, j) * G[w](i, j);
        Y[w](i, j) -= G[w](i, j) / L;
      }
    }
  }
  EXPECT_LE(p.loss(Y, nullptr), f - g2 / (2 * L));
}

TEST(ExampleOutput, CsvHasOneRowPerIterationAndTheSvgOneLinePerRun) {
  std::vector<ex::Run> runs(2);
  runs[0].name = "a";
  runs[0].loss = {4.0, 2.0, 1.0};
  runs[1].name = "b, with comma";
  runs[1].loss = {4.0, std::nan(""), 3.0};
  std::ostringstream csv;
  ex::write_csv(csv, runs);
  EXPECT_EQ(csv.str(), "iteration,\"a\",\"b, with comma\"\n0,4,4\n1,2,\n2,1,3\n");
  const std::string svg = ex::loss_plot_svg("t", "s", runs);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  // a: one polyline; b: broken at the NaN into two pieces.
  std::size_t lines = 0;
  for (std::size_t at = svg.find("<polyline"); at != std::string::npos;
       at = svg.find("<polyline", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 3u);
}

// --- acceptance ---------------------------------------------------------------------------

void expect_polargrad_acceptance(const ex::Optimizer& optimizer) {
  const ex::QuadraticRegression& p = regression();
  const ex::Run run = ex::run(p, optimizer, 2000);
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  const double f0 = run.loss[0];
  const double r1000 = run.loss[1000] / f0;
  const double r2000 = run.loss[2000] / f0;
  std::printf(
      "%s: gamma = 1/(L r) = %.6e, f_1000/f_0 = %.4e, f_2000/f_0 = %.4e, %.1f s "
      "(%.2f ms/step)\n",
      optimizer.name.c_str(), 1.0 / (p.lipschitz() * 100.0), r1000, r2000, run.seconds,
      1e3 * run.seconds / 2000.0);
  EXPECT_LT(r1000, 1e-3);
  EXPECT_LT(r2000, 1e-4);
  const long k = first_increase(run.loss);
  EXPECT_EQ(k, -1) << "f increases at step " << k
                   << ": f_k = " << run.loss[static_cast<std::size_t>(std::max(k, 0L))]
                   << ", f_{k+1} = " << run.loss[static_cast<std::size_t>(std::max(k, 0L)) + 1];
}

// Exact oracle, ν = ‖G‖_* = tr(H): the SVD polar factor.
TEST(OptimAcceptanceQuadraticRegression, PolarGradNuclearSvdConvergesMonotonically) {
  expect_polargrad_acceptance(ex::polargrad_nuclear_svd());
}

// Config::polargrad() with momentum 0: QDWH (converged to working precision), ν = ⟨U, G⟩.
TEST(OptimAcceptanceQuadraticRegression, PolarGradDefaultConfigConvergesMonotonically) {
  ex::Optimizer o = ex::polargrad_inner_qdwh();
  polarkit::optim::Config expected = polarkit::optim::Config::polargrad();
  expected.momentum = 0.0;
  ASSERT_EQ(o.config.kind, expected.kind);
  ASSERT_EQ(o.config.nu, expected.nu);
  ASSERT_EQ(o.config.oracle.method, expected.oracle.method);
  ASSERT_EQ(o.config.weight_decay, expected.weight_decay);
  expect_polargrad_acceptance(o);
}

// Muon, constant step 0.1 (scale none, no momentum, no weight decay), exact SVD oracle: the
// step has spectral norm 0.1 however small the gradient, so f stalls at a floor.
TEST(OptimAcceptanceQuadraticRegression, MuonConstantStepPlateaus) {
  const ex::QuadraticRegression& p = regression();
  const ex::Run run = ex::run(p, ex::muon_constant(0.1, /*exact_oracle=*/true), 2000);
  ASSERT_TRUE(run.failure.empty()) << run.failure;
  const double f0 = run.loss[0];
  const auto last = std::vector<double>(run.loss.begin() + 1500, run.loss.end());
  const double lo = *std::min_element(last.begin(), last.end());
  const double hi = *std::max_element(last.begin(), last.end());
  const double change = std::abs(run.loss[2000] - run.loss[1500]) / run.loss[1500];
  std::printf(
      "Muon lr 0.1 (SVD): f_1500/f_0 = %.4e, f_2000/f_0 = %.4e, |f_2000 - f_1500|/f_1500 = "
      "%.2e, (max - min)/min over steps 1500..2000 = %.2e, %.1f s\n",
      run.loss[1500] / f0, run.loss[2000] / f0, change, (hi - lo) / lo, run.seconds);
  // "f changes by less than 1 % over its last 500 steps": every value of f_1500..f_2000 lies
  // within 1 % of every other (which implies |f_2000 − f_1500| < 1 %).
  EXPECT_LT(change, 0.01);
  EXPECT_LT((hi - lo) / lo, 0.01);
}

}  // namespace
