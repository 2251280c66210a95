// scalapack::polar on 1×1, 1×2 and 2×2 process grids (1, 2, 4 ranks): every process builds the
// same test matrix with testkit's generator and keeps its own blocks (testkit/block_cyclic.hpp:
// the block-cyclic index map written independently of the library), U and H are gathered onto
// every process, and testkit's accuracy measures (long double loops, no BLAS) hold them to the
// bars polar() meets on the CPU: ‖UᵀU − I‖_F/√n ≤ 13ε and ‖A − UH‖_F/‖A‖_F ≤ 13ε. The report
// must be the same, bit for bit, on every process, and errors — one process's bad descriptor
// included — must reach all.
#include "testkit/block_cyclic.hpp"  // first: mpi.h's C interface

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "polarkit/error.hpp"
#include "polarkit/scalapack.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"

namespace polarkit {
namespace {

using testkit::eps;

using Grid = testkit::ProcessGrid;
using Layout = testkit::BlockLayout;
template <class T>
using Local = testkit::LocalPart<T>;
using testkit::distribute;
using testkit::gather;

// 1×1, 1×2 and 2×2 for 1, 2 and 4 processes.
const Grid& grid() { return testkit::process_grid(); }

template <class T>
Local<T> zeros(index_t m, index_t n, Layout layout) {
  return testkit::distributed_zeros<T>(m, n, layout);
}

// --- measures: on rank 0 (long double loops, the cost of one process), the same numbers
// broadcast to all, so every process asserts on them --------------------------------------------

template <class F>
double on_rank0(F&& f) {
  double value = grid().rank == 0 ? f() : 0.0;
  MPI_Bcast(&value, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  return value;
}

template <class T>
double ortho(const Matrix<T>& U) {  // ‖UᵀU − I‖_F/√k as tests/core/test_polar.cpp measures it
  const double k = static_cast<double>(std::min(U.rows(), U.cols()));
  return on_rank0([&] { return testkit::orthogonality_fro(U) / std::sqrt(k); });
}

template <class T>
double backward(const Matrix<T>& A, const Matrix<T>& U, const Matrix<T>& H) {
  return on_rank0([&] { return testkit::backward_error(A, U, H); });
}

// polar()'s bars: U orthonormal and A = UH to 13ε, and the report says converged.
template <class T>
void expect_meets_the_bars(const Matrix<T>& A, const Matrix<T>& U, const Matrix<T>& H,
                           const PolarInfo& info) {
  EXPECT_LE(ortho(U), 13.0 * eps<T>);
  EXPECT_LE(backward(A, U, H), 13.0 * eps<T>);
  EXPECT_TRUE(info.converged);
}

// The report, bit for bit, as numbers (names hashed): the same on every process?
std::vector<double> fingerprint(const PolarInfo& r) {
  std::vector<double> v{static_cast<double>(r.iterations), r.converged ? 1.0 : 0.0,
                        r.zero_input ? 1.0 : 0.0, static_cast<double>(r.method_used),
                        r.ortho_error, r.ortho_error_fro, r.scale, r.lower_bound,
                        r.cond_estimate, static_cast<double>(r.rank), r.backward_error,
                        r.nuclear_norm, r.flops, static_cast<double>(r.products)};
  for (const StepKind k : r.steps) v.push_back(static_cast<double>(k));
  v.insert(v.end(), r.ortho_error_history.begin(), r.ortho_error_history.end());
  v.insert(v.end(), r.ortho_error_2_history.begin(), r.ortho_error_2_history.end());
  for (const PhaseTime& p : r.phases) {
    v.push_back(static_cast<double>(std::hash<std::string>{}(p.name) % (1ULL << 52)));
    v.insert(v.end(), {p.seconds, p.flops, static_cast<double>(p.calls)});
  }
  return v;
}

bool same_everywhere(std::vector<double> v) {
  int size = static_cast<int>(v.size());
  int size0 = size;
  MPI_Bcast(&size0, 1, MPI_INT, 0, MPI_COMM_WORLD);
  int same = size == size0 ? 1 : 0;
  std::vector<double> first = v;
  first.resize(static_cast<std::size_t>(size0));
  MPI_Bcast(first.data(), size0, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  if (same != 0 && std::memcmp(first.data(), v.data(), v.size() * sizeof(double)) != 0) same = 0;
  MPI_Allreduce(MPI_IN_PLACE, &same, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return same == 1;
}

// --- one solve: A distributed, U and H gathered ---------------------------------------------------

template <class T>
struct Outcome {
  PolarInfo info;
  Matrix<T> U;
  Matrix<T> H;
};

struct Layouts {
  Layout a;
  Layout u;
  Layout h;
};

Layouts alike(int nb) { return {{nb, nb, 0, 0}, {nb, nb, 0, 0}, {nb, nb, 0, 0}}; }

template <class T>
Outcome<T> solve(const Matrix<T>& A, Method method, Layouts layouts = alike(64),
                 PolarOptions options = scalapack::default_options()) {
  options.method = method;
  options.backward_error = true;
  const Local<T> a = distribute(A, layouts.a);
  Local<T> u = zeros<T>(A.rows(), A.cols(), layouts.u);
  Local<T> h = zeros<T>(A.cols(), A.cols(), layouts.h);
  Outcome<T> out;
  out.info = scalapack::polar(a.view(), u.mutable_view(), h.mutable_view(), options);
  out.U = gather(u);
  out.H = gather(h);
  EXPECT_TRUE(same_everywhere(fingerprint(out.info))) << "the report differs between processes";
  return out;
}

template <class T>
Matrix<T> test_matrix(index_t m, index_t n, double kappa, std::uint64_t seed) {
  return testkit::householder_with_singular_values<T>(
      m, n, testkit::geometric_spectrum(std::min(m, n), kappa), seed);
}

std::string grid_name() {
  return std::to_string(grid().nprow) + "x" + std::to_string(grid().npcol) + " grid";
}

// The history e_j falls at every step until it reaches the rounding level, and ends there.
void expect_history_converges(const PolarInfo& r, index_t n) {
  const std::vector<double>& e = r.ortho_error_history;
  ASSERT_EQ(e.size(), static_cast<std::size_t>(r.iterations) + 1);
  const double floor = 13.0 * eps<double> * std::sqrt(static_cast<double>(n));
  for (std::size_t j = 1; j < e.size(); ++j) {
    if (e[j - 1] > 100.0 * floor) {
      EXPECT_LT(e[j], e[j - 1]) << "step " << j;
    }
  }
  EXPECT_LE(e.back(), floor);
  EXPECT_EQ(r.ortho_error_fro, e.back());
  EXPECT_TRUE(std::isfinite(r.ortho_error_2_history.front()));  // X₀ and U: 2-norm estimates
  EXPECT_TRUE(std::isfinite(r.ortho_error));
  EXPECT_LE(r.ortho_error, r.ortho_error_fro);  // a 2-norm below the Frobenius norm
}

// Q steps, then C steps: the letters QDWH's plan gives.
int count_of(const PolarInfo& r, StepKind kind) {
  return static_cast<int>(std::count(r.steps.begin(), r.steps.end(), kind));
}

double sum(const std::vector<double>& v) {
  double s = 0.0;
  for (const double x : v) s += x;
  return s;
}

// --- accuracy ----------------------------------------------------------------------------------

// The hardest case once at full size: κ = 1e12, n = 1500, on this run's grid.
TEST(ScalapackPolar, QdwhMeetsTheBarsAtKappa1e12N1500) {
  const index_t n = 1500;
  const double kappa = 1e12;
  const Matrix<double> A = test_matrix<double>(n, n, kappa, 11);
  const Outcome<double> r = solve(A, Method::qdwh);
  SCOPED_TRACE(grid_name());
  expect_meets_the_bars(A, r.U, r.H, r.info);
  const PolarInfo& info = r.info;
  EXPECT_EQ(info.method, Method::qdwh);
  EXPECT_EQ(info.method_used, Method::qdwh);
  // κ = 1e12 takes QR steps first (c > 100), then Cholesky steps, 5–6 in all.
  EXPECT_GE(count_of(info, StepKind::qr), 1) << step_letters(info.steps);
  EXPECT_GE(count_of(info, StepKind::cholesky), 2) << step_letters(info.steps);
  EXPECT_EQ(count_of(info, StepKind::qr) + count_of(info, StepKind::cholesky), info.iterations);
  const std::string letters = step_letters(info.steps);
  EXPECT_EQ(letters.find_last_of('Q') + 1, letters.find_first_of('C')) << letters;
  EXPECT_GE(info.iterations, 4);
  EXPECT_LE(info.iterations, 6);
  expect_history_converges(info, n);
  EXPECT_EQ(info.rank, n);
  EXPECT_GE(info.cond_estimate, kappa / 2.0);
  EXPECT_LE(info.cond_estimate, 2.0 * kappa);
  EXPECT_GT(info.lower_bound, 0.0);
  EXPECT_LE(info.lower_bound, 1.0 / (kappa / 2.0));
  EXPECT_NEAR(info.scale, 1.0, 0.03);  // σ_max = 1, α within the 2% margin
  // The report's own backward error and tr H = Σσ measure the same result.
  EXPECT_LE(info.backward_error, 13.0 * eps<double>);
  const double nuclear = sum(testkit::geometric_spectrum(n, kappa));
  EXPECT_LE(std::abs(info.nuclear_norm - nuclear), static_cast<double>(n) * eps<double> * nuclear);
  EXPECT_GT(info.flops, 0.0);
  EXPECT_GT(info.products, 0);
  EXPECT_FALSE(info.phases.empty());
}

// Block sizes that divide n and one that does not (50 into 640), κ = 1e12.
TEST(ScalapackPolar, QdwhMeetsTheBarsForSeveralBlockSizes) {
  const index_t n = 640;
  const Matrix<double> A = test_matrix<double>(n, n, 1e12, 12);
  for (const int nb : {32, 50, 64}) {
    SCOPED_TRACE(grid_name() + ", nb " + std::to_string(nb));
    const Outcome<double> r = solve(A, Method::qdwh, alike(nb));
      expect_meets_the_bars(A, r.U, r.H, r.info);
    EXPECT_GE(count_of(r.info, StepKind::qr), 1);
    expect_history_converges(r.info, n);
  }
}

// A, U and H each distributed their own way (MB ≠ NB, a source process other than (0, 0)):
// the solver redistributes to and from its own blocks.
TEST(ScalapackPolar, QdwhTakesAnyDistributionOfAUAndH) {
  const index_t n = 500;
  const Matrix<double> A = test_matrix<double>(n, n, 1e6, 13);
  const Grid& g = grid();
  const Layouts layouts{{48, 40, g.nprow - 1, g.npcol - 1}, {32, 32, 0, g.npcol - 1},
                        {24, 56, g.nprow - 1, 0}};
  const Outcome<double> r = solve(A, Method::qdwh, layouts);
  SCOPED_TRACE(grid_name());
  expect_meets_the_bars(A, r.U, r.H, r.info);
}

// Small κ: ℓ₀ (sharpened) gives c ≤ 100 from the start, so only Cholesky steps.
TEST(ScalapackPolar, QdwhTakesOnlyCholeskyStepsAtSmallKappa) {
  const index_t n = 600;
  const Matrix<double> A = test_matrix<double>(n, n, 10.0, 14);
  const Outcome<double> r = solve(A, Method::qdwh, alike(64));
  SCOPED_TRACE(grid_name());
  expect_meets_the_bars(A, r.U, r.H, r.info);
  EXPECT_EQ(count_of(r.info, StepKind::qr), 0) << step_letters(r.info.steps);
  EXPECT_GE(r.info.iterations, 2);
  EXPECT_LE(r.info.iterations, 5);
  expect_history_converges(r.info, n);
}

// Tall (the QR reduction to the square R) and wide (solved for Aᵀ by pdtran).
TEST(ScalapackPolar, QdwhMeetsTheBarsOnRectangularMatrices) {
  for (const auto& [m, n, kappa] :
       std::vector<std::tuple<index_t, index_t, double>>{{900, 500, 1e6}, {500, 760, 1e4}}) {
    SCOPED_TRACE(grid_name() + ", " + std::to_string(m) + "x" + std::to_string(n));
    const Matrix<double> A = test_matrix<double>(m, n, kappa, 15);
    const Outcome<double> r = solve(A, Method::qdwh, alike(50));
      expect_meets_the_bars(A, r.U, r.H, r.info);
    EXPECT_EQ(r.info.rank, std::min(m, n));
    expect_history_converges(r.info, std::min(m, n));
  }
}

// The pdgesvd reference agrees with QDWH within what their backward errors allow: for square A,
// ‖ΔU‖_F ≤ 2‖ΔA‖_F/(σ_n + σ_{n−1}) ≲ κ‖ΔA‖_F (σ_max = 1) and ‖ΔH‖_F ≤ √2‖ΔA‖_F, with
// ‖ΔA‖_F ≤ (13 + 3√n)ε‖A‖_F: QDWH's bar and the SVD's (tests/core/test_polar.cpp holds the
// reference to 3√n·ε: its W and V are orthogonal to O(√n·u) only).
TEST(ScalapackPolar, SvdReferenceAgreesWithQdwh) {
  const index_t n = 500;
  const double kappa = 1e4;
  const Matrix<double> A = test_matrix<double>(n, n, kappa, 16);
  const Outcome<double> q = solve(A, Method::qdwh, alike(64));
  const Outcome<double> s = solve(A, Method::svd, alike(64));
  SCOPED_TRACE(grid_name());
  const double sqrt_n = std::sqrt(static_cast<double>(n));
  const double svd_bar = 3.0 * sqrt_n * eps<double>;
  double a_fro = 0.0;
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n; ++i) a_fro += A(i, j) * A(i, j);
  }
  a_fro = std::sqrt(a_fro);
  const double delta_a = (13.0 * eps<double> + svd_bar) * a_fro;
  EXPECT_LE(on_rank0([&] { return testkit::relative_difference(q.U, s.U); }),
            kappa * delta_a / sqrt_n);  // ‖U‖_F = √n
  EXPECT_LE(on_rank0([&] { return testkit::relative_difference(q.H, s.H); }),
            std::sqrt(2.0) * delta_a / a_fro);  // ‖H‖_F = ‖A‖_F
  EXPECT_LE(ortho(s.U), svd_bar);
  EXPECT_LE(backward(A, s.U, s.H), svd_bar);
  EXPECT_EQ(s.info.method_used, Method::svd);
  EXPECT_EQ(s.info.iterations, 0);
  EXPECT_EQ(s.info.rank, n);
  EXPECT_TRUE(s.info.converged);
  EXPECT_NEAR(s.info.cond_estimate / kappa, 1.0, 1e-6);
}

// One float solve: the same code at the other type.
TEST(ScalapackPolar, QdwhInFloat) {
  const index_t n = 400;
  const Matrix<float> A = test_matrix<float>(n, n, 1e3, 17);
  const Outcome<float> r = solve(A, Method::qdwh, alike(32));
  SCOPED_TRACE(grid_name());
  expect_meets_the_bars(A, r.U, r.H, r.info);
}

// --- what the report says ----------------------------------------------------------------------

TEST(ScalapackPolar, MaxIterIsHonouredAndConvergedIsTruthful) {
  const index_t n = 300;
  const Matrix<double> A = test_matrix<double>(n, n, 1e12, 18);
  PolarOptions o = scalapack::default_options();
  o.max_iter = 2;
  const Outcome<double> r = solve(A, Method::qdwh, alike(32), o);
  EXPECT_EQ(r.info.iterations, 2);
  EXPECT_EQ(r.info.ortho_error_history.size(), 3U);
  EXPECT_FALSE(r.info.converged);
  EXPECT_GT(ortho(r.U), 1e3 * eps<double>);  // really not converged
}

// A rank-deficient A (20 singular values zero, so ~u after rounding): no κ estimate certifies
// the rank, which pdgesvd's singular values count; QDWH grows the rounding-level singular values
// to 1 like the others, so U is orthonormal (and says so) and A = UH holds.
TEST(ScalapackPolar, RankDeficientInputIsCountedBySingularValues) {
  const index_t n = 200;
  std::vector<double> sigma = testkit::geometric_spectrum(n, 1e3);
  std::fill(sigma.end() - 20, sigma.end(), 0.0);
  const Matrix<double> A = testkit::householder_with_singular_values<double>(n, n, sigma, 19);
  const Outcome<double> r = solve(A, Method::qdwh, alike(32));
  EXPECT_EQ(r.info.rank, n - 20);
  const auto& phases = r.info.phases;
  EXPECT_TRUE(std::any_of(phases.begin(), phases.end(), [](const PhaseTime& p) {
    return p.name == "rank";
  }));
  const double orthogonality = ortho(r.U);
  EXPECT_EQ(r.info.converged, orthogonality <= 13.0 * eps<double>) << orthogonality;
  EXPECT_LE(backward(A, r.U, r.H), 13.0 * eps<double>);
}

TEST(ScalapackPolar, ZeroInputGivesZeroFactors) {
  const Matrix<double> A(120, 100);
  const Outcome<double> r = solve(A, Method::qdwh, alike(32));
  EXPECT_TRUE(r.info.zero_input);
  EXPECT_EQ(r.info.rank, 0);
  EXPECT_EQ(on_rank0([&] { return testkit::relative_difference(r.U, Matrix<double>(120, 100)); }),
            0.0);
  EXPECT_EQ(r.info.nuclear_norm, 0.0);
}

// --- errors: every process throws the same, whichever process's argument is wrong --------------

// Runs f on every process; expects Error(code) everywhere with a message containing `part`,
// and the same message on every process.
template <class F>
void expect_error_everywhere(F&& f, ErrorCode code, const std::string& part) {
  std::string message;
  int thrown = 0;
  try {
    f();
  } catch (const Error& e) {
    thrown = e.code() == code ? 1 : 0;
    message = e.what();
  }
  EXPECT_EQ(thrown, 1) << "rank " << grid().rank << ": " << message;
  EXPECT_NE(message.find(part), std::string::npos) << message;
  std::vector<double> hashed{static_cast<double>(std::hash<std::string>{}(message) % (1ULL << 52))};
  EXPECT_TRUE(same_everywhere(hashed)) << message;
}

struct Operands {
  Local<double> a, u, h;
};

Operands operands(index_t n) {
  const Matrix<double> A = test_matrix<double>(n, n, 1e2, 20);
  return {distribute(A, {16, 16, 0, 0}), zeros<double>(n, n, {16, 16, 0, 0}),
          zeros<double>(n, n, {16, 16, 0, 0})};
}

TEST(ScalapackPolarErrors, BadLldOnOneProcessOnlyFailsEverywhere) {
  Operands o = operands(64);
  if (grid().rank == grid().size - 1) o.u.desc[8] = 1;  // below its local rows
  expect_error_everywhere([&] { scalapack::polar(o.a.view(), o.u.mutable_view(), o.h.mutable_view()); },
                          ErrorCode::invalid_argument, "LLD");
}

TEST(ScalapackPolarErrors, DescriptorsThatDifferBetweenProcessesFailEverywhere) {
  if (grid().size == 1) GTEST_SKIP() << "one process: nothing to differ from";
  Operands o = operands(64);
  if (grid().rank == grid().size - 1) o.h.desc[5] = 8;  // NB
  // On one process the descriptor is valid but not the others': compared across the grid.
  expect_error_everywhere([&] { scalapack::polar(o.a.view(), o.u.mutable_view(), o.h.mutable_view()); },
                          ErrorCode::invalid_argument, "H's descriptor field NB differs");
}

TEST(ScalapackPolarErrors, UOfTheWrongShapeFails) {
  Operands o = operands(64);
  Local<double> u = zeros<double>(65, 64, {16, 16, 0, 0});
  expect_error_everywhere([&] { scalapack::polar(o.a.view(), u.mutable_view(), o.h.mutable_view()); },
                          ErrorCode::invalid_argument, "U's descriptor");
}

TEST(ScalapackPolarErrors, UnsupportedMethodFailsNamingTheSupportedOnes) {
  Operands o = operands(64);
  PolarOptions options = scalapack::default_options();
  options.method = Method::zolo;
  expect_error_everywhere(
      [&] { scalapack::polar(o.a.view(), o.u.mutable_view(), o.h.mutable_view(), options); },
      ErrorCode::invalid_argument, "qdwh, auto (qdwh here) and svd");
}

TEST(ScalapackPolarErrors, NanOnOneProcessFailsEverywhere) {
  Operands o = operands(64);
  if (grid().rank == grid().size - 1) o.a.data[0] = std::numeric_limits<double>::quiet_NaN();
  expect_error_everywhere([&] { scalapack::polar(o.a.view(), o.u.mutable_view(), o.h.mutable_view()); },
                          ErrorCode::non_finite_input, "NaN");
}

// After the errors the grid is as it was: a solve still runs (no message left over).
TEST(ScalapackPolarErrors, TheGridWorksAfterErrors) {
  const Matrix<double> A = test_matrix<double>(100, 100, 1e2, 21);
  const Outcome<double> r = solve(A, Method::qdwh, alike(16));
  EXPECT_LE(ortho(r.U), 13.0 * eps<double>);
}

}  // namespace
}  // namespace polarkit
