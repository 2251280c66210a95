// mpi::polar_batched and mpi::optim::step_batched (polarkit/mpi.hpp): on any number of ranks the
// results are bit for bit those of one process. Every rank computes the single-process reference
// itself (polarkit::polar_batched per shape, polarkit::optim::step per parameter) and compares
// the distributed result with it by memcmp, reports field by field (every field for_each_field
// names, the phases' seconds excepted). Also: the assignment rule on hand-computed cases, the
// exchange's pieces (report bytes, packing, the int-count guard of the all-gather), and the error
// paths — a list that differs on one rank, a bad argument on one rank, NaN input — on which every
// rank must throw the same Error and none may hang.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "mpi/exchange.hpp"
#include "polarkit/error.hpp"
#include "polarkit/mpi.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/polar.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit {
namespace {

// ---- the world ----------------------------------------------------------------------------------

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int ranks() {
  int n = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

// The rank that deviates in the error tests: the last one (rank 1 on 2 ranks).
int odd_one() { return ranks() - 1; }

std::uint64_t hash(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Whether every rank holds the same string (collective).
bool same_on_every_rank(const std::string& s) {
  const std::uint64_t h = hash(s);
  const std::uint64_t mine[2] = {h, ~h};
  std::uint64_t least[2] = {0, 0};
  MPI_Allreduce(mine, least, 2, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  return least[0] == ~least[1];
}

// ---- matrices and their comparison --------------------------------------------------------------

using testkit::identical;

template <class T>
constexpr T sentinel = T(-7.25);

template <class T>
bool untouched(MatrixView<const T> X) {
  for (index_t j = 0; j < X.cols(); ++j) {
    for (index_t i = 0; i < X.rows(); ++i) {
      if (std::memcmp(&X(i, j), &sentinel<T>, sizeof(T)) != 0) return false;
    }
  }
  return true;
}

// Memory seen through a view of one of three layouts, filled with the sentinel: 0 column-major,
// 1 row-major, 2 a column-major block with a padded leading dimension.
template <class T>
struct Buffer {
  std::vector<T> data;
  MatrixView<T> view;

  Buffer(index_t m, index_t n, int layout) {
    const bool rows = layout == 1;  // row-major: lines are rows
    const index_t ld = std::max<index_t>(1, rows ? n : m) + (layout == 2 ? 3 : 0);
    data.assign(static_cast<std::size_t>(ld * std::max<index_t>(1, rows ? m : n)), sentinel<T>);
    view = MatrixView<T>(data.data(), m, n, ld, rows ? Layout::row_major : Layout::col_major);
  }
};

template <class T>
std::vector<MatrixView<T>> views_of(std::vector<Buffer<T>>& buffers) {
  std::vector<MatrixView<T>> v;
  for (Buffer<T>& b : buffers) v.push_back(b.view);
  return v;
}

template <class T>
std::vector<MatrixView<const T>> const_views(const std::vector<Matrix<T>>& A) {
  std::vector<MatrixView<const T>> v;
  for (const Matrix<T>& a : A) v.push_back(a.view());
  return v;
}

struct Shape {
  index_t rows;
  index_t cols;
};

// 7 matrices of 3 shapes, one of them wide, interleaved (3 + 2 + 2), conditioned 10 to 1e3 so
// that the iterations to tolerance differ from matrix to matrix.
const std::vector<Shape>& mixed_shapes() {
  static const std::vector<Shape> shapes = {{48, 24}, {20, 64}, {32, 32}, {48, 24},
                                            {48, 24}, {20, 64}, {32, 32}};
  return shapes;
}

template <class T>
std::vector<Matrix<T>> matrices(const std::vector<Shape>& shapes, std::uint64_t seed) {
  std::vector<Matrix<T>> A;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const index_t k = std::min(shapes[i].rows, shapes[i].cols);
    const double kappa = std::pow(10.0, 1.0 + static_cast<double>(i % 3));
    A.push_back(testkit::with_singular_values<T>(shapes[i].rows, shapes[i].cols,
                                                 testkit::geometric_spectrum(k, kappa), seed + i));
  }
  return A;
}

// ---- reports, field by field --------------------------------------------------------------------

std::string exact(double x) {
  char text[64];
  std::snprintf(text, sizeof text, "%a", x);
  return text;
}

// Every field of a report as text (doubles exactly, NaN as nan), the phases without their
// seconds (timings are the owner's).
std::vector<std::string> fields_text(const PolarInfo& info) {
  std::vector<std::string> out;
  for_each_field(info, [&](const char* name, const auto& value) {
    using V = std::decay_t<decltype(value)>;
    std::string s = std::string(name) + "=";
    if constexpr (std::is_same_v<V, std::string>) {
      s += value;
    } else if constexpr (std::is_same_v<V, double>) {
      s += exact(value);
    } else if constexpr (std::is_same_v<V, std::vector<double>>) {
      for (const double x : value) s += exact(x) + " ";
    } else if constexpr (std::is_same_v<V, std::vector<PhaseTime>>) {
      for (const PhaseTime& p : value) {
        s += p.name + ":" + std::to_string(p.calls) + ":" + exact(p.flops) + " ";
      }
    } else {
      s += std::to_string(value);
    }
    out.push_back(s);
  });
  return out;
}

int for_each_field_count() {
  int n = 0;
  for_each_field(PolarInfo{}, [&](const char*, const auto&) { ++n; });
  return n;
}

void expect_same_report(const PolarInfo& got, const PolarInfo& want, std::size_t item) {
  EXPECT_EQ(fields_text(got), fields_text(want)) << "report of matrix " << item;
}

void expect_same_step_report(const optim::StepReport& got, const optim::StepReport& want,
                             std::size_t item) {
  EXPECT_EQ(exact(got.nu), exact(want.nu)) << "nu of parameter " << item;
  EXPECT_EQ(exact(got.scale), exact(want.scale)) << "scale of parameter " << item;
  EXPECT_EQ(exact(got.update_norm), exact(want.update_norm)) << "update_norm of parameter " << item;
  expect_same_report(got.oracle, want.oracle, item);
}

// ---- the reference: one process -----------------------------------------------------------------

// Calls f(group) for the items of each shape (list indices, list order), as one process would
// batch them.
template <class Views, class F>
void per_shape_group(const Views& A, F f) {
  std::vector<bool> done(A.size(), false);
  for (std::size_t first = 0; first < A.size(); ++first) {
    if (done[first]) continue;
    std::vector<std::size_t> group;
    for (std::size_t i = first; i < A.size(); ++i) {
      if (A[i].rows() == A[first].rows() && A[i].cols() == A[first].cols()) {
        group.push_back(i);
        done[i] = true;
      }
    }
    f(group);
  }
}

// polarkit::polar_batched per shape group into U and H (the views the distributed call gets:
// the results depend on U's layout, H = sym(UᵀA) being another product for a row-major U).
template <class T>
std::vector<PolarInfo> reference(std::span<const MatrixView<const T>> A,
                                 std::span<const MatrixView<T>> U,
                                 std::span<const MatrixView<T>> H, const PolarOptions& o) {
  std::vector<PolarInfo> infos(A.size());
  per_shape_group(A, [&](const std::vector<std::size_t>& group) {
    const auto of = [&](auto X) {  // the group's entries of X
      std::vector<typename decltype(X)::value_type> out;
      for (const std::size_t i : group) out.push_back(X[i]);
      return out;
    };
    std::vector<PolarInfo> results = polar_batched<T>(of(A), of(U), of(H), o);
    for (std::size_t k = 0; k < group.size(); ++k) infos[group[k]] = std::move(results[k]);
  });
  return infos;
}

// ---- the assignment -----------------------------------------------------------------------------

TEST(Assignment, LongestFirstOntoTheLeastLoadedRank) {
  // By cost: 1 (5), 3 (5), 2 (3), 0 (2), 4 (1). 1 → rank 0; 3 → rank 1; 2 → rank 0 (loads 5
  // and 5: the lowest rank); 0 → rank 1 (5 < 8); 4 → rank 1 (7 < 8).
  const std::vector<double> costs = {2, 5, 3, 5, 1};
  const mpi::Assignment two = mpi::assign(costs, 2);
  EXPECT_EQ(two.owner, (std::vector<int>{1, 0, 0, 1, 1}));
  EXPECT_EQ(two.load, (std::vector<double>{8, 8}));
  EXPECT_EQ(two.cost, costs);
  EXPECT_EQ(two.owned_by(0), (std::vector<std::size_t>{1, 2}));
  EXPECT_EQ(two.owned_by(1), (std::vector<std::size_t>{0, 3, 4}));

  // Equal costs go in list order, each onto the least-loaded rank, ties to the lowest rank.
  const std::vector<double> equal = {4, 4, 4, 1, 1, 1, 1};
  const mpi::Assignment three = mpi::assign(equal, 3);
  EXPECT_EQ(three.owner, (std::vector<int>{0, 1, 2, 0, 1, 2, 0}));
  EXPECT_EQ(three.load, (std::vector<double>{6, 5, 5}));

  // More ranks than matrices: the extra ranks own nothing.
  const mpi::Assignment many = mpi::assign(std::vector<double>{3, 1}, 4);
  EXPECT_EQ(many.owner, (std::vector<int>{0, 1}));
  EXPECT_EQ(many.load, (std::vector<double>{3, 1, 0, 0}));
  EXPECT_TRUE(mpi::assign(std::vector<double>{}, 2).owner.empty());
}

TEST(Assignment, CostsFollowTheShapeAndTheIterationCount) {
  PolarOptions muon;
  muon.method = Method::muon;  // 5 steps by default
  EXPECT_EQ(mpi::estimated_cost(40, 24, muon), 40.0 * 24 * 24 * 5);
  EXPECT_EQ(mpi::estimated_cost(24, 40, muon), 40.0 * 24 * 24 * 5);  // solved as its transpose
  muon.steps = 3;
  EXPECT_EQ(mpi::estimated_cost(40, 24, muon), 40.0 * 24 * 24 * 3);
  muon.steps = 0;
  muon.coefficients = {{3.0, -3.0, 1.0}, {2.0, -1.5, 0.5}, {1.5, -0.5, 0.0}};
  EXPECT_EQ(mpi::estimated_cost(40, 24, muon), 40.0 * 24 * 24 * 3);
  PolarOptions qdwh;
  qdwh.method = Method::qdwh;
  EXPECT_EQ(mpi::estimated_cost(40, 24, qdwh), 40.0 * 24 * 24 * 6);
  EXPECT_EQ(mpi::estimated_cost(0, 24, qdwh), 0.0);
}

TEST(Assignment, GptListBalancesExactlyOnTwoAndFourRanks) {
  // 12 layers × {768² ×4, 768×3072, 3072×768}: 48 units of 1 and 24 of 4 (144 in all).
  std::vector<double> costs;
  const PolarOptions o = optim::Config::muon_oracle();
  for (int layer = 0; layer < 12; ++layer) {
    for (int k = 0; k < 4; ++k) costs.push_back(mpi::estimated_cost(768, 768, o));
    costs.push_back(mpi::estimated_cost(768, 3072, o));
    costs.push_back(mpi::estimated_cost(3072, 768, o));
  }
  for (const int n : {2, 4}) {
    const mpi::Assignment a = mpi::assign(costs, n);
    for (const double load : a.load) EXPECT_EQ(load, a.load[0]) << n << " ranks";
  }
}

TEST(Assignment, TheCommunicatorOverloadsAgreeOnEveryRank) {
  const auto A = matrices<double>(mixed_shapes(), 1);
  const auto views = const_views(A);
  PolarOptions o;
  o.method = Method::qdwh;
  const mpi::Assignment a = mpi::assign<double>(MPI_COMM_WORLD, views, o);
  std::vector<double> costs;
  for (const auto& v : views) costs.push_back(mpi::estimated_cost(v.rows(), v.cols(), o));
  EXPECT_EQ(a.owner, mpi::assign(costs, ranks()).owner);
  ASSERT_EQ(a.load.size(), static_cast<std::size_t>(ranks()));
  std::string owners;
  for (const int r : a.owner) owners += std::to_string(r) + ",";
  EXPECT_TRUE(same_on_every_rank(owners));
  // The optimizer's: Muon costs by its oracle, the element-wise LMOs by rows·cols.
  std::vector<Matrix<double>> W = matrices<double>(mixed_shapes(), 2);
  std::vector<MatrixView<double>> Wv;
  for (auto& w : W) Wv.push_back(w.view());
  const mpi::Assignment muon = mpi::optim::assign<double>(MPI_COMM_WORLD, optim::Config{}, Wv);
  EXPECT_EQ(muon.cost[0], mpi::estimated_cost(48, 24, optim::Config{}.oracle));
  optim::Config sign;
  sign.kind = optim::Kind::sign;
  EXPECT_EQ(mpi::optim::assign<double>(MPI_COMM_WORLD, sign, Wv).cost[1], 20.0 * 64);
}

TEST(Assignment, RejectsBadArguments) {
  EXPECT_THROW(mpi::assign(std::vector<double>{1.0}, 0), Error);
  EXPECT_THROW(mpi::assign(std::vector<double>{-1.0}, 2), Error);
  EXPECT_THROW(mpi::assign(std::vector<double>{std::nan("")}, 2), Error);
}

// ---- the exchange's pieces ----------------------------------------------------------------------

TEST(Exchange, ReportsCarryEveryField) {
  EXPECT_EQ(mpi::detail::serialised_fields(), for_each_field_count());
  PolarInfo info;
  info.method = Method::automatic;
  info.iterations = 7;
  info.converged = true;
  info.zero_input = true;
  info.method_used = Method::qdwh;
  info.steps = {StepKind::qr, StepKind::cholesky};
  info.ortho_error_history = {1.0, 0.5, -0.0};
  info.ortho_error_2_history = {std::nan(""), 0.25};
  info.ortho_error = 1e-300;
  info.ortho_error_fro = std::numeric_limits<double>::denorm_min();
  info.scale = 3.5;
  info.lower_bound = 0.125;
  info.cond_estimate = std::numeric_limits<double>::infinity();
  info.rank = 12;
  info.backward_error = std::nan("");
  info.nuclear_norm = 42.0;
  info.flops = 1e12;
  info.products = 1234567890123;
  info.phases = {{"normalise", 0.5, 10.0, 1}, {"step:qr", 1.5, 2e9, 3}};
  optim::StepReport step;
  step.nu = 2.5;
  step.scale = 1.25;
  step.update_norm = 1e-9;
  step.oracle = info;
  std::vector<std::byte> bytes;
  mpi::detail::write(bytes, info);
  mpi::detail::write(bytes, step);
  std::span<const std::byte> in(bytes);
  PolarInfo back;
  optim::StepReport step_back;
  mpi::detail::read(in, back);
  mpi::detail::read(in, step_back);
  EXPECT_TRUE(in.empty());
  expect_same_report(back, info, 0);
  expect_same_step_report(step_back, step, 0);
  EXPECT_EQ(back.phases[1].seconds, 1.5);  // the seconds travel too
  std::span<const std::byte> short_of(bytes.data(), 10);
  EXPECT_THROW(mpi::detail::read(short_of, back), Error);
}

TEST(Exchange, PackingIsColumnMajorForEveryLayout) {
  for (const int layout : {0, 1, 2}) {
    Buffer<float> from(5, 3, layout);
    for (index_t j = 0; j < 3; ++j) {
      for (index_t i = 0; i < 5; ++i) from.view(i, j) = static_cast<float>(10 * i + j);
    }
    from.view(4, 2) = -0.0f;
    std::vector<std::byte> bytes(15 * sizeof(float));
    mpi::detail::pack(MatrixView<const float>(from.view), bytes.data());
    float first_of_column_1 = 0;
    std::memcpy(&first_of_column_1, bytes.data() + 5 * sizeof(float), sizeof(float));
    EXPECT_EQ(first_of_column_1, 1.0f) << "layout " << layout;
    Buffer<float> to(5, 3, 2 - layout);
    mpi::detail::unpack(bytes.data(), to.view);
    EXPECT_TRUE(identical<float>(to.view, from.view)) << "layout " << layout;
  }
}

TEST(Exchange, LayoutCountsInUnitsBeyondTheIntLimit) {
  const std::vector<std::int64_t> sizes = {37, 0, 80};
  const mpi::detail::GatherLayout bytes = mpi::detail::gather_layout(sizes);
  EXPECT_EQ(bytes.unit, 1U);
  EXPECT_EQ(bytes.counts, (std::vector<int>{37, 0, 80}));
  EXPECT_EQ(bytes.bytes, 117U);
  // At most 100 "ints": units of 2 bytes, each segment padded to whole units.
  const mpi::detail::GatherLayout units = mpi::detail::gather_layout(sizes, 100);
  EXPECT_EQ(units.unit, 2U);
  EXPECT_EQ(units.counts, (std::vector<int>{19, 0, 40}));
  EXPECT_EQ(units.displacements, (std::vector<int>{0, 19, 19}));
  EXPECT_EQ(units.offset, (std::vector<std::size_t>{0, 38, 38}));
  EXPECT_EQ(units.bytes, 118U);
  // 3 GB from 2 ranks: more than INT_MAX bytes, so units of 2 bytes (1.5e9 units).
  const std::vector<std::int64_t> large = {1500000000, 1500000000};
  const mpi::detail::GatherLayout big = mpi::detail::gather_layout(large);
  EXPECT_EQ(big.unit, 2U);
  EXPECT_EQ(big.counts, (std::vector<int>{750000000, 750000000}));
}

// The whole exchange with a tiny int limit (units of several bytes, padded segments): every
// rank gets every matrix and report.
TEST(Exchange, GathersEveryOutputWithUnitsOfSeveralBytes) {
  const std::vector<Shape> shapes = {{3, 5}, {7, 2}, {1, 1}, {4, 4}, {2, 9}};
  std::vector<double> costs(shapes.size(), 1.0);
  const mpi::Assignment a = mpi::assign(costs, ranks());
  std::vector<Buffer<double>> U;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    U.emplace_back(shapes[i].rows, shapes[i].cols, static_cast<int>(i % 3));
  }
  std::vector<PolarInfo> reports(shapes.size());
  const auto value = [](std::size_t i, index_t r, index_t c) {
    return static_cast<double>(i) * 1000.0 + static_cast<double>(r * 10 + c);
  };
  for (const std::size_t i : a.owned_by(rank())) {
    for (index_t c = 0; c < shapes[i].cols; ++c) {
      for (index_t r = 0; r < shapes[i].rows; ++r) U[i].view(r, c) = value(i, r, c);
    }
    reports[i].iterations = static_cast<int>(i) + 1;
    reports[i].phases = {{"p" + std::to_string(i), 0.0, 0.0, 1}};
  }
  const std::function<mpi::detail::Outputs<double>(std::size_t)> outputs = [&](std::size_t i) {
    return mpi::detail::Outputs<double>{U[i].view, MatrixView<double>()};
  };
  mpi::detail::exchange<double, PolarInfo>(MPI_COMM_WORLD, a, outputs, reports, {}, 7);
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    bool right = true;
    for (index_t c = 0; c < shapes[i].cols; ++c) {
      for (index_t r = 0; r < shapes[i].rows; ++r) {
        right = right && U[i].view(r, c) == value(i, r, c);
      }
    }
    EXPECT_TRUE(right) << "matrix " << i;
    EXPECT_EQ(reports[i].iterations, static_cast<int>(i) + 1);
    ASSERT_EQ(reports[i].phases.size(), 1U);
    EXPECT_EQ(reports[i].phases[0].name, "p" + std::to_string(i));
  }
}

// ---- mpi::polar_batched -------------------------------------------------------------------------

// U and H of one list in the layouts the tests cycle through (U: column-major, row-major,
// padded; H shifted by one), filled with the sentinel.
template <class T>
struct Outputs {
  std::vector<Buffer<T>> U;
  std::vector<Buffer<T>> H;

