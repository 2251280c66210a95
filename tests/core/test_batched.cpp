// polar_batched(): a batch returns what separate polar() calls return. On the CPU the batched
// kernels run item by item, so the identity is exact (bit for bit, reports included): any
// difference is a bug in the lockstep loop (an item stepped too often, a spectrum or a stop flag
// of another item, a step form applied to the wrong item).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "polarkit/error.hpp"
#include "polarkit/polar.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit {
namespace {

using testkit::identical;

// Both NaN (not computed) or equal.
bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

bool same(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](double x, double y) { return same(x, y); });
}

void expect_same_report(const PolarInfo& batched, const PolarInfo& single, std::size_t item) {
  SCOPED_TRACE("item " + std::to_string(item));
  EXPECT_EQ(batched.iterations, single.iterations);
  EXPECT_EQ(batched.converged, single.converged);
  EXPECT_EQ(batched.zero_input, single.zero_input);
  EXPECT_EQ(batched.method_used, single.method_used);
  EXPECT_EQ(batched.steps, single.steps);
  EXPECT_EQ(batched.ortho_error_history, single.ortho_error_history);
  EXPECT_TRUE(same(batched.ortho_error_2_history, single.ortho_error_2_history));
  EXPECT_TRUE(same(batched.scale, single.scale));
  EXPECT_TRUE(same(batched.lower_bound, single.lower_bound));
  EXPECT_TRUE(same(batched.cond_estimate, single.cond_estimate));
  EXPECT_TRUE(same(batched.backward_error, single.backward_error));
  EXPECT_TRUE(same(batched.nuclear_norm, single.nuclear_norm));
  EXPECT_EQ(batched.flops, single.flops);
  EXPECT_EQ(batched.products, single.products);
}

// A batch that makes the items part ways: condition numbers from 1 to 1e6 (different iteration
// counts, and the near/far step forms in the same step), a rank-deficient item, and a zero one.
template <class T>
std::vector<Matrix<T>> mixed_batch(index_t m, index_t n) {
  std::vector<Matrix<T>> A;
  const double kappas[] = {1.0, 1e2, 1e6, 30.0};
  std::uint64_t seed = 11;
  for (const double kappa : kappas) {
    A.push_back(testkit::with_singular_values<T>(
        m, n, testkit::geometric_spectrum(std::min(m, n), kappa), seed++));
  }
  std::vector<double> deficient = testkit::geometric_spectrum(std::min(m, n), 10.0);
  deficient.back() = 0.0;
  A.push_back(testkit::with_singular_values<T>(m, n, deficient, seed++));
  A.push_back(Matrix<T>(m, n));  // zero
  return A;
}

// The CPU's default group is one matrix; the tests iterate groups of 8 (PolarOptions::batch_group)
// to exercise the lockstep loop.
template <class T>
void expect_batch_equals_loop(const std::vector<Matrix<T>>& A, PolarOptions o) {
  o.batch_group = 8;
  std::vector<MatrixView<const T>> views;
  for (const auto& a : A) views.push_back(a.view());
  const std::vector<PolarResult<T>> batched = polar_batched<T>(views, o);
  ASSERT_EQ(batched.size(), A.size());
  for (std::size_t i = 0; i < A.size(); ++i) {
    const PolarResult<T> single = polar(A[i], o);
    EXPECT_TRUE(identical(batched[i].U.view(), single.U.view())) << "U of item " << i;
    EXPECT_TRUE(identical(batched[i].H.view(), single.H.view())) << "H of item " << i;
    expect_same_report(batched[i].info, single.info, i);
  }
}

struct Setting {
  Method method;
  Precision precision;
  bool refine;
};

std::string name(const ::testing::TestParamInfo<Setting>& info) {
  std::string s = std::string(method_name(info.param.method)) + "_" +
                  std::string(precision_name(info.param.precision)) +
                  (info.param.refine ? "_refine" : "");
  for (char& c : s) {
    if (c == '-') c = '_';
  }
  return s;
}

class BatchEqualsLoop : public ::testing::TestWithParam<Setting> {};

TEST_P(BatchEqualsLoop, FloatTallWithH) {
  PolarOptions o;
  o.method = GetParam().method;
  o.precision = GetParam().precision;
  o.refine = GetParam().refine;
  expect_batch_equals_loop(mixed_batch<float>(40, 24), o);
}

