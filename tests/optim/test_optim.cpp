// The optimizer layer: Muon against a plain-loop reference of the conventions in docs/optimizers.md, PolarGrad's ν,
// null-gradient consistency, the conv-weight view, the LMOs and the spectral power map against
// their SVD definitions, the batched step, the kernels added for them, and the error paths.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "core/kernels/backend.hpp"
#include "optim/kernels.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/polar.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit::optim {
namespace {

using Mat = Matrix<double>;
using testkit::clone;
using testkit::eps;

// Tolerances (the largest values measured are noted; see the tests for the sizes):
// - the same arithmetic in another order (layouts, update formulas written out): a few roundings
//   of O(1) quantities per entry (measured ≤ 2ε);
constexpr double reordered = 8 * eps<double>;
// - two codes whose length-n products round differently (an independent Newton–Schulz, ⟨U, G⟩
//   against tr(H), LAPACK's singular values): c·n·ε (measured ≤ 7ε at n = 25);
double products_bar(index_t n) { return 8.0 * static_cast<double>(n) * eps<double>; }
// - two backward-stable polar factors (ours against LAPACK's SVD), as in tests/core/test_polar.cpp:
//   10·κ·ε (measured ≤ 14ε at κ = 10).
double polar_bar(double kappa) { return 10.0 * kappa * eps<double>; }

// ---- plain-loop helpers ------------------------------------------------------------------------

Mat product(const Mat& A, const Mat& B) {
  Mat C(A.rows(), B.cols());
  for (index_t i = 0; i < A.rows(); ++i) {
    for (index_t j = 0; j < B.cols(); ++j) {
      double s = 0.0;
      for (index_t k = 0; k < A.cols(); ++k) s += A(i, k) * B(k, j);
      C(i, j) = s;
    }
  }
  return C;
}

Mat transpose(const Mat& A) {
  Mat T(A.cols(), A.rows());
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) T(j, i) = A(i, j);
  }
  return T;
}

double fro(MatrixView<const double> A) {
  double s = 0.0;
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) s += A(i, j) * A(i, j);
  }
  return std::sqrt(s);
}
double fro(const Mat& A) { return fro(A.view()); }

// ‖X − Y‖_F / ‖Y‖_F for any layouts and element types.
template <class VX, class VY>
double rel(VX X, VY Y) {
  return testkit::relative_difference(X, Y);
}
double rel(const Mat& X, const Mat& Y) { return rel(X.view(), Y.view()); }

template <class VX, class VY>
bool identical(VX X, VY Y) {
  for (index_t j = 0; j < Y.cols(); ++j) {
    for (index_t i = 0; i < Y.rows(); ++i) {
      if (X(i, j) != Y(i, j)) return false;
    }
  }
  return true;
}

template <class V>
bool all_finite(V X) {
  for (index_t j = 0; j < X.cols(); ++j) {
    for (index_t i = 0; i < X.rows(); ++i) {
      if (!std::isfinite(X(i, j))) return false;
    }
  }
  return true;
}

Mat scaled(const Mat& A, double t) {
  Mat B = clone(A);
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) B(i, j) = t * A(i, j);
  }
  return B;
}

// A thin SVD from LAPACK (the CPU backend's gesdd): A = P·diag(s)·Qᵀ.
struct Svd {
  Mat P;
  std::vector<double> s;
  Mat Q;
};
Svd lapack_svd(MatrixView<const double> A) {
  auto& be = polarkit::detail::backend_for<double>(MemorySpace::host);
  if (A.rows() >= A.cols()) {
    Mat W(A.rows(), A.cols());
    Mat Vt(A.cols(), A.cols());
    auto s = be.svd(A, W.view(), Vt.view());
    return {std::move(W), std::move(s), transpose(Vt)};
  }
  Mat W(A.cols(), A.rows());
  Mat Vt(A.rows(), A.rows());
  auto s = be.svd(A.transposed(), W.view(), Vt.view());  // Aᵀ = W·S·Vt ⇒ A = Vtᵀ·S·Wᵀ
  return {transpose(Vt), std::move(s), std::move(W)};
}

// P·diag(f(s))·Qᵀ.
template <class F>
Mat from_svd(const Svd& d, F&& f) {
  Mat PS = clone(d.P);
  for (index_t j = 0; j < PS.cols(); ++j) {
    for (index_t i = 0; i < PS.rows(); ++i) PS(i, j) *= f(d.s[static_cast<std::size_t>(j)]);
  }
  return product(PS, transpose(d.Q));
}

// U·H^p by its definition: P·diag(σ^p)·Qᵀ (σ^0 = 1: full-rank inputs for p = 0).
Mat spectral_power_by_svd(MatrixView<const double> A, double p) {
  return from_svd(lapack_svd(A), [&](double s) { return std::pow(s, p); });
}

// ---- Muon: the reference written from the formulas ---------------------------------------------

// `steps` Newton–Schulz steps of the quintic table (the last entry repeated) from
// X₀ = D/max(‖D‖_F, eps), in the wide orientation of muon.py and torch.optim.Muon:
// A = XXᵀ, B = bA + cA², X ← aX + BX.
Mat ns_reference(const Mat& D, const std::vector<polarkit::Quintic>& table, int steps, double eps) {
  const bool tall = D.rows() > D.cols();
  Mat X = tall ? transpose(D) : clone(D);
  X = scaled(X, 1.0 / std::max(fro(X), eps));
  for (int step = 0; step < steps; ++step) {
    const polarkit::Quintic q = table[std::min<std::size_t>(static_cast<std::size_t>(step), table.size() - 1)];
    const Mat A = product(X, transpose(X));
    const Mat A2 = product(A, A);
    Mat B(A.rows(), A.cols());
    for (index_t j = 0; j < A.cols(); ++j) {
      for (index_t i = 0; i < A.rows(); ++i) B(i, j) = q.b * A(i, j) + q.c * A2(i, j);
    }
    const Mat BX = product(B, X);
    for (index_t j = 0; j < X.cols(); ++j) {
      for (index_t i = 0; i < X.rows(); ++i) X(i, j) = q.a * X(i, j) + BX(i, j);
    }
  }
  if (tall) return transpose(X);
  return X;
}

// msign by 5 of Keller Jordan's quintic steps, normalised as torch.optim.Muon does.
Mat jordan_ns5(const Mat& D, double eps) { return ns_reference(D, {{3.4445, -4.7750, 2.0315}}, 5, eps); }

double reference_scale(Scale s, double rows, double cols) {
  switch (s) {
    case Scale::none:
      return 1.0;
    case Scale::original:
      return std::sqrt(std::max(1.0, rows / cols));
    case Scale::moonlight:
      return 0.2 * std::sqrt(std::max(rows, cols));
    case Scale::spectral:
      return std::sqrt(rows / cols);
  }
  return 0.0;
}