  explicit Outputs(const std::vector<Matrix<T>>& A) {
    for (std::size_t i = 0; i < A.size(); ++i) {
      U.emplace_back(A[i].rows(), A[i].cols(), static_cast<int>(i % 3));
      H.emplace_back(A[i].cols(), A[i].cols(), static_cast<int>((i + 1) % 3));
    }
  }
};

// The distributed call on A against the single process on `clean` (A itself, or A where only
// the owners' copies are clean): U and H (any layout) bit for bit, reports field by field; H
// given but not asked for (compute_h off) stays untouched, as one process leaves it.
template <class T>
void expect_matches(const std::vector<Matrix<T>>& clean, const std::vector<Matrix<T>>& A,
                    const PolarOptions& o) {
  Outputs<T> want(clean);
  const std::vector<PolarInfo> want_infos =
      reference<T>(const_views(clean), views_of(want.U), views_of(want.H), o);
  Outputs<T> got(A);
  const std::vector<MatrixView<T>> Uv = views_of(got.U);
  const std::vector<MatrixView<T>> Hv = views_of(got.H);
  const std::vector<PolarInfo> infos =
      mpi::polar_batched<T>(MPI_COMM_WORLD, const_views(A), Uv, Hv, o);
  ASSERT_EQ(infos.size(), A.size());
  for (std::size_t i = 0; i < A.size(); ++i) {
    EXPECT_TRUE(identical<T>(Uv[i], want.U[i].view)) << "U of matrix " << i;
    EXPECT_TRUE(identical<T>(Hv[i], want.H[i].view)) << "H of matrix " << i;
    if (!o.compute_h) {
      EXPECT_TRUE(untouched<T>(Hv[i])) << "H of matrix " << i;
    }
    expect_same_report(infos[i], want_infos[i], i);
  }
}

template <class T>
void expect_polar_batched_matches(const std::vector<Shape>& shapes, const PolarOptions& o) {
  const std::vector<Matrix<T>> A = matrices<T>(shapes, 100);
  expect_matches(A, A, o);
}

struct Case {
  const char* name;
  PolarOptions options;
};

std::vector<Case> polar_cases() {
  PolarOptions muon;
  muon.method = Method::muon;
  muon.steps = 5;
  muon.compute_h = false;  // Muon's oracle: U alone (H given, left untouched)
  PolarOptions express;
  express.method = Method::polar_express;
  PolarOptions qdwh;
  qdwh.method = Method::qdwh;
  qdwh.backward_error = true;
  PolarOptions automatic;
  automatic.method = Method::automatic;
  automatic.compute_h = true;
  return {{"muon", muon}, {"polar_express", express}, {"qdwh", qdwh}, {"auto", automatic}};
}

template <class T>
class PolarBatched : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(PolarBatched, Types);

TYPED_TEST(PolarBatched, MixedShapesEqualOneProcessBitForBit) {
  for (const Case& c : polar_cases()) {
    SCOPED_TRACE(c.name);
    expect_polar_batched_matches<TypeParam>(mixed_shapes(), c.options);
  }
}

TYPED_TEST(PolarBatched, OneMatrixLeavesTheOtherRanksWithNothingToSolve) {
  for (const Case& c : polar_cases()) {
    SCOPED_TRACE(c.name);
    expect_polar_batched_matches<TypeParam>({{30, 20}}, c.options);
  }
}

TYPED_TEST(PolarBatched, LargerUnevenList) {
  // 11 matrices up to 200 rows, more than the ranks, of costs 5 : 1 : 4.5 (200x40, 40x40, 60x80).
  const std::vector<Shape> shapes = {{200, 40}, {40, 40}, {40, 40}, {60, 80}, {40, 40}, {200, 40},
                                     {40, 40}, {60, 80}, {40, 40}, {40, 40}, {200, 40}};
  expect_polar_batched_matches<TypeParam>(shapes, polar_cases()[0].options);
  expect_polar_batched_matches<TypeParam>(shapes, polar_cases()[2].options);
}

// Each matrix is read and solved by its owner alone: every other rank may hold NaN in its copy.
TEST(PolarBatched, OnlyTheOwnerReadsAMatrix) {
  const std::vector<Matrix<double>> clean = matrices<double>(mixed_shapes(), 100);
  std::vector<Matrix<double>> A = matrices<double>(mixed_shapes(), 100);
  PolarOptions o;
  o.method = Method::qdwh;
  const mpi::Assignment a = mpi::assign<double>(MPI_COMM_WORLD, const_views(A), o);
  for (std::size_t i = 0; i < A.size(); ++i) {
    if (a.owner[i] != rank()) A[i](0, 0) = std::numeric_limits<double>::quiet_NaN();
  }
  expect_matches(clean, A, o);
}

TYPED_TEST(PolarBatched, EmptyListReturnsNothing) {
  using T = TypeParam;
  const std::vector<PolarInfo> got = mpi::polar_batched<T>(
      MPI_COMM_WORLD, std::span<const MatrixView<const T>>(), std::span<const MatrixView<T>>(),
      std::span<const MatrixView<T>>());
  EXPECT_TRUE(got.empty());
}

TEST(PolarBatched, ZeroAndEmptyMatricesTravelToo) {
  std::vector<Matrix<double>> A = matrices<double>({{6, 4}, {6, 4}, {5, 3}}, 9);
  A[1] = Matrix<double>(6, 4);  // zero: U = 0, H = 0
  A.emplace_back(0, 3);         // empty
  expect_matches(A, A, PolarOptions{});
}

// ---- mpi::optim::step_batched -------------------------------------------------------------------

template <class T>
struct Parameters {
  std::vector<Matrix<T>> W;
  std::vector<Matrix<T>> G;
  std::vector<Matrix<T>> M;

