// include/polarkit/eigen.hpp: views of Eigen matrices share their storage (no copies), and the
// Eigen overloads of polar()/msign() return what the raw-view API returns, bit for bit.
// Built only where Eigen 3.3+ is found (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <Eigen/Core>

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "polarkit/eigen.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/random.hpp"

namespace polarkit {
namespace {

template <class T, int Order>
using EigenMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>;

// An m × n Gaussian matrix of the test support, in an Eigen matrix of the given storage order.
template <class T, int Order>
EigenMatrix<T, Order> gaussian(index_t m, index_t n, std::uint64_t seed) {
  const Matrix<T> G = testkit::gaussian<T>(m, n, seed);
  EigenMatrix<T, Order> A(m, n);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) A(i, j) = G(i, j);
  }
  return A;
}

// Element (i, j) of a view and of an Eigen object compare exactly (bit for bit for finite values).
template <class View, class Derived>
void expect_same_elements(View v, const Eigen::MatrixBase<Derived>& M) {
  ASSERT_EQ(v.rows(), M.rows());
  ASSERT_EQ(v.cols(), M.cols());
  for (index_t j = 0; j < v.cols(); ++j) {
    for (index_t i = 0; i < v.rows(); ++i) {
      ASSERT_EQ(v(i, j), M(i, j)) << "(" << i << ", " << j << ")";
    }
  }
}

template <class T, int Order>
struct Case {
  using Scalar = T;
  static constexpr int order = Order;
  static constexpr Layout layout = Order == Eigen::RowMajor ? Layout::row_major : Layout::col_major;
};

template <class C>
class EigenInterop : public ::testing::Test {};
using Cases = ::testing::Types<Case<float, Eigen::ColMajor>, Case<float, Eigen::RowMajor>,
                               Case<double, Eigen::ColMajor>, Case<double, Eigen::RowMajor>>;
TYPED_TEST_SUITE(EigenInterop, Cases);

// polar(Eigen matrix) is the raw-view call on the same data into outputs of the same layout: U,
// H and the report agree exactly, for tall, square and wide inputs. U also agrees with the
// column-major U of polar(view) (U is written out of the solver's own iterate); msign's U is
// polar's. The view itself is the Eigen storage: same pointer, the storage order's layout, ld
// from the outer stride.
TYPED_TEST(EigenInterop, SameAsTheRawViewApi) {
  using T = typename TypeParam::Scalar;
  constexpr int order = TypeParam::order;
  PolarOptions options;
  options.backward_error = true;
  const std::pair<index_t, index_t> shapes[] = {{9, 5}, {6, 6}, {4, 7}};  // tall, square, wide
  for (const auto& [m, n] : shapes) {
    SCOPED_TRACE(::testing::Message() << m << "x" << n);
    const EigenMatrix<T, order> A = gaussian<T, order>(m, n, 17);
    const MatrixView<const T> a = eigen::view(A);
    EXPECT_EQ(a.data(), A.data());
    EXPECT_EQ(a.layout(), TypeParam::layout);
    EXPECT_EQ(a.ld(), order == Eigen::RowMajor ? n : m);

    const auto [U, H, info] = polarkit::polar(A, options);
    static_assert(std::is_same_v<std::remove_const_t<decltype(U)>, EigenMatrix<T, order>>);
    static_assert(std::is_same_v<std::remove_const_t<decltype(H)>, EigenMatrix<T, order>>);

    std::vector<T> u(static_cast<std::size_t>(m * n));
    std::vector<T> h(static_cast<std::size_t>(n * n));
    const bool rows = order == Eigen::RowMajor;
    const MatrixView<T> u_view = rows ? row_major(u.data(), m, n, n) : col_major(u.data(), m, n, m);
    const MatrixView<T> h_view = rows ? row_major(h.data(), n, n, n) : col_major(h.data(), n, n, n);
    const PolarInfo raw = polarkit::polar(a, u_view, h_view, options);
    expect_same_elements(u_view, U);
    expect_same_elements(h_view, H);
    EXPECT_EQ(info.iterations, raw.iterations);
    EXPECT_EQ(info.method_used, raw.method_used);
    EXPECT_EQ(info.backward_error, raw.backward_error);
    EXPECT_TRUE(info.converged);

    const PolarResult<T> owning = polarkit::polar(a, options);
    expect_same_elements(owning.U.view(), U);

    const auto signed_ = polarkit::msign(A, options);
    EXPECT_EQ(signed_.H.size(), 0);
    expect_same_elements(u_view, signed_.U);
  }
}