// One Muon step on W and M (updated in place); returns ‖W_new − W_old‖_F as the formula gives it.
double reference_muon_step(const Config& c, Mat& W, const Mat& G, Mat& M) {
  const double beta = c.momentum;
  Mat D(G.rows(), G.cols());
  for (index_t j = 0; j < G.cols(); ++j) {
    for (index_t i = 0; i < G.rows(); ++i) {
      M(i, j) = beta * M(i, j) + (1.0 - beta) * G(i, j);
      D(i, j) = c.nesterov ? beta * M(i, j) + (1.0 - beta) * G(i, j) : M(i, j);
    }
  }
  const Mat O = c.oracle.coefficients.empty()
                    ? jordan_ns5(D, c.eps)
                    : ns_reference(D, c.oracle.coefficients, c.oracle.steps, c.eps);
  const double s = reference_scale(c.scale, double(G.rows()), double(G.cols()));
  Mat delta(W.rows(), W.cols());
  for (index_t j = 0; j < W.cols(); ++j) {
    for (index_t i = 0; i < W.rows(); ++i) {
      const double updated = W(i, j) * (1.0 - c.lr * c.weight_decay) - c.lr * s * O(i, j);
      delta(i, j) = -c.lr * c.weight_decay * W(i, j) - c.lr * s * O(i, j);
      W(i, j) = updated;
    }
  }
  return fro(delta);
}

TEST(Muon, DefaultsFollowTorchOptimMuon) {
  const Config c;
  EXPECT_EQ(c.kind, Kind::muon);
  EXPECT_EQ(c.lr, 1e-3);
  EXPECT_EQ(c.momentum, 0.95);
  EXPECT_TRUE(c.nesterov);
  EXPECT_EQ(c.weight_decay, 0.1);
  EXPECT_EQ(c.scale, Scale::original);
  EXPECT_EQ(c.oracle.method, Method::muon);
  EXPECT_EQ(c.oracle.steps, 5);
  EXPECT_EQ(c.eps, 1e-7);
  EXPECT_TRUE(c.oracle.coefficients.empty());
}

TEST(Muon, TheCallersCoefficientsRunAsGiven) {
  const Mat G = testkit::gaussian<double>(28, 18, 31);
  const Mat W0 = testkit::gaussian<double>(28, 18, 32);
  // Jordan's triple given explicitly is the default, bit for bit.
  Config given;
  given.oracle.coefficients = {{3.4445, -4.7750, 2.0315}};
  Mat W1 = clone(W0);
  Mat M1(28, 18);
  Mat W2 = clone(W0);
  Mat M2(28, 18);
  step(Config{}, W1.view(), G.view(), M1.view());
  step(given, W2.view(), G.view(), M2.view());
  EXPECT_TRUE(identical(W1.view(), W2.view()));
  // A per-step table (Polar Express-like: steep first, then the cubic), with the budget it
  // implies and with an explicit one that repeats the last entry.
  for (int steps : {0, 6}) {
    Config table;
    table.oracle.coefficients = {{4.0, -6.0, 2.5}, {3.0, -3.2, 1.2}, {1.5, -0.5, 0.0}};
    table.oracle.steps = steps;
    table.momentum = 0.0;
    Mat W = clone(W0);
    Mat W_ref = clone(W0);
    Mat M_ref(28, 18);
    const StepReport r = step(table, W.view(), G.view(), MatrixView<double>());
    Config reference = table;
    reference.oracle.steps = steps == 0 ? 3 : steps;
    reference_muon_step(reference, W_ref, G, M_ref);
    EXPECT_EQ(r.oracle.iterations, steps == 0 ? 3 : steps);
    EXPECT_LE(rel(W, W_ref), products_bar(28)) << "steps " << steps;
  }
}

TEST(Muon, OracleOptionsRejectATableOutsideMuonAndBadFloors) {
  const Mat D = testkit::gaussian<double>(10, 6, 33);
  Mat U(10, 6);
  PolarOptions o;
  o.method = Method::qdwh;
  o.coefficients = {{1.5, -0.5, 0.0}};
  EXPECT_THROW(polarkit::polar<double>(D.view(), U.view(), MatrixView<double>(), o), polarkit::Error);
  o.method = Method::muon;
  o.coefficients = {{1.5, std::numeric_limits<double>::infinity(), 0.0}};
  EXPECT_THROW(polarkit::polar<double>(D.view(), U.view(), MatrixView<double>(), o), polarkit::Error);
  o.coefficients.clear();
  o.scale_floor = -1.0;
  EXPECT_THROW(polarkit::polar<double>(D.view(), U.view(), MatrixView<double>(), o), polarkit::Error);
  Config c;
  c.eps = std::numeric_limits<double>::quiet_NaN();
  Mat W = clone(D);
  Mat M(10, 6);
  EXPECT_THROW(step(c, W.view(), D.view(), M.view()), polarkit::Error);
  EXPECT_TRUE(identical(W.view(), D.view()));
}

struct MuonCase {
  index_t rows;
  index_t cols;
  bool nesterov;
  Scale scale;
  double weight_decay;
};

class MuonReference : public ::testing::TestWithParam<MuonCase> {};

TEST_P(MuonReference, ThreeStepsMatchTheFormulasTo1e12) {
  const MuonCase k = GetParam();
  Config c;
  c.lr = 0.05;
  c.momentum = 0.9;
  c.nesterov = k.nesterov;
  c.scale = k.scale;
  c.weight_decay = k.weight_decay;
  Mat W = scaled(testkit::gaussian<double>(k.rows, k.cols, 11), 0.1);
  Mat M(k.rows, k.cols);
  Mat W_ref = clone(W);
  Mat M_ref(k.rows, k.cols);
  for (int t = 0; t < 3; ++t) {
    const Mat G = testkit::gaussian<double>(k.rows, k.cols, 100 + static_cast<std::uint64_t>(t));
    const Mat G_before = clone(G);
    const StepReport r = step(c, W.view(), G.view(), M.view());
    const double norm_ref = reference_muon_step(c, W_ref, G, M_ref);
    EXPECT_TRUE(identical(G.view(), G_before.view())) << "G was modified";
    EXPECT_LE(rel(W, W_ref), products_bar(std::max(k.rows, k.cols))) << "step " << t;
    EXPECT_LE(rel(M, M_ref), reordered) << "step " << t;
    EXPECT_NEAR(r.update_norm, norm_ref, products_bar(std::max(k.rows, k.cols)) * norm_ref) << "step " << t;
    EXPECT_DOUBLE_EQ(r.scale, reference_scale(k.scale, double(k.rows), double(k.cols)));
    EXPECT_EQ(r.nu, 1.0);
    EXPECT_EQ(r.oracle.iterations, 5);
    EXPECT_EQ(r.oracle.method_used, Method::muon);
  }
}

std::vector<MuonCase> muon_cases() {
  std::vector<MuonCase> cases;
  const std::pair<index_t, index_t> shapes[] = {{36, 20}, {20, 36}, {24, 24}};
  for (auto [m, n] : shapes) {
    for (bool nesterov : {true, false}) {
      for (Scale s : {Scale::none, Scale::original, Scale::moonlight, Scale::spectral}) {
        for (double wd : {0.0, 0.1}) cases.push_back({m, n, nesterov, s, wd});
      }
    }
  }
  return cases;
}
INSTANTIATE_TEST_SUITE_P(Optim, MuonReference, ::testing::ValuesIn(muon_cases()));

TEST(Muon, NoMomentumTakesTheGradientAndAcceptsAnEmptyState) {
  Config c;
  c.momentum = 0.0;
  c.weight_decay = 0.0;
  c.lr = 0.1;
  Mat W = testkit::gaussian<double>(20, 12, 1);
  Mat W_ref = clone(W);
  const Mat G = testkit::gaussian<double>(20, 12, 2);
  step(c, W.view(), G.view(), MatrixView<double>());
  Mat M_ref(20, 12);
  reference_muon_step(c, W_ref, G, M_ref);
  EXPECT_LE(rel(W, W_ref), products_bar(20));
}

// ---- PolarGrad ---------------------------------------------------------------------------------