  explicit Parameters(const std::vector<Shape>& shapes) {
    W = matrices<T>(shapes, 200);
    G = matrices<T>(shapes, 300);
    M = matrices<T>(shapes, 400);  // a momentum state already under way
  }
  std::vector<MatrixView<T>> views(std::vector<Matrix<T>>& X) {
    std::vector<MatrixView<T>> v;
    for (Matrix<T>& x : X) v.push_back(x.view());
    return v;
  }
};

template <class T>
void expect_steps_match(const optim::Config& config, bool sharded, int steps) {
  const std::vector<Shape>& shapes = mixed_shapes();
  Parameters<T> want(shapes);
  std::vector<std::vector<optim::StepReport>> want_reports(static_cast<std::size_t>(steps));
  for (int s = 0; s < steps; ++s) {
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      want_reports[static_cast<std::size_t>(s)].push_back(
          optim::step<T>(config, want.W[i].view(), want.G[i].view(), want.M[i].view()));
    }
  }

  Parameters<T> got(shapes);
  std::vector<MatrixView<T>> W = got.views(got.W);
  std::vector<MatrixView<T>> M = got.views(got.M);
  const mpi::Assignment a = mpi::optim::assign<T>(MPI_COMM_WORLD, config, W);
  std::vector<Buffer<T>> others;  // the sentinel-filled M of the matrices other ranks own
  others.reserve(shapes.size());
  if (sharded) {
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      if (a.owner[i] == rank()) continue;
      // Odd ranks pass empty views for what they do not own, even ranks memory of their own.
      if (rank() % 2 == 1) {
        M[i] = MatrixView<T>();
      } else {
        M[i] = others.emplace_back(shapes[i].rows, shapes[i].cols, static_cast<int>(i % 3)).view;
      }
    }
  }
  // Only the owner reads a gradient: the other ranks' copies may hold anything.
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    if (a.owner[i] != rank()) got.G[i](0, 0) = std::numeric_limits<T>::quiet_NaN();
  }
  std::vector<MatrixView<const T>> G;
  for (const Matrix<T>& g : got.G) G.push_back(g.view());
  mpi::optim::Distribution d;
  d.shard_state = sharded;
  for (int s = 0; s < steps; ++s) {
    const std::vector<optim::StepReport> reports =
        mpi::optim::step_batched<T>(MPI_COMM_WORLD, config, W, G, M, d);
    ASSERT_EQ(reports.size(), shapes.size());
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      expect_same_step_report(reports[i], want_reports[static_cast<std::size_t>(s)][i], i);
    }
  }
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    EXPECT_TRUE(identical<T>(W[i], want.W[i].view())) << "W of parameter " << i;
    if (!sharded || a.owner[i] == rank()) {
      EXPECT_TRUE(identical<T>(M[i], want.M[i].view())) << "M of parameter " << i;
    } else if (!M[i].empty()) {
      EXPECT_TRUE(untouched<T>(M[i])) << "M of parameter " << i << ", owned by rank " << a.owner[i];
    }
  }
}