// A Map with an outer stride is viewed in place (its padding untouched), and U and H written
// through a Ref of a block land in the caller's storage, nothing around the block touched.
TYPED_TEST(EigenInterop, MapWithOuterStrideAndRefOfBlockWithoutCopies) {
  using T = typename TypeParam::Scalar;
  constexpr int order = TypeParam::order;
  constexpr index_t m = 7;
  constexpr index_t n = 4;
  constexpr index_t ld = 11;  // outer stride: padding after each column (or row)
  constexpr T pad = T(-777);
  const index_t outer = order == Eigen::RowMajor ? m : n;
  std::vector<T> storage(static_cast<std::size_t>(ld * outer), pad);
  using Padded = Eigen::Map<EigenMatrix<T, order>, Eigen::Unaligned, Eigen::OuterStride<>>;
  Padded A(storage.data(), m, n, Eigen::OuterStride<>(ld));
  A = gaussian<T, order>(m, n, 5);
  const MatrixView<T> a = eigen::view(A);  // a Map of non-const: writable
  EXPECT_EQ(a.data(), storage.data());
  EXPECT_EQ(a.ld(), ld);
  EXPECT_EQ(a.layout(), TypeParam::layout);

  EigenMatrix<T, order> big = EigenMatrix<T, order>::Constant(12, 10, pad);
  Eigen::Ref<EigenMatrix<T, order>> U = big.block(2, 5, m, n);
  Eigen::Ref<EigenMatrix<T, order>> H = big.block(1, 0, n, n);
  EXPECT_EQ(U.data(), &big(2, 5));  // the Ref binds to the block, no temporary
  const MatrixView<T> u = eigen::view(U);
  EXPECT_EQ(u.data(), &big(2, 5));
  EXPECT_EQ(u.ld(), order == Eigen::RowMajor ? 10 : 12);
  const PolarInfo info = polarkit::polar(a, u, eigen::view(H));
  EXPECT_TRUE(info.converged);

  const auto expected = polarkit::polar(A);
  for (index_t j = 0; j < big.cols(); ++j) {
    for (index_t i = 0; i < big.rows(); ++i) {
      if (i >= 2 && i < 2 + m && j >= 5 && j < 5 + n) {
        ASSERT_EQ(big(i, j), expected.U(i - 2, j - 5));
      } else if (i >= 1 && i < 1 + n && j < n) {
        ASSERT_EQ(big(i, j), expected.H(i - 1, j));
      } else {
        ASSERT_EQ(big(i, j), pad) << "(" << i << ", " << j << ") outside U and H was written";
      }
    }
  }
  for (index_t k = 0; k < outer; ++k) {
    for (index_t p = order == Eigen::RowMajor ? n : m; p < ld; ++p) {
      ASSERT_EQ(storage[static_cast<std::size_t>(k * ld + p)], pad) << "padding of the Map";
    }
  }

  // A temporary block is a writable view as well (a temporary Eigen::Matrix is refused at
  // compile time); const objects and Maps of const give read-only views.
  const MatrixView<T> corner = eigen::view(big.block(0, 0, 2, 2));
  EXPECT_EQ(corner.data(), big.data());
  static_assert(std::is_same_v<decltype(eigen::view(std::as_const(big))), MatrixView<const T>>);
  const Eigen::Map<const EigenMatrix<T, order>> read_only(storage.data(), 2, 2);
  static_assert(std::is_same_v<decltype(eigen::view(read_only)), MatrixView<const T>>);
  static_assert(std::is_same_v<decltype(eigen::view(U)), MatrixView<T>>);
}