class PolarGradExact : public ::testing::TestWithParam<Method> {};

TEST_P(PolarGradExact, NuclearNuIsTheNuclearNormFromLapack) {
  for (auto [m, n] : {std::pair<index_t, index_t>{40, 25}, {25, 40}}) {
    Config c = Config::polargrad();
    c.oracle.method = GetParam();
    c.nu = Nu::nuclear;
    c.momentum = 0.0;
    const auto G =
        testkit::with_singular_values<double>(m, n, testkit::geometric_spectrum(25, 100), 5);
    Mat W = testkit::gaussian<double>(m, n, 6);
    const Mat W0 = clone(W);
    const StepReport r = step(c, W.view(), G.view(), MatrixView<double>());
    const auto s = lapack_svd(G.view()).s;
    const double nuclear = std::accumulate(s.begin(), s.end(), 0.0);
    EXPECT_NEAR(r.nu, nuclear, products_bar(25) * nuclear) << m << "x" << n;
    EXPECT_NEAR(r.oracle.nuclear_norm, nuclear, products_bar(25) * nuclear);
    // W ← W − lr·ν·U with U the polar factor (orthonormal: ‖U‖_F = √min(m, n)).
    const Mat U = from_svd(lapack_svd(G.view()), [](double) { return 1.0; });
    Mat expected = clone(W0);
    for (index_t j = 0; j < n; ++j) {
      for (index_t i = 0; i < m; ++i) expected(i, j) -= c.lr * nuclear * U(i, j);
    }
    EXPECT_LE(rel(W, expected), polar_bar(100));
    EXPECT_NEAR(r.update_norm, c.lr * nuclear * std::sqrt(25.0), products_bar(25) * r.update_norm);
  }
}
INSTANTIATE_TEST_SUITE_P(Optim, PolarGradExact, ::testing::Values(Method::svd, Method::qdwh),
                         [](const auto& param) { return std::string(method_name(param.param)); });

TEST(PolarGrad, InnerNuIsTheInnerProductWithTheReturnedOracleDirection) {
  for (auto [m, n] : {std::pair<index_t, index_t>{40, 25}, {25, 40}}) {
    Config c = Config::polargrad();
    c.oracle = Config::muon_oracle();  // an inexact oracle: Ũ is not the polar factor
    c.momentum = 0.0;
    const Mat G = testkit::gaussian<double>(m, n, 21);
    Mat W = testkit::gaussian<double>(m, n, 22);
    const Mat W0 = clone(W);
    const StepReport r = step(c, W.view(), G.view(), MatrixView<double>());
    const auto Ut = msign(G, c.oracle).U;
    double nu = 0.0;
    for (index_t j = 0; j < n; ++j) {
      for (index_t i = 0; i < m; ++i) nu += Ut(i, j) * G(i, j);
    }
    EXPECT_NEAR(r.nu, nu, reordered * nu);
    // Ũ is inexact, so ν differs visibly from ‖G‖_*.
    const auto s = lapack_svd(G.view()).s;
    EXPECT_GT(std::abs(nu - std::accumulate(s.begin(), s.end(), 0.0)), 1e-6 * nu);
    Mat expected = clone(W0);
    for (index_t j = 0; j < n; ++j) {
      for (index_t i = 0; i < m; ++i) expected(i, j) -= c.lr * nu * Ut(i, j);
    }
    EXPECT_LE(rel(W, expected), reordered);
    // ν = tr(H) = tr(ŨᵀG) is the same number: the nuclear option agrees up to rounding.
    c.nu = Nu::nuclear;
    Mat W2 = clone(W0);
    EXPECT_NEAR(step(c, W2.view(), G.view(), MatrixView<double>()).nu, nu, products_bar(n) * nu);
  }
}

TEST(PolarGrad, MomentumOrders) {
  const index_t m = 30;
  const index_t n = 18;
  Config c = Config::polargrad();
  c.momentum = 0.9;
  const Mat G1 = testkit::gaussian<double>(m, n, 31);
  const Mat G2 = testkit::gaussian<double>(m, n, 32);
  const auto polar_factor = [&](const Mat& D) { return msign(D, c.oracle).U; };
  const auto inner = [](const Mat& U, const Mat& D) {
    double s = 0.0;
    for (index_t j = 0; j < D.cols(); ++j) {
      for (index_t i = 0; i < D.rows(); ++i) s += U(i, j) * D(i, j);
    }
    return s;
  };
  for (bool nesterov : {false, true}) {
    // momentum-first: M ← βM + (1−β)G, D = M or βM + (1−β)G, W ← W − lr·⟨U, D⟩·U.
    c.order = MomentumOrder::momentum_first;
    c.nesterov = nesterov;
    Mat W = testkit::gaussian<double>(m, n, 33);
    Mat M(m, n);
    Mat W_ref = clone(W);
    Mat M_ref(m, n);
    for (const Mat* G : {&G1, &G2}) {
      step(c, W.view(), G->view(), M.view());
      Mat D(m, n);
      for (index_t j = 0; j < n; ++j) {
        for (index_t i = 0; i < m; ++i) {
          M_ref(i, j) = 0.9 * M_ref(i, j) + 0.1 * (*G)(i, j);
          D(i, j) = nesterov ? 0.9 * M_ref(i, j) + 0.1 * (*G)(i, j) : M_ref(i, j);
        }
      }
      const Mat U = polar_factor(D);
      const double nu = inner(U, D);
      for (index_t j = 0; j < n; ++j) {
        for (index_t i = 0; i < m; ++i) W_ref(i, j) -= c.lr * nu * U(i, j);
      }
    }
    EXPECT_LE(rel(M, M_ref), reordered);
    EXPECT_LE(rel(W, W_ref), reordered) << "momentum-first, nesterov " << nesterov;

    // polar-first: UH = polar(G), M ← βM + (1−β)·ν·U, W ← W − lr·(M or βM + (1−β)·ν·U).
    c.order = MomentumOrder::polar_first;
    Mat W2 = testkit::gaussian<double>(m, n, 33);
    Mat M2(m, n);
    Mat W2_ref = clone(W2);
    Mat M2_ref(m, n);
    for (const Mat* G : {&G1, &G2}) {
      const StepReport r = step(c, W2.view(), G->view(), M2.view());
      const Mat U = polar_factor(*G);
      const double nu = inner(U, *G);
      EXPECT_NEAR(r.nu, nu, reordered * nu);
      for (index_t j = 0; j < n; ++j) {
        for (index_t i = 0; i < m; ++i) {
          M2_ref(i, j) = 0.9 * M2_ref(i, j) + 0.1 * nu * U(i, j);
          const double d = nesterov ? 0.9 * M2_ref(i, j) + 0.1 * nu * U(i, j) : M2_ref(i, j);
          W2_ref(i, j) -= c.lr * d;
        }
      }
    }
    EXPECT_LE(rel(M2, M2_ref), reordered);
    EXPECT_LE(rel(W2, W2_ref), reordered) << "polar-first, nesterov " << nesterov;
  }
}