template <class T>
class StepBatched : public ::testing::Test {};
TYPED_TEST_SUITE(StepBatched, Types);

optim::Config polargrad() {
  optim::Config c = optim::Config::polargrad();
  c.nu = optim::Nu::nuclear;  // H formed by the oracle
  c.order = optim::MomentumOrder::polar_first;
  c.momentum = 0.9;
  return c;
}

TYPED_TEST(StepBatched, MuonReplicatedEqualsOneProcess) {
  expect_steps_match<TypeParam>(optim::Config{}, false, 1);
}

TYPED_TEST(StepBatched, PolarGradReplicatedEqualsOneProcess) {
  expect_steps_match<TypeParam>(polargrad(), false, 1);
}

TYPED_TEST(StepBatched, MuonShardedKeepsEachStateWithItsOwner) {
  expect_steps_match<TypeParam>(optim::Config{}, true, 2);
}

TYPED_TEST(StepBatched, PolarGradShardedKeepsEachStateWithItsOwner) {
  expect_steps_match<TypeParam>(polargrad(), true, 2);
}

TEST(StepBatched, NoMomentumNoState) {
  optim::Config c;
  c.momentum = 0.0;
  Parameters<double> want(mixed_shapes());
  Parameters<double> got(mixed_shapes());
  std::vector<MatrixView<const double>> G;
  for (std::size_t i = 0; i < want.W.size(); ++i) {
    optim::step<double>(c, want.W[i].view(), want.G[i].view(), MatrixView<double>());
    G.push_back(got.G[i].view());
  }
  const auto W = got.views(got.W);
  mpi::optim::step_batched<double>(MPI_COMM_WORLD, c, W, G, {});
  for (std::size_t i = 0; i < W.size(); ++i) {
    EXPECT_TRUE(identical<double>(W[i], want.W[i].view())) << i;
  }
}