TEST_P(BatchEqualsLoop, DoubleWide) {
  PolarOptions o;
  o.method = GetParam().method;
  o.precision = GetParam().precision;
  o.refine = GetParam().refine;
  const auto A = mixed_batch<double>(20, 33);
  if (o.precision == Precision::tf32) {  // TF32 products take float input: refused, as by polar()
    std::vector<MatrixView<const double>> views;
    for (const auto& a : A) views.push_back(a.view());
    try {
      (void)polar_batched<double>(views, o);
      ADD_FAILURE() << "tf32 with double input was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("polar: precision 'tf32' needs float input"),
                std::string::npos)
          << e.what();
    }
    return;
  }
  expect_batch_equals_loop(A, o);
}

INSTANTIATE_TEST_SUITE_P(
    Methods, BatchEqualsLoop,
    ::testing::Values(Setting{Method::newton_schulz, Precision::working, false},
                      Setting{Method::quintic, Precision::working, false},
                      Setting{Method::muon, Precision::working, false},
                      Setting{Method::polar_express, Precision::working, false},
                      Setting{Method::polar_express_adaptive, Precision::working, false},
                      Setting{Method::polar_express_adaptive, Precision::bf16, true},
                      Setting{Method::muon, Precision::fp16, false},
                      Setting{Method::polar_express, Precision::tf32, true},
                      // the other methods run one matrix after another
                      Setting{Method::qdwh, Precision::working, false},
                      Setting{Method::svd, Precision::working, false},
                      Setting{Method::automatic, Precision::working, false}),
    name);

// The test above would pass vacuously if every item took the same path: check that the batch
// does make the items part ways.
TEST(Batched, ItemsStopOnTheirOwn) {
  const auto A = mixed_batch<double>(40, 24);
  std::vector<MatrixView<const double>> views;
  for (const auto& a : A) views.push_back(a.view());
  PolarOptions o;
  o.method = Method::polar_express_adaptive;
  o.batch_group = 8;
  const auto r = polar_batched<double>(views, o);
  EXPECT_LT(r[0].info.iterations, r[2].info.iterations);  // κ = 1 against κ = 1e6
  EXPECT_TRUE(r[5].info.zero_input);
  for (std::size_t i = 0; i + 1 < r.size(); ++i) {
    EXPECT_TRUE(r[i].info.converged) << i;
    EXPECT_LE(testkit::orthogonality_fro(r[i].U.view()) / std::sqrt(24.0),
              13.0 * testkit::eps<double>)
        << i;
  }
}

// More matrices than one group (batch_group = 8): groups of 8, then 3.
TEST(Batched, LargerThanOneGroup) {
  std::vector<Matrix<double>> A;
  for (std::uint64_t i = 0; i < 11; ++i) {
    A.push_back(testkit::with_singular_values<double>(
        16, 10, testkit::geometric_spectrum(10, std::pow(10.0, double(i % 5))), 40 + i));
  }
  PolarOptions o;
  o.method = Method::polar_express_adaptive;
  expect_batch_equals_loop(A, o);
}

// Muon without the 2-norm estimates between X₀ and U (two_norm_each_iterate = false), in bf16
// and in working precision: the NaN entries fall on the same iterates as in separate calls.
TEST(Batched, FixedBudgetWithoutTheTwoNormBetweenTheEnds) {
  PolarOptions o;
  o.method = Method::muon;
  o.two_norm_each_iterate = false;
  for (const Precision precision : {Precision::working, Precision::bf16}) {
    o.precision = precision;
    expect_batch_equals_loop(mixed_batch<float>(40, 24), o);
  }
}