TEST(PolarGrad, WeightDecayUsesTheUnadjustedLearningRate) {
  Config c = Config::polargrad();
  c.momentum = 0.0;
  c.weight_decay = 0.3;
  c.oracle.method = Method::svd;
  const Mat G = testkit::gaussian<double>(20, 14, 41);
  Mat W = testkit::gaussian<double>(20, 14, 42);
  const Mat W0 = clone(W);
  const StepReport r = step(c, W.view(), G.view(), MatrixView<double>());
  const Mat U = from_svd(lapack_svd(G.view()), [](double) { return 1.0; });
  Mat expected(20, 14);
  Mat delta(20, 14);
  for (index_t j = 0; j < 14; ++j) {
    for (index_t i = 0; i < 20; ++i) {
      delta(i, j) = -c.lr * c.weight_decay * W0(i, j) - c.lr * r.nu * U(i, j);
      expected(i, j) = W0(i, j) + delta(i, j);
    }
  }
  EXPECT_LE(rel(W, expected), reordered);
  EXPECT_NEAR(r.update_norm, fro(delta), reordered * fro(delta));
}

TEST(PolarGrad, OnAVectorItIsPlainGradientDescent) {
  // polar(g) = g/‖g‖ with ν = ‖g‖: the step is W − lr·g (docs/optimizers.md).
  for (Nu nu : {Nu::inner, Nu::nuclear}) {
    Config c = Config::polargrad();
    c.momentum = 0.0;
    c.nu = nu;
    const Mat G = testkit::gaussian<double>(10, 1, 43);
    Mat W = testkit::gaussian<double>(10, 1, 44);
    Mat expected = clone(W);
    for (index_t i = 0; i < 10; ++i) expected(i, 0) -= c.lr * G(i, 0);
    step(c, W.view(), G.view(), MatrixView<double>());
    EXPECT_LE(rel(W, expected), reordered);
    const Mat Gt = transpose(G);  // a row vector too
    Mat Wt = transpose(testkit::gaussian<double>(10, 1, 44));
    step(c, Wt.view(), Gt.view(), MatrixView<double>());
    EXPECT_LE(rel(Wt, transpose(expected)), reordered);
  }
}

// ---- null-gradient consistency -----------------------------------------------------------------

TEST(NullGradient, PolarGradUpdateIsLinearInTheGradientScale) {
  const Mat G0 = testkit::gaussian<double>(30, 20, 51);
  const Mat W0 = testkit::gaussian<double>(30, 20, 52);
  for (Nu nu : {Nu::inner, Nu::nuclear}) {
    for (MomentumOrder order : {MomentumOrder::momentum_first, MomentumOrder::polar_first}) {
      Config c = Config::polargrad();
      c.nu = nu;
      c.order = order;
      double first = 0.0;
      for (int k = 1; k <= 10; ++k) {
        const double t = std::pow(10.0, -3.0 * k);
        const Mat G = scaled(G0, t);
        Mat W = clone(W0);
        Mat M(30, 20);
        const StepReport r = step(c, W.view(), G.view(), M.view());
        ASSERT_TRUE(all_finite(W.view()));
        ASSERT_GT(r.update_norm, 0.0) << "t = " << t;
        const double ratio = r.update_norm / t;
        if (k == 1) first = ratio;
        EXPECT_NEAR(ratio, first, products_bar(30) * first) << "t = " << t;
      }
    }
  }
}

TEST(NullGradient, MuonUpdateStaysFiniteAndNonZero) {
  const Mat G0 = testkit::gaussian<double>(30, 20, 53);
  const Mat W0 = testkit::gaussian<double>(30, 20, 54);
  Config c;
  c.eps = 0.0;  // no floor: msign alone, scale-invariant down to the smallest gradients
  double first = 0.0;
  for (int k = 1; k <= 10; ++k) {
    const double t = std::pow(10.0, -3.0 * k);
    const Mat G = scaled(G0, t);
    Mat W = clone(W0);
    Mat M(30, 20);
    const StepReport r = step(c, W.view(), G.view(), M.view());
    ASSERT_TRUE(all_finite(W.view())) << "t = " << t;
    ASSERT_TRUE(std::isfinite(r.update_norm));
    ASSERT_GT(r.update_norm, 0.0);
    EXPECT_FALSE(identical(W.view(), W0.view()));
    if (k == 1) first = r.update_norm;
    EXPECT_NEAR(r.update_norm, first, reordered * first) << "msign is scale-invariant; t = " << t;
  }
}

// torch.optim.Muon divides by max(‖D‖_F, eps): below eps the step shrinks with the gradient
// (and stays what the formula gives), above it the step has its full length.
TEST(NullGradient, MuonBelowEpsFollowsTorchsNormalisation) {
  const Mat G0 = testkit::gaussian<double>(30, 20, 56);
  const Mat W0 = testkit::gaussian<double>(30, 20, 57);
  Config c;
  c.momentum = 0.0;
  c.weight_decay = 0.0;
  const double norm = fro(G0);
  double previous = 0.0;
  for (double ratio : {1e3, 1.0, 1e-2, 1e-6, 1e-12}) {  // ‖G‖_F / eps
    const Mat G = scaled(G0, ratio * c.eps / norm);
    Mat W = clone(W0);
    Mat W_ref = clone(W0);
    Mat M_ref(30, 20);
    const StepReport r = step(c, W.view(), G.view(), MatrixView<double>());
    const double ref_norm = reference_muon_step(c, W_ref, G, M_ref);
    EXPECT_NEAR(r.update_norm, ref_norm, products_bar(30) * ref_norm) << "ratio " << ratio;
    EXPECT_LE(rel(W, W_ref), products_bar(30)) << "ratio " << ratio;
    if (ratio < 1.0) {
      EXPECT_LT(r.update_norm, previous) << "ratio " << ratio;
    }
    previous = r.update_norm;
  }
}

TEST(NullGradient, ZeroGradientLeavesWExactlyUnchanged) {
  const Mat G(24, 16);
  const Mat W0 = testkit::gaussian<double>(24, 16, 55);
  std::vector<Config> configs;
  for (Kind kind :
       {Kind::muon, Kind::polargrad, Kind::colnorm, Kind::rownorm, Kind::sign, Kind::spectral}) {
    Config c = kind == Kind::polargrad ? Config::polargrad() : Config{};
    c.kind = kind;
    c.weight_decay = 0.0;
    configs.push_back(c);
  }
  Config pf = Config::polargrad();
  pf.order = MomentumOrder::polar_first;
  configs.push_back(pf);
  Config nuclear = Config::polargrad();
  nuclear.nu = Nu::nuclear;
  configs.push_back(nuclear);
  for (const Config& c : configs) {
    Mat W = clone(W0);
    Mat M(24, 16);
    const StepReport r = step(c, W.view(), G.view(), M.view());
    EXPECT_TRUE(identical(W.view(), W0.view())) << "kind " << int(c.kind);
    EXPECT_EQ(r.update_norm, 0.0);
    if (c.kind == Kind::polargrad) {
      EXPECT_EQ(r.nu, 0.0);
      EXPECT_TRUE(r.oracle.zero_input);
    }
    if (c.kind == Kind::muon) {
      EXPECT_TRUE(r.oracle.zero_input);
    }
  }
}

// ---- convolution weights -----------------------------------------------------------------------