// Neither rows nor columns contiguous: Error(invalid_argument) from the view and from polar().
// A vector's one inner stride is fine (the other direction has extent 1).
TYPED_TEST(EigenInterop, NonUnitInnerStrideIsRejected) {
  using T = typename TypeParam::Scalar;
  constexpr int order = TypeParam::order;
  std::vector<T> storage(64, T(1));
  for (std::size_t k = 0; k < storage.size(); ++k) storage[k] = T(1) + T(0.125) * T(k % 7);
  using Strided = Eigen::Map<EigenMatrix<T, order>, Eigen::Unaligned,
                             Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
  Strided A(storage.data(), 4, 3, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(9, 2));
  const auto expect_invalid = [](auto&& call) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
      EXPECT_NE(std::string(e.what()).find("inner stride 1"), std::string::npos) << e.what();
    }
  };
  expect_invalid([&] { (void)eigen::view(A); });
  expect_invalid([&] { (void)polarkit::polar(A); });
  expect_invalid([&] { (void)polarkit::msign(A); });
  const Eigen::Map<const EigenMatrix<T, order>, Eigen::Unaligned, Eigen::InnerStride<2>> B(
      storage.data(), 3, 3);
  expect_invalid([&] { (void)eigen::view(B); });

  // A strided column: the n × 1 view with ld = the stride; U = v / ‖v‖.
  const Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>, Eigen::Unaligned,
                   Eigen::InnerStride<3>>
      v(storage.data(), 5);
  const MatrixView<const T> v_view = eigen::view(v);
  EXPECT_EQ(v_view.data(), storage.data());
  EXPECT_EQ(v_view(4, 0), storage[12]);
  const auto [U, H, info] = polarkit::polar(v);
  ASSERT_EQ(U.rows(), 5);
  const double norm = static_cast<double>(v.template cast<double>().norm());
  for (index_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(static_cast<double>(U(i, 0)), static_cast<double>(v(i)) / norm,
                64 * testkit::eps<T>);
  }
}

// Expressions without storage are evaluated once (the result is that of the evaluated matrix,
// exactly); a transpose has storage and is viewed in place, with U in its (flipped) order.
TEST(EigenInterop, ExpressionsAndTransposes) {
  const Eigen::MatrixXd A = gaussian<double, Eigen::ColMajor>(8, 5, 3);
  const auto scaled = polarkit::polar(A * 2.0 + A);
  const Eigen::MatrixXd evaluated = A * 2.0 + A;
  const auto reference = polarkit::polar(evaluated);
  EXPECT_TRUE(scaled.U == reference.U);
  EXPECT_TRUE(scaled.H == reference.H);

  const MatrixView<const double> t = eigen::view(A.transpose());
  EXPECT_EQ(t.data(), A.data());
  EXPECT_EQ(t.layout(), Layout::row_major);
  const auto transposed = polarkit::polar(A.transpose());
  static_assert(std::remove_cvref_t<decltype(transposed.U)>::IsRowMajor);
  const auto plain = polarkit::polar(A);
  EXPECT_LT((transposed.U - plain.U.transpose()).norm(), 1e-13);

  // Fixed sizes are views too; results are dynamic-size matrices of the same storage order.
  Eigen::Matrix<float, 3, 3, Eigen::RowMajor> F;
  F << 4, 1, 0, 1, 3, 1, 0, 1, 2;
  const auto [U, H, info] = polarkit::polar(F);
  static_assert(std::is_same_v<std::remove_const_t<decltype(U)>,
                               Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>);
  EXPECT_LT((U - Eigen::Matrix3f::Identity()).norm(), 1e-5f);  // F is symmetric positive definite
  EXPECT_LT((H - F).norm(), 1e-5f);

  // Generic code holds its Eigen arguments as MatrixBase<D>&: view() sees the object through it.
  Eigen::MatrixXd B = A;
  const auto through_base = []<class D>(Eigen::MatrixBase<D>& M) { return eigen::view(M); };
  const auto b = through_base(B);
  static_assert(std::is_same_v<decltype(b), const MatrixView<double>>);
  EXPECT_EQ(b.data(), B.data());
  EXPECT_EQ(b.ld(), 8);

  // Empty matrices: views with a valid leading dimension.
  Eigen::MatrixXd none(4, 0);
  EXPECT_TRUE(eigen::view(none).empty());
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> none_rows(0, 3);
  EXPECT_EQ(eigen::view(none_rows).ld(), 3);
}

}  // namespace
}  // namespace polarkit