TEST(Batched, RowMajorOperandsAndCallerOutputs) {
  const index_t m = 30, n = 18;
  const auto A0 = testkit::gaussian<double>(m, n, 3);
  const auto A1 = testkit::gaussian<double>(m, n, 4);
  // Row-major views of the transposes' storage: the same logical matrices.
  Matrix<double> T0(n, m), T1(n, m);
  for (index_t i = 0; i < m; ++i) {
    for (index_t j = 0; j < n; ++j) {
      T0(j, i) = A0(i, j);
      T1(j, i) = A1(i, j);
    }
  }
  Matrix<double> U0(n, m), U1(n, m), H0(n, n), H1(n, n);
  const std::vector<MatrixView<const double>> A{T0.view().transposed(), T1.view().transposed()};
  const std::vector<MatrixView<double>> U{U0.view().transposed(), U1.view().transposed()};
  const std::vector<MatrixView<double>> H{H0.view(), H1.view()};
  PolarOptions o;
  o.method = Method::polar_express_adaptive;
  o.batch_group = 2;
  o.backward_error = true;
  const auto infos = polar_batched<double>(A, U, H, o);
  const auto r0 = polar(A0, o);
  const auto r1 = polar(A1, o);
  for (index_t i = 0; i < m; ++i) {
    for (index_t j = 0; j < n; ++j) {
      EXPECT_EQ(U0(j, i), r0.U(i, j));
      EXPECT_EQ(U1(j, i), r1.U(i, j));
    }
  }
  EXPECT_TRUE(identical(std::as_const(H1).view(), r1.H.view()));
  // H and the backward error from row-major operands: as a single call on the same views.
  Matrix<double> V(n, m), K(n, n);
  const PolarInfo single = polar<double>(A[1], V.view().transposed(), K.view(), o);
  EXPECT_EQ(infos[1].backward_error, single.backward_error);
}

ErrorCode code_of(const std::function<void()>& call, std::string* message = nullptr) {
  try {
    call();
  } catch (const Error& e) {
    if (message != nullptr) *message = e.what();
    return e.code();
  }
  return ErrorCode{};
}

TEST(Batched, RejectsBadBatchesBeforeWritingAnyOutput) {
  const auto A0 = testkit::gaussian<double>(12, 8, 1);
  auto A1 = testkit::gaussian<double>(12, 8, 2);
  const auto B = testkit::gaussian<double>(8, 12, 3);
  Matrix<double> U0(12, 8), U1(12, 8), H0(8, 8);
  const double sentinel = 7.0;
  U0(0, 0) = sentinel;
  using CV = MatrixView<const double>;
  using V = MatrixView<double>;
  const auto run = [&](std::vector<CV> A, std::vector<V> U, std::vector<V> H) {
    return [=] { polar_batched<double>(A, U, H); };
  };
  std::string message;
  EXPECT_EQ(code_of(run({A0.view(), A1.view()}, {U0.view()}, {}), &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("2 matrices A, 1 U"), std::string::npos) << message;
  EXPECT_EQ(code_of(run({A0.view(), A1.view()}, {U0.view(), U1.view()}, {H0.view()})),
            ErrorCode::invalid_argument);
  EXPECT_EQ(code_of(run({A0.view(), B.view()}, {U0.view(), U1.view()}, {}), &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("A[1] is 8x12"), std::string::npos) << message;
  // An output aliasing its input is named by item.
  const V A1_as_output(A1.data(), 12, 8, 12, Layout::col_major, MemorySpace::host);
  EXPECT_EQ(code_of(run({A0.view(), A1.view()}, {U0.view(), A1_as_output}, {}), &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("U[1] and A[1] overlap"), std::string::npos) << message;
  // Across items too: item 0's U may not be item 1's A.
  EXPECT_EQ(code_of(run({A0.view(), A1.view()}, {A1_as_output, U1.view()}, {}), &message),
            ErrorCode::invalid_argument);
  EXPECT_NE(message.find("U[0] and A[1] overlap"), std::string::npos) << message;
  A1(3, 2) = std::numeric_limits<double>::infinity();
  EXPECT_EQ(code_of(run({A0.view(), A1.view()}, {U0.view(), U1.view()}, {}), &message),
            ErrorCode::non_finite_input);
  EXPECT_NE(message.find("A[1]"), std::string::npos) << message;
  EXPECT_EQ(U0(0, 0), sentinel);  // item 0 was valid, and still untouched
  PolarOptions negative;
  negative.batch_group = -1;
  const auto with_negative_group = [&] {
    polar_batched<double>(std::vector<CV>{A0.view()}, std::vector<V>{U0.view()}, {}, negative);
  };
  EXPECT_EQ(code_of(with_negative_group, &message), ErrorCode::invalid_argument);
  EXPECT_NE(message.find("batch_group"), std::string::npos) << message;
  EXPECT_TRUE(polar_batched<double>(std::vector<CV>{}, std::vector<V>{}, {}).empty());
}

}  // namespace
}  // namespace polarkit