TEST(ConvFlatten, PytorchLayoutBecomesARowMajorMatrixWithItsScale) {
  const index_t out = 64, in = 32, kh = 3, kw = 3;
  std::vector<double> w(static_cast<std::size_t>(out * in * kh * kw));
  std::iota(w.begin(), w.end(), 0.0);
  const MatrixView<double> V = flatten_conv_weight(w.data(), out, in, kh, kw);
  EXPECT_EQ(V.rows(), 64);
  EXPECT_EQ(V.cols(), 288);
  EXPECT_EQ(V.ld(), 288);
  EXPECT_EQ(V.layout(), Layout::row_major);
  for (index_t o = 0; o < out; ++o) {
    for (index_t i = 0; i < in; ++i) {
      for (index_t y = 0; y < kh; ++y) {
        for (index_t x = 0; x < kw; ++x) {
          const auto flat = static_cast<std::size_t>(((o * in + i) * kh + y) * kw + x);
          ASSERT_EQ(V(o, (i * kh + y) * kw + x), w[flat]);
        }
      }
    }
  }
  for (Scale s : {Scale::none, Scale::original, Scale::moonlight, Scale::spectral}) {
    EXPECT_EQ(shape_scale(s, V.rows(), V.cols()), shape_scale(s, 64, 288));
    EXPECT_DOUBLE_EQ(shape_scale(s, V.rows(), V.cols()), reference_scale(s, 64, 288));
  }
  const std::vector<float> wf(w.size());
  const MatrixView<const float> Vf = flatten_conv_weight(wf.data(), out, in, kh, kw);
  EXPECT_EQ(Vf.cols(), 288);
}

TEST(ConvFlatten, AMuonStepOnTheViewEqualsTheStepOnTheMatrix) {
  const index_t out = 16, in = 8, kh = 3, kw = 3;
  const Mat Wm = testkit::gaussian<double>(out, in * kh * kw, 61);
  const Mat Gm = testkit::gaussian<double>(out, in * kh * kw, 62);
  std::vector<double> w(static_cast<std::size_t>(out * in * kh * kw));
  std::vector<double> g(w.size());
  std::vector<double> mom(w.size(), 0.0);
  const MatrixView<double> W = flatten_conv_weight(w.data(), out, in, kh, kw);
  const MatrixView<const double> G = flatten_conv_weight<const double>(g.data(), out, in, kh, kw);
  const MatrixView<double> M = flatten_conv_weight(mom.data(), out, in, kh, kw);
  for (index_t i = 0; i < out; ++i) {
    for (index_t j = 0; j < in * kh * kw; ++j) {
      W(i, j) = Wm(i, j);
      g[static_cast<std::size_t>(i * in * kh * kw + j)] = Gm(i, j);
    }
  }
  Config c;
  c.scale = Scale::moonlight;
  Mat W2 = clone(Wm);
  Mat M2(out, in * kh * kw);
  for (int t = 0; t < 2; ++t) {
    const StepReport a = step(c, W, G, M);
    const StepReport b = step(c, W2.view(), Gm.view(), M2.view());
    EXPECT_EQ(a.scale, b.scale);
    EXPECT_NEAR(a.update_norm, b.update_norm, reordered * b.update_norm);
  }
  EXPECT_LE(rel(W, W2.view()), reordered);
  EXPECT_LE(rel(M, M2.view()), reordered);
}

// ---- LMOs --------------------------------------------------------------------------------------

Mat column_norm_definition(const Mat& D) {
  Mat R = clone(D);
  const double target = std::sqrt(double(D.rows()));
  for (index_t j = 0; j < D.cols(); ++j) {
    double s = 0.0;
    for (index_t i = 0; i < D.rows(); ++i) s += D(i, j) * D(i, j);
    for (index_t i = 0; i < D.rows(); ++i)
      R(i, j) = s == 0.0 ? 0.0 : target * D(i, j) / std::sqrt(s);
  }
  return R;
}

Mat row_norm_definition(const Mat& D) {
  Mat R = clone(D);
  for (index_t i = 0; i < D.rows(); ++i) {
    double s = 0.0;
    for (index_t j = 0; j < D.cols(); ++j) s += D(i, j) * D(i, j);
    for (index_t j = 0; j < D.cols(); ++j) {
      R(i, j) = s == 0.0 ? 0.0 : D(i, j) / (std::sqrt(s) * std::sqrt(double(D.cols())));
    }
  }
  return R;
}

Mat sign_definition(const Mat& D) {
  Mat R = clone(D);
  for (index_t j = 0; j < D.cols(); ++j) {
    for (index_t i = 0; i < D.rows(); ++i) {
      R(i, j) = (D(i, j) > 0 ? 1.0 : D(i, j) < 0 ? -1.0 : 0.0) / double(D.cols());
    }
  }
  return R;
}

// Runs lmo into a column-major and a row-major out, from D as given and from a row-major copy.
void expect_lmo(Kind kind, const Mat& D, const Mat& expected, double tol) {
  std::vector<double> rowmajor(static_cast<std::size_t>(D.rows() * D.cols()));
  const MatrixView<double> Dr = row_major(rowmajor.data(), D.rows(), D.cols(), D.cols());
  for (index_t j = 0; j < D.cols(); ++j) {
    for (index_t i = 0; i < D.rows(); ++i) Dr(i, j) = D(i, j);
  }
  for (const MatrixView<const double> in : {D.view(), MatrixView<const double>(Dr)}) {
    Mat out(D.rows(), D.cols());
    lmo(kind, in, out.view());
    EXPECT_LE(rel(out, expected), tol) << "kind " << int(kind);
    std::vector<double> buffer(rowmajor.size());
    const MatrixView<double> outr = row_major(buffer.data(), D.rows(), D.cols(), D.cols());
    lmo(kind, in, outr);
    EXPECT_LE(rel(outr, expected.view()), tol) << "kind " << int(kind) << ", row-major out";
  }
}

TEST(Lmo, ColNormRowNormAndSignMatchTheirDefinitions) {
  for (auto [m, n] : {std::pair<index_t, index_t>{30, 20}, {20, 30}}) {
    Mat D = testkit::gaussian<double>(m, n, 71);
    for (index_t i = 0; i < m; ++i) D(i, 3) = 0.0;  // a zero column
    for (index_t j = 0; j < n; ++j) D(5, j) = 0.0;  // a zero row
    D(7, 9) = 0.0;
    expect_lmo(Kind::colnorm, D, column_norm_definition(D), reordered);
    expect_lmo(Kind::rownorm, D, row_norm_definition(D), reordered);
    expect_lmo(Kind::sign, D, sign_definition(D), 0.0);
    // Zero lines stay exactly zero.
    Mat out(m, n);
    lmo(Kind::colnorm, D.view(), out.view());
    for (index_t i = 0; i < m; ++i) EXPECT_EQ(out(i, 3), 0.0);
    lmo(Kind::rownorm, D.view(), out.view());
    for (index_t j = 0; j < n; ++j) EXPECT_EQ(out(5, j), 0.0);
  }
}

