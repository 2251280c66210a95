#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "polarkit/condition.hpp"
#include "polarkit/device.hpp"
#include "polarkit/matrix.hpp"
#include "polarkit/polar.hpp"

namespace polarkit {
namespace {

TEST(MatrixView, ColumnAndRowMajorAddressing) {
  double data[6] = {1, 2, 3, 4, 5, 6};
  const auto c = col_major(data, 2, 3, 2);  // columns (1,2) (3,4) (5,6)
  const auto r = row_major(data, 2, 3, 3);  // rows (1,2,3) (4,5,6)
  EXPECT_EQ(c(1, 2), 6);
  EXPECT_EQ(c(0, 1), 3);
  EXPECT_EQ(r(0, 2), 3);
  EXPECT_EQ(r(1, 0), 4);
}

TEST(MatrixView, TransposedSharesTheData) {
  double data[6] = {1, 2, 3, 4, 5, 6};
  const auto c = col_major(data, 2, 3, 2);
  const auto t = c.transposed();
  EXPECT_EQ(t.rows(), 3);
  EXPECT_EQ(t.cols(), 2);
  EXPECT_EQ(t.layout(), Layout::row_major);
  EXPECT_EQ(t.data(), data);
  for (index_t i = 0; i < 2; ++i) {
    for (index_t j = 0; j < 3; ++j) EXPECT_EQ(t(j, i), c(i, j));
  }
  EXPECT_EQ(t.transposed().layout(), Layout::col_major);
}

TEST(MatrixView, BlocksKeepTheLeadingDimension) {
  Matrix<double> M(5, 4);
  for (index_t j = 0; j < 4; ++j) {
    for (index_t i = 0; i < 5; ++i) M(i, j) = double(10 * i + j);
  }
  const auto b = M.view().block(1, 2, 3, 2);
  EXPECT_EQ(b.ld(), 5);
  EXPECT_EQ(b(0, 0), 12);
  EXPECT_EQ(b(2, 1), 33);
  EXPECT_EQ(M.view().col(3)(4, 0), 43);
  EXPECT_THROW((void)M.view().block(4, 0, 2, 1), Error);
}

TEST(MatrixView, LeadingDimensionAndSizesAreChecked) {
  double data[6] = {};
  EXPECT_THROW(col_major(data, 3, 2, 2), Error);
  EXPECT_THROW(row_major(data, 2, 3, 2), Error);
  EXPECT_THROW(col_major(data, -1, 2, 2), Error);
  EXPECT_THROW(col_major<double>(nullptr, 2, 2, 2), Error);
  EXPECT_NO_THROW(col_major<double>(nullptr, 0, 2, 1));
  try {
    (void)col_major(data, 3, 2, 2);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("leading dimension 2 is below 3"), std::string::npos);
  }
}

TEST(Matrix, OwnsZeroInitialisedColumnMajorStorage) {
  Matrix<float> M(3, 2);
  EXPECT_EQ(M.ld(), 3);
  EXPECT_EQ(M.space(), MemorySpace::host);
  for (index_t j = 0; j < 2; ++j) {
    for (index_t i = 0; i < 3; ++i) EXPECT_EQ(M(i, j), 0.0f);
  }
  Matrix<float> moved = std::move(M);
  EXPECT_EQ(moved.rows(), 3);
  EXPECT_EQ(Matrix<float>(0, 7).ld(), 1);
}

// rows · cols · sizeof(T) is checked before anything is allocated: 2^32 × 2^32 wrapped to 0 and
// left a "non-empty" matrix with no storage (a segfault at the first write); the error names the
// sizes. Memory that cannot be had is Error(out_of_memory), not std::bad_alloc.
TEST(Matrix, SizesThatOverflowOrCannotBeAllocatedAreErrors) {
  const index_t big = index_t{1} << 32;
  for (const auto& [rows, cols] : {std::pair{big, big}, std::pair{index_t{1} << 62, index_t{2}},
                                   std::pair{index_t{3037000500}, index_t{3037000500}}}) {
    try {
      const Matrix<double> M(rows, cols);
      FAIL() << rows << "x" << cols << " gave a matrix";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
      EXPECT_NE(std::string(e.what()).find(std::to_string(rows) + "x" + std::to_string(cols)),
                std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("overflows the address space"), std::string::npos);
    }
  }
  EXPECT_THROW(Matrix<float>(-1, 3), Error);
  // Beyond the machine's memory and swap: refused before the request (where the system would
  // overcommit, zero-filling it would exhaust the machine), as a plain error, also under
  // AddressSanitizer (whose allocator aborts on a 2^57-byte request instead of failing it).
  const std::size_t limit = detail::host_memory_bytes();
  ASSERT_GT(limit, 0u) << "Linux reports its memory";
  const auto just_over = static_cast<index_t>(limit / sizeof(double) + 1);
  for (const auto& [rows, cols] : {std::pair{index_t{1} << 27, index_t{1} << 27},  // 2^57 bytes
                                   std::pair{index_t{1}, just_over}}) {
    try {
      const Matrix<double> M(rows, cols);
      FAIL() << rows << "x" << cols << " doubles allocated";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::out_of_memory);
      EXPECT_NE(std::string(e.what()).find(std::to_string(rows) + "x" + std::to_string(cols)),
                std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bytes of memory and swap"), std::string::npos) << e.what();
    }
  }
}

// polarkit::copy and copy_to between host views: every element, any pair of layouts; the shape
// is checked. (Host-device copies: tests/cuda/test_cuda_backend.cpp.)
TEST(Copy, HostViewsInAnyLayoutsAndCopyTo) {
  std::vector<double> a(12);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<double>(i) + 0.5;
  const MatrixView<const double> rows = row_major<const double>(a.data(), 3, 4, 4);
  Matrix<double> col(3, 4);
  copy(rows, col.view());
  std::vector<double> b(12);
  const MatrixView<double> back = row_major(b.data(), 3, 4, 4);
  copy(MatrixView<const double>(col.view()), back);
  EXPECT_EQ(a, b);
  const Matrix<double> c = copy_to(col, MemorySpace::host);
  for (index_t j = 0; j < 4; ++j) {
    for (index_t i = 0; i < 3; ++i) EXPECT_EQ(c(i, j), rows(i, j));
  }
  Matrix<double> wrong(4, 3);
  EXPECT_THROW(copy(rows, wrong.view()), Error);
}

// polar(A, U, H, options), copy_to and estimate_condition take an owning Matrix and a mutable
// MatrixView as A, as they take a MatrixView<const T>: template deduction does not see through
// those conversions, so each needs its forwarding overload. Same results as the const view.
TEST(MatrixView, MutableViewsAndOwningMatricesAreInputs) {
  Matrix<double> A(5, 3);
  for (index_t j = 0; j < 3; ++j) {
    for (index_t i = 0; i < 5; ++i) {
      A(i, j) = (i == j ? 3.0 : 0.0) + 0.25 * static_cast<double>(i - 2 * j);
    }
  }
  const MatrixView<const double> const_view = std::as_const(A).view();
  Matrix<double> U_ref(5, 3);
  Matrix<double> H_ref(3, 3);
  const PolarInfo ref = polar(const_view, U_ref.view(), H_ref.view());
  const double kappa_ref = estimate_condition(const_view).kappa;
  ASSERT_TRUE(ref.converged);

  const auto check = [&](const auto& input) {
    Matrix<double> U(5, 3);
    Matrix<double> H(3, 3);
    const PolarInfo info = polar(input, U.view(), H.view(), PolarOptions{});
    EXPECT_EQ(info.iterations, ref.iterations);
    Matrix<double> U_only(5, 3);
    polar(input, U_only.view(), {});  // H skipped, options defaulted
    const Matrix<double> copied = copy_to(input, MemorySpace::host);
    for (index_t j = 0; j < 3; ++j) {
      for (index_t i = 0; i < 5; ++i) {
        EXPECT_EQ(U(i, j), U_ref(i, j));
        EXPECT_EQ(U_only(i, j), U_ref(i, j));
        EXPECT_EQ(copied(i, j), A(i, j));
      }
      for (index_t i = 0; i < 3; ++i) EXPECT_EQ(H(i, j), H_ref(i, j));
    }
    EXPECT_EQ(estimate_condition(input).kappa, kappa_ref);
  };
  check(A);                 // const Matrix<double>&
  check(A.view());          // MatrixView<double>
  std::vector<float> f = {2, 0, 0, 1, 0.5f, 0.25f};
  const MatrixView<float> f_view = row_major(f.data(), 2, 3, 3);  // a wide, row-major input
  std::vector<float> fu(6);
  EXPECT_TRUE(polar(f_view, row_major(fu.data(), 2, 3, 3), {}).converged);
  EXPECT_GT(estimate_condition(f_view).kappa, 1.0);
  EXPECT_EQ(copy_to(f_view, MemorySpace::host)(1, 2), 0.25f);
}

}  // namespace
}  // namespace polarkit