// ---- errors: every rank throws the same Error, none hangs ---------------------------------------

std::optional<Error> error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

// Every rank threw code with a message containing `words`, the same message everywhere.
void expect_thrown_everywhere(const std::optional<Error>& e, ErrorCode code,
                              const std::string& words) {
  ASSERT_TRUE(same_on_every_rank(e ? e->what() : "no error"));
  ASSERT_TRUE(e.has_value()) << "rank " << rank() << " did not throw";
  EXPECT_EQ(e->code(), code) << e->what();
  EXPECT_NE(std::string(e->what()).find(words), std::string::npos) << e->what();
}

struct PolarCall {
  std::vector<Matrix<double>> A = matrices<double>(mixed_shapes(), 500);
  std::vector<Buffer<double>> U;
  PolarOptions options;

  PolarCall() {
    for (const auto& a : A) U.emplace_back(a.rows(), a.cols(), 0);
  }
  std::optional<Error> run() {
    const auto Uv = views_of(U);
    return error_of([&] {
      mpi::polar_batched<double>(MPI_COMM_WORLD, const_views(A), Uv, {}, options);
    });
  }
  [[nodiscard]] bool outputs_untouched() const {
    for (const auto& u : U) {
      if (!untouched<double>(u.view)) return false;
    }
    return true;
  }
};