TEST(Lmo, ColumnNormalisationIsSafeForTinyAndHugeColumns) {
  Mat D = testkit::gaussian<double>(12, 6, 72);
  for (index_t i = 0; i < 12; ++i) {
    D(i, 0) *= 1e-310;  // subnormal entries: √12/‖col‖ overflows as one factor
    D(i, 1) *= 1e300;
    D(i, 2) *= 1e306;  // ‖col‖ overflows double
  }
  Mat out(12, 6);
  lmo(Kind::colnorm, D.view(), out.view());
  ASSERT_TRUE(all_finite(out.view()));
  // Column 0 is subnormal: its entries carry a relative precision of 2^-1074/1e-310 ≈ 5e-14 only.
  const double subnormal_ulp = std::ldexp(1.0, -1074) / 1e-310;
  for (index_t j = 0; j < 6; ++j) {
    double s = 0.0;
    for (index_t i = 0; i < 12; ++i) s += out(i, j) * out(i, j);
    EXPECT_NEAR(std::sqrt(s), std::sqrt(12.0),
                (j == 0 ? 4.0 * subnormal_ulp : reordered) * std::sqrt(12.0))
        << "column " << j;
  }
  // Float: a column of subnormals still reaches √d_out.
  Matrix<float> F(4, 2);
  for (index_t i = 0; i < 4; ++i) {
    F(i, 0) = 1e-42f * float(i + 1);
    F(i, 1) = 3e37f * float(i + 1);
  }
  Matrix<float> outf(4, 2);
  lmo(Kind::colnorm, F.view(), outf.view());
  // Float subnormals near 1e-42 carry a relative precision of 2^-149/1e-42 ≈ 1.4e-3 only.
  const double float_subnormal_ulp = std::ldexp(1.0, -149) / 1e-42;
  for (index_t j = 0; j < 2; ++j) {
    double s = 0.0;
    for (index_t i = 0; i < 4; ++i) s += double(outf(i, j)) * double(outf(i, j));
    EXPECT_NEAR(std::sqrt(s), 2.0, (j == 0 ? 4.0 * float_subnormal_ulp : 8.0 * eps<float>) * 2.0)
        << "float column " << j;
  }
}

TEST(Lmo, SpectralIsTheScaledPolarFactorFromLapack) {
  for (auto [m, n] : {std::pair<index_t, index_t>{30, 20}, {20, 30}, {25, 25}}) {
    const auto D = testkit::with_singular_values<double>(
        m, n, testkit::geometric_spectrum(std::min(m, n), 10), 73);
    Mat expected = from_svd(lapack_svd(D.view()), [](double) { return 1.0; });
    expected = scaled(expected, std::sqrt(double(m) / double(n)));
    expect_lmo(Kind::spectral, D, expected, polar_bar(10));
    PolarOptions qdwh;
    qdwh.method = Method::qdwh;
    Mat out(m, n);
    const PolarInfo info = lmo(Kind::spectral, D.view(), out.view(), qdwh);
    EXPECT_EQ(info.method_used, Method::qdwh);
    EXPECT_LE(rel(out, expected), polar_bar(10));
  }
}

TEST(Lmo, StepsWithLmoKinds) {
  const Mat G = testkit::gaussian<double>(20, 12, 74);
  for (Kind kind : {Kind::colnorm, Kind::rownorm, Kind::sign, Kind::spectral}) {
    Config c;
    c.kind = kind;
    c.lr = 0.1;
    c.weight_decay = 0.2;
    Mat W = testkit::gaussian<double>(20, 12, 75);
    const Mat W0 = clone(W);
    Mat M(20, 12);
    const StepReport r = step(c, W.view(), G.view(), M.view());
    // First step from M = 0: M = (1−β)G, D = βM + (1−β)G = (1−β)(1+β)G.
    const Mat D = scaled(G, (1.0 - c.momentum) * (1.0 + c.momentum));
    Mat L(20, 12);
    lmo(kind, D.view(), L.view(), c.oracle);
    Mat expected(20, 12);
    for (index_t j = 0; j < 12; ++j) {
      for (index_t i = 0; i < 20; ++i)
        expected(i, j) = W0(i, j) * (1.0 - 0.1 * 0.2) - 0.1 * L(i, j);
    }
    EXPECT_LE(rel(W, expected), reordered) << "kind " << int(kind);
    EXPECT_EQ(r.scale, kind == Kind::spectral ? std::sqrt(20.0 / 12.0) : 1.0);
    EXPECT_EQ(r.nu, 1.0);
  }
}

// ---- the spectral power map --------------------------------------------------------------------

TEST(SpectralPower, MatchesTheSvdDefinition) {
  const double powers[] = {0.0, 0.25, 0.5, 0.75, 1.0};
  for (auto [m, n] : {std::pair<index_t, index_t>{30, 20}, {20, 30}, {24, 24}}) {
    const auto A = testkit::with_singular_values<double>(
        m, n, testkit::geometric_spectrum(std::min(m, n), 10), 81);
    for (const double p : powers) {
      const Mat expected = spectral_power_by_svd(A.view(), p);
      for (Method method : {Method::polar_express_adaptive, Method::qdwh, Method::svd}) {
        PolarOptions o;
        o.method = method;
        Mat out(m, n);
        spectral_power(A.view(), p, out.view(), o);
        EXPECT_LE(rel(out, expected), polar_bar(10))
            << m << "x" << n << ", p = " << p << ", " << method_name(method);
      }
      std::vector<double> buffer(static_cast<std::size_t>(m * n));
      const MatrixView<double> outr = row_major(buffer.data(), m, n, n);
      spectral_power(A.view(), p, outr);
      EXPECT_LE(rel(outr, expected.view()), polar_bar(10)) << "row-major out, p = " << p;
    }
  }
}

// A rank-deficient A: three exactly zero columns (rows, for the wide case). H is singular, so
// p = 1/2 takes the eigendecomposition fallback; the reference is the SVD definition on the
// non-zero part with the zero lines put back.
TEST(SpectralPower, RankDeficientInputUsesTheFallback) {
  const index_t m = 30;
  const index_t n = 20;
  const index_t zero[] = {2, 9, 15};
  const auto B =
      testkit::with_singular_values<double>(m, n - 3, testkit::geometric_spectrum(n - 3, 10), 82);
  Mat A(m, n);
  index_t k = 0;
  for (index_t j = 0; j < n; ++j) {
    if (j == zero[0] || j == zero[1] || j == zero[2]) continue;
    for (index_t i = 0; i < m; ++i) A(i, j) = B(i, k);
    ++k;
  }
  for (const double p : {0.5, 0.25, 0.75}) {
    const Mat Bp = spectral_power_by_svd(B.view(), p);
    Mat expected(m, n);
    k = 0;
    for (index_t j = 0; j < n; ++j) {
      if (j == zero[0] || j == zero[1] || j == zero[2]) continue;
      for (index_t i = 0; i < m; ++i) expected(i, j) = Bp(i, k);
      ++k;
    }
    // (Not polar_express_adaptive: its schedule diverges on exactly rank-deficient inputs, a
    // limitation of that solver, not of this map.)
    for (Method method : {Method::qdwh, Method::svd}) {
      PolarOptions o;
      o.method = method;
      Mat out(m, n);
      spectral_power(A.view(), p, out.view(), o);
      EXPECT_LE(rel(out, expected), polar_bar(10)) << "p = " << p << ", " << method_name(method);
      // The wide case: Aᵀ.
      const Mat At = transpose(A);
      Mat outt(n, m);
      spectral_power(At.view(), p, outt.view(), o);
      EXPECT_LE(rel(outt, transpose(expected)), polar_bar(10)) << "wide, p = " << p;
    }
  }
}

TEST(SpectralPower, ZeroInputGivesZero) {
  const Mat A(10, 6);
  for (const double p : {0.0, 0.3, 0.5, 1.0}) {
    Mat out = testkit::gaussian<double>(10, 6, 83);
    spectral_power(A.view(), p, out.view());
    EXPECT_EQ(fro(out), 0.0) << "p = " << p;
  }
}

TEST(SpectralPower, FloatRuns) {
  const auto A =
      testkit::with_singular_values<float>(24, 16, testkit::geometric_spectrum(16, 10), 84);
  const auto Ad =
      testkit::with_singular_values<double>(24, 16, testkit::geometric_spectrum(16, 10), 84);
  for (const double p : {0.0, 0.5, 0.6, 1.0}) {
    Matrix<float> out(24, 16);
    spectral_power(A.view(), p, out.view());
    const Mat expected = spectral_power_by_svd(Ad.view(), p);
    Mat outd(24, 16);
    for (index_t j = 0; j < 16; ++j) {
      for (index_t i = 0; i < 24; ++i) outd(i, j) = double(out(i, j));
    }
    // Float against the double SVD definition: two backward-stable results, 10·κ·ε_f (κ = 10).
    EXPECT_LE(rel(outd, expected), 10.0 * 10.0 * eps<float>) << "p = " << p;
  }
}

// ---- batched step ------------------------------------------------------------------------------

TEST(StepBatched, EqualsLoopingStep) {
  const index_t m = 20, n = 12, count = 3;
  std::vector<Config> configs(7);
  configs[1] = Config::polargrad();
  configs[2].kind = Kind::colnorm;
  configs[3] = Config::polargrad();
  configs[3].momentum = 0.0;  // no state
  // The batched Newton–Schulz oracle: with H (ν = tr(H)), in bf16, and polar-first.
  configs[4] = Config::polargrad();
  configs[4].oracle.method = Method::polar_express_adaptive;
  configs[4].nu = Nu::nuclear;
  configs[4].oracle.batch_group = 3;  // the parameters in lockstep (the CPU's default is 1)
  configs[5].oracle.precision = Precision::bf16;
  configs[5].oracle.batch_group = 2;
  configs[6] = configs[4];
  configs[6].order = MomentumOrder::polar_first;
  configs[6].nesterov = true;
  for (const Config& c : configs) {
    std::vector<Mat> W, G, M, W2, M2;
    for (index_t i = 0; i < count; ++i) {
      const auto s = static_cast<std::uint64_t>(i);
      W.push_back(testkit::gaussian<double>(m, n, 90 + s));
      G.push_back(testkit::gaussian<double>(m, n, 95 + s));
      M.push_back(scaled(testkit::gaussian<double>(m, n, 99 + s), 0.1));
      W2.push_back(clone(W.back()));
      M2.push_back(clone(M.back()));
    }
    std::vector<MatrixView<double>> Wv, Mv;
    std::vector<MatrixView<const double>> Gv;
    for (index_t i = 0; i < count; ++i) {
      const auto u = static_cast<std::size_t>(i);
      Wv.push_back(W[u].view());
      Gv.push_back(G[u].view());
      if (c.momentum > 0) Mv.push_back(M[u].view());
    }
    const auto reports = step_batched<double>(c, Wv, Gv, Mv);
    ASSERT_EQ(reports.size(), std::size_t(count));
    for (index_t i = 0; i < count; ++i) {
      const auto u = static_cast<std::size_t>(i);
      const StepReport r =
          step(c, W2[u].view(), G[u].view(), c.momentum > 0 ? M2[u].view() : MatrixView<double>());
      EXPECT_TRUE(identical(W[u].view(), W2[u].view()));
      EXPECT_TRUE(identical(M[u].view(), M2[u].view()));
      EXPECT_EQ(reports[u].nu, r.nu);
      EXPECT_EQ(reports[u].update_norm, r.update_norm);
      EXPECT_EQ(reports[u].oracle.iterations, r.oracle.iterations);
      EXPECT_EQ(reports[u].oracle.ortho_error_history, r.oracle.ortho_error_history);
    }
  }
}

TEST(StepBatched, RejectsMixedShapesOverlapAndNaNBeforeAnyUpdate) {
  const Config c;
  Mat W0 = testkit::gaussian<double>(8, 5, 1);
  Mat W1 = testkit::gaussian<double>(8, 5, 2);
  Mat W2 = testkit::gaussian<double>(5, 8, 3);
  Mat G0 = testkit::gaussian<double>(8, 5, 4);
  Mat G1 = testkit::gaussian<double>(8, 5, 5);
  Mat M0(8, 5), M1(8, 5);
  const Mat W0_before = clone(W0);
  const auto code = [&](std::vector<MatrixView<double>> W, std::vector<MatrixView<const double>> G,
                        std::vector<MatrixView<double>> M) {
    try {
      step_batched<double>(c, W, G, M);
    } catch (const Error& e) {
      return static_cast<int>(e.code());
    }
    return 0;
  };
  const int invalid = static_cast<int>(ErrorCode::invalid_argument);
  EXPECT_EQ(code({W0.view(), W2.view()}, {G0.view(), G1.view()}, {M0.view(), M1.view()}), invalid);
  EXPECT_EQ(code({W0.view(), W1.view()}, {G0.view()}, {M0.view(), M1.view()}), invalid);
  EXPECT_EQ(code({W0.view(), W1.view()}, {G0.view(), G1.view()}, {}), invalid);  // momentum > 0
  EXPECT_EQ(code({W0.view(), W0.view()}, {G0.view(), G1.view()}, {M0.view(), M1.view()}), invalid);
  EXPECT_EQ(code({W0.view(), W1.view()}, {G0.view(), W0.view()}, {M0.view(), M1.view()}), invalid);
  EXPECT_EQ(code({W0.view(), W1.view()}, {G0.view(), G1.view()}, {M0.view(), M0.view()}), invalid);
  G1(2, 3) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(code({W0.view(), W1.view()}, {G0.view(), G1.view()}, {M0.view(), M1.view()}),
            static_cast<int>(ErrorCode::non_finite_input));
  EXPECT_TRUE(identical(W0.view(), W0_before.view()));
  EXPECT_EQ(fro(M0), 0.0);
  // The same G for two parameters is fine (read-only).
  G1(2, 3) = 0.0;
  EXPECT_EQ(code({W0.view(), W1.view()}, {G0.view(), G0.view()}, {M0.view(), M1.view()}), 0);
}

// ---- errors ------------------------------------------------------------------------------------

template <class F>
ErrorCode error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error thrown";
  return ErrorCode::io_error;
}

TEST(Errors, StepRejectsBadArgumentsAndLeavesWUntouched) {
  Mat W = testkit::gaussian<double>(10, 8, 1);
  const Mat W_before = clone(W);
  const Mat G = testkit::gaussian<double>(10, 8, 2);
  Mat M(10, 8);
  const Mat Gt(8, 10);
  Mat Mbad(10, 7);
  const Config c;
  const auto inv = ErrorCode::invalid_argument;
  EXPECT_EQ(error_of([&] { step(c, W.view(), Gt.view(), M.view()); }), inv);  // shape mismatch
  EXPECT_EQ(error_of([&] { step(c, W.view(), G.view(), Mbad.view()); }), inv);
  EXPECT_EQ(error_of([&] { step(c, W.view(), G.view(), MatrixView<double>()); }), inv);  // no M
  EXPECT_EQ(error_of([&] { step(c, W.view(), W.view(), M.view()); }), inv);  // G aliases W
  EXPECT_EQ(error_of([&] { step(c, W.view(), W.view().block(0, 0, 10, 8), M.view()); }), inv);
  EXPECT_EQ(error_of([&] { step(c, W.view(), M.view(), M.view()); }), inv);  // G aliases M
  EXPECT_EQ(error_of([&] { step(c, W.view(), G.view(), W.view()); }), inv);  // M aliases W
  {
    // G overlapping W partially (a shifted window of the same buffer).
    std::vector<double> buffer(200, 1.0);
    const MatrixView<double> Wv = col_major(buffer.data(), 10, 8, 10);
    const MatrixView<const double> Gv = col_major<const double>(buffer.data() + 50, 10, 8, 10);
    EXPECT_EQ(error_of([&] { step(c, Wv, Gv, M.view()); }), inv);
  }
  for (double bad : {1.0, -0.1, std::numeric_limits<double>::quiet_NaN()}) {
    Config d;
    d.momentum = bad;
    EXPECT_EQ(error_of([&] { step(d, W.view(), G.view(), M.view()); }), inv) << bad;
  }
  for (double bad : {-1e-3, std::numeric_limits<double>::infinity()}) {
    Config d;
    d.lr = bad;
    EXPECT_EQ(error_of([&] { step(d, W.view(), G.view(), M.view()); }), inv);
    d = Config{};
    d.weight_decay = bad;
    EXPECT_EQ(error_of([&] { step(d, W.view(), G.view(), M.view()); }), inv);
  }
  for (double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    Mat Gbad = clone(G);
    Gbad(3, 4) = bad;
    EXPECT_EQ(error_of([&] { step(c, W.view(), Gbad.view(), M.view()); }),
              ErrorCode::non_finite_input);
  }
  EXPECT_TRUE(identical(W.view(), W_before.view()));
  EXPECT_EQ(fro(M), 0.0);
}