// One rank's list differs from the others' in one way: every rank throws, before any work.
TEST(Errors, AListThatDiffersOnOneRankThrowsEverywhere) {
  if (ranks() == 1) GTEST_SKIP() << "needs two ranks to differ";
  struct Deviation {
    const char* name;
    const char* what;  // ends the message where it names something
    std::function<void(PolarCall&)> apply;
  };
  const std::vector<Deviation> deviations = {
      {"count", " (counts 7 to 8", [](PolarCall& c) {
         c.A.push_back(testkit::gaussian<double>(4, 4, 1));
         c.U.emplace_back(4, 4, 0);
       }},
      {"shape", " (counts 7 to 7", [](PolarCall& c) {
         c.A[2] = testkit::gaussian<double>(32, 31, 1);
         c.U[2] = Buffer<double>(32, 31, 0);
       }},
      {"options", "", [](PolarCall& c) { c.options.tol = 1e-6; }},
      {"layout", "", [](PolarCall& c) { c.U[3] = Buffer<double>(48, 24, 1); }},  // row-major
  };
  for (const Deviation& d : deviations) {
    SCOPED_TRACE(d.name);
    PolarCall call;
    if (rank() == odd_one()) d.apply(call);
    expect_thrown_everywhere(
        call.run(), ErrorCode::invalid_argument,
        std::string("mpi::polar_batched: the matrix lists differ across ranks") + d.what);
    EXPECT_TRUE(call.outputs_untouched());
  }
}