TEST(Errors, HelpersRejectBadArguments) {
  const Mat D = testkit::gaussian<double>(6, 4, 1);
  Mat out(6, 4);
  const auto inv = ErrorCode::invalid_argument;
  EXPECT_EQ(error_of([&] { lmo(Kind::muon, D.view(), out.view()); }), inv);
  EXPECT_EQ(error_of([&] { lmo(Kind::polargrad, D.view(), out.view()); }), inv);
  Mat wrong(4, 6);
  EXPECT_EQ(error_of([&] { lmo(Kind::sign, D.view(), wrong.view()); }), inv);
  EXPECT_EQ(error_of([&] {
              lmo(Kind::sign, D.view(), MatrixView<double>(const_cast<double*>(D.data()), 6, 4, 6));
            }),
            inv);
  Mat Dn = clone(D);
  Dn(1, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(error_of([&] { lmo(Kind::colnorm, Dn.view(), out.view()); }),
            ErrorCode::non_finite_input);
  for (double p : {-0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    EXPECT_EQ(error_of([&] { spectral_power(D.view(), p, out.view()); }), inv) << p;
  }
  EXPECT_EQ(error_of([&] { spectral_power(D.view(), 0.5, wrong.view()); }), inv);
  EXPECT_EQ(error_of([&] { spectral_power(Dn.view(), 0.5, out.view()); }),
            ErrorCode::non_finite_input);
  double x = 0.0;
  EXPECT_EQ(error_of([&] { flatten_conv_weight(&x, 4, -1, 3, 3); }), inv);
  EXPECT_EQ(error_of([&] { shape_scale(Scale::original, 0, 5); }), inv);
}

// ---- float -------------------------------------------------------------------------------------

TEST(Float, StepsAgreeWithDouble) {
  const Mat Gd = testkit::gaussian<double>(24, 16, 3);
  const Mat Wd0 = testkit::gaussian<double>(24, 16, 4);
  Matrix<float> G(24, 16), W(24, 16), M(24, 16);
  for (index_t j = 0; j < 16; ++j) {
    for (index_t i = 0; i < 24; ++i) {
      G(i, j) = static_cast<float>(Gd(i, j));
      W(i, j) = static_cast<float>(Wd0(i, j));
    }
  }
  for (const Config& c : {Config{}, Config::polargrad()}) {
    Matrix<float> Wf = clone(W);
    Matrix<float> Mf(24, 16);
    Mat Wd(24, 16), Gdr(24, 16), Md(24, 16);
    for (index_t j = 0; j < 16; ++j) {
      for (index_t i = 0; i < 24; ++i) {
        Wd(i, j) = double(W(i, j));
        Gdr(i, j) = double(G(i, j));
      }
    }
    const StepReport rf = step(c, Wf.view(), G.view(), Mf.view());
    const StepReport rd = step(c, Wd.view(), Gdr.view(), Md.view());
    Mat back(24, 16);
    for (index_t j = 0; j < 16; ++j) {
      for (index_t i = 0; i < 24; ++i) back(i, j) = double(Wf(i, j));
    }
    // A float step against a double one: float rounding of length-n products (c·n·ε_f, n = 24).
    const double float_bar = 8.0 * 24 * eps<float>;
    EXPECT_LE(rel(back, Wd), float_bar);
    EXPECT_NEAR(rf.update_norm, rd.update_norm, float_bar * rd.update_norm);
  }
}

// ---- the optimizer layer's kernels (optim/kernels.hpp) -----------------------------------------

template <class T>
class OptimKernels : public ::testing::Test {};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(OptimKernels, Scalars);

TYPED_TEST(OptimKernels, ColumnNormsSignAndSymmetricEigen) {
  using T = TypeParam;
  auto& kernels = detail::optim_kernels_for<T>(MemorySpace::host);
  Matrix<T> A = testkit::gaussian<T>(9, 6, 7);
  A(2, 3) = T(0);
  for (const MatrixView<const T> V :
       {std::as_const(A).view(), std::as_const(A).view().transposed()}) {
    const auto norms = kernels.column_norms(V);
    ASSERT_EQ(norms.size(), std::size_t(V.cols()));
    for (index_t j = 0; j < V.cols(); ++j) {
      double s = 0.0;
      for (index_t i = 0; i < V.rows(); ++i) s += double(V(i, j)) * double(V(i, j));
      EXPECT_NEAR(norms[std::size_t(j)], std::sqrt(s), 4 * eps<double> * std::sqrt(s));
    }
    Matrix<T> S(V.rows(), V.cols());
    kernels.sign(0.5, V, S.view());
    for (index_t j = 0; j < V.cols(); ++j) {
      for (index_t i = 0; i < V.rows(); ++i) {
        EXPECT_EQ(S(i, j), V(i, j) > 0 ? T(0.5) : V(i, j) < 0 ? T(-0.5) : T(0));
      }
    }
  }
  // A symmetric matrix with known eigenvalues: Q·diag(λ)·Qᵀ.
  const index_t n = 12;
  const Mat Q = testkit::haar_orthonormal(n, n, 8);
  Matrix<T> H(n, n);
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < n; ++j) {
      double s = 0.0;
      for (index_t k = 0; k < n; ++k) s += Q(i, k) * double(k - 3) * Q(j, k);
      H(i, j) = static_cast<T>(s);
    }
  }
  Matrix<T> V(n, n);
  const auto lambda = kernels.symmetric_eigen(std::as_const(H).view(), V.view());
  ASSERT_EQ(lambda.size(), std::size_t(n));
  const double tol = 50.0 * double(n) * eps<T>;
  for (index_t k = 0; k < n; ++k) EXPECT_NEAR(lambda[std::size_t(k)], double(k - 3), tol * 8);
  for (index_t i = 0; i < n; ++i) {
    for (index_t j = 0; j < n; ++j) {
      double vv = 0.0;
      double r = 0.0;
      for (index_t k = 0; k < n; ++k) {
        vv += double(V(k, i)) * double(V(k, j));
        r += double(V(i, k)) * lambda[std::size_t(k)] * double(V(j, k));
      }
      EXPECT_NEAR(vv, i == j ? 1.0 : 0.0, tol);
      EXPECT_NEAR(r, double(H(i, j)), tol * 8);
    }
  }
}

}  // namespace
}  // namespace polarkit::optim