TEST(Errors, AnArgumentErrorOnOneRankThrowsEverywhere) {
  PolarCall call;
  if (rank() == odd_one()) call.U[1] = Buffer<double>(20, 63, 0);
  expect_thrown_everywhere(call.run(), ErrorCode::invalid_argument,
                           "mpi::polar_batched: item 1: polar: U is 20x63, expected 20x64");
  EXPECT_TRUE(call.outputs_untouched());
}

TEST(Errors, OverlappingOutputsAreRefused) {
  PolarCall call;
  call.U[4].view = call.U[0].view;  // same shape, same memory
  expect_thrown_everywhere(call.run(), ErrorCode::invalid_argument,
                           "mpi::polar_batched: U[4] and U[0] overlap in memory");
}

TEST(Errors, NaNInOneMatrixThrowsNonFiniteInputEverywhereBeforeAnyOutput) {
  PolarCall call;
  call.A[4](3, 2) = std::numeric_limits<double>::quiet_NaN();
  expect_thrown_everywhere(call.run(), ErrorCode::non_finite_input,
                           "mpi::polar_batched: A[4] contains NaN or Inf");
  EXPECT_TRUE(call.outputs_untouched());
}

TEST(Errors, StepWithNaNGradientThrowsEverywhereAndLeavesWUntouched) {
  Parameters<float> p(mixed_shapes());
  p.G[5](0, 0) = std::numeric_limits<float>::infinity();
  const std::vector<Matrix<float>> W0 = [&] {
    std::vector<Matrix<float>> c;
    for (const auto& w : p.W) c.push_back(testkit::clone(w));
    return c;
  }();
  std::vector<MatrixView<const float>> G;
  for (const auto& g : p.G) G.push_back(g.view());
  const auto W = p.views(p.W);
  const auto M = p.views(p.M);
  expect_thrown_everywhere(error_of([&] {
                             mpi::optim::step_batched<float>(MPI_COMM_WORLD, optim::Config{}, W,
                                                             G, M);
                           }),
                           ErrorCode::non_finite_input,
                           "mpi::optim::step_batched: the gradient G[5] contains NaN or Inf");
  for (std::size_t i = 0; i < W.size(); ++i) {
    EXPECT_TRUE(identical<float>(W[i], W0[i].view())) << i;
  }
}

TEST(Errors, ShardedStepNeedsTheOwnersState) {
  Parameters<float> p(mixed_shapes());
  std::vector<MatrixView<const float>> G;
  for (const auto& g : p.G) G.push_back(g.view());
  const auto W = p.views(p.W);
  auto M = p.views(p.M);
  const optim::Config c;
  const mpi::Assignment a = mpi::optim::assign<float>(MPI_COMM_WORLD, c, W);
  if (a.owner[3] == rank()) M[3] = MatrixView<float>();  // the owner lacks its state
  mpi::optim::Distribution d;
  d.shard_state = true;
  expect_thrown_everywhere(
      error_of([&] { mpi::optim::step_batched<float>(MPI_COMM_WORLD, c, W, G, M, d); }),
      ErrorCode::invalid_argument, "mpi::optim::step_batched: item 3: step: momentum 0.95 > 0");
}

}  // namespace
}  // namespace polarkit
