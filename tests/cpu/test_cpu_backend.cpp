// What is particular to the CPU backend: its overrides against the interface's defaults, its
// host cache, the BLAS wrappers' size checks and the parallel passes. The kernels themselves are
// checked against their definitions by the conformance suite (tests/backend/conformance.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>
#include <cstring>

#include "blas/blas.hpp"
#include "core/kernels/backend.hpp"
#include "cpu/host_cache.hpp"
#include "cpu/parallel_passes.hpp"
#include "polarkit/device.hpp"
#include "polarkit/polar.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit::detail {
namespace {

using testkit::eps;

template <class T>
class CpuBackendTest : public ::testing::Test {
 protected:
  Backend<T>& be = backend_for<T>(MemorySpace::host);
};
using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CpuBackendTest, Scalars);

// The CPU's geqrt + blocked gemqrt against the default (qr + form_q on the stack): one
// orthonormal Q up to the signs of its columns, so one product Q₁Q₂ᵀ; 150 columns make two
// compact-WY blocks, the second one partial.
TYPED_TEST(CpuBackendTest, StackIdentityQMatchesTheDefault) {
  using T = TypeParam;
  const index_t m = 190;
  const index_t n = 150;
  const auto X = testkit::gaussian<T>(m, n, 11);
  const double rho = 0.3;
  std::array<Matrix<T>, 2> products;
  for (std::size_t k = 0; k < 2; ++k) {
    Matrix<T> work(m + n, n);
    Matrix<T> t(n, n);
    Matrix<T> Q(m + n, n);
    if (k == 0) {
      this->be.stack_identity_q(rho, X.view(), work.view(), t.view(), Q.view());
    } else {
      this->be.Backend<T>::stack_identity_q(rho, X.view(), work.view(), t.view(), Q.view());
    }
    // Orthonormal columns to Householder accuracy: c·(m + n)·u.
    Matrix<T> G(n, n);
    this->be.gram(1.0, std::as_const(Q).view(), 0.0, G.view());
    EXPECT_LE(this->be.norm_fro_minus_identity(std::as_const(G).view()),
              4.0 * double(m + n) * eps<T>) << k;
    const MatrixView<const T> q = std::as_const(Q).view();
    products[k] = Matrix<T>(m, n);
    this->be.gemm(1.0, q.block(0, 0, m, n), q.block(m, 0, n, n).transposed(), 0.0,
                  products[k].view());
  }
  double diff = 0.0;
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) {
      diff = std::max(diff, std::abs(double(products[0](i, j)) - double(products[1](i, j))));
    }
  }
  // Two backward-stable factorisations of [ρX; I] (κ ≤ 1 + ρ‖X‖): c·(m + n)·u apart.
  EXPECT_LE(diff, 4.0 * double(m + n) * eps<T>);
}

// The fused c·S² + b·S + a·I does the default's operations in the default's order per entry.
TYPED_TEST(CpuBackendTest, PolynomialMatchesTheDefaultBitForBit) {
  using T = TypeParam;
  const index_t n = 150;  // partial tiles of the 8 × 128 mirror walk
  const auto X = testkit::gaussian<T>(170, n, 12);
  Matrix<T> S(n, n);
  this->be.gram(1.0 / 170.0, X.view(), 0.0, S.view());
  const Quintic q{1.875, -1.25, 0.375};
  std::array<Matrix<T>, 2> D{Matrix<T>(n, n), Matrix<T>(n, n)};
  const MatrixView<const T> s = std::as_const(S).view();
  const MatrixView<T> d0 = D[0].view();
  const MatrixView<T> d1 = D[1].view();
  this->be.polynomial_batched(std::span(&q, 1), Views<const T>(&s, 1), Views<T>(&d0, 1));
  this->be.ProductBackend<T>::polynomial_batched(std::span(&q, 1), Views<const T>(&s, 1),
                                                 Views<T>(&d1, 1));
  EXPECT_EQ(std::memcmp(D[0].data(), D[1].data(), sizeof(T) * std::size_t(n * n)), 0);
}

// Freed matrices come back from the host cache, and zero-filled as allocate() promises.
// The backend's allocations (the solvers' workspace, from the host cache) are refused as the
// Matrix constructor's are beyond the machine's memory and swap.
TYPED_TEST(CpuBackendTest, AllocationsBeyondTheMachinesMemoryAreErrors) {
  using T = TypeParam;
  const auto just_over = static_cast<index_t>(host_memory_bytes() / sizeof(T) + 1);
  try {
    const Matrix<T> M = this->be.allocate(1, just_over);
    FAIL() << "allocated " << just_over << " elements";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::out_of_memory);
    EXPECT_NE(std::string(e.what()).find("cpu backend"), std::string::npos) << e.what();
  }
}

TYPED_TEST(CpuBackendTest, AllocateReusesFreedBlocksZeroFilled) {
  using T = TypeParam;
  Matrix<T> a = this->be.allocate(33, 31);
  const T* first = a.data();
  for (index_t j = 0; j < 31; ++j) for (index_t i = 0; i < 33; ++i) a(i, j) = T(7);
  a = Matrix<T>();
  const Matrix<T> b = this->be.allocate(33, 31);
  EXPECT_EQ(b.data(), first);
  for (index_t j = 0; j < 31; ++j) for (index_t i = 0; i < 33; ++i) EXPECT_EQ(b(i, j), T(0));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % 64, 0u);
  release_cached_memory();  // and the cache can be emptied
}

// Every matrix a solve needs is allocated before its iteration: the count of allocations does
// not depend on how many iterations ran.
TYPED_TEST(CpuBackendTest, SolvesAllocateTheirMatricesOncePerSolve) {
  using T = TypeParam;
  for (const Method method : {Method::qdwh, Method::polar_express_adaptive, Method::zolo}) {
    std::array<std::size_t, 2> allocations{};
    std::array<int, 2> iterations{};
    // κ = 300 takes more iterations than κ = 2 for each method, and float's Gram matrix still
    // resolves it (at κ above ≈ 370 the rank check of a Newton–Schulz run adds a QR, once per
    // solve: not what this test is about).
    const std::array<double, 2> kappas{2.0, 300.0};
    for (std::size_t k = 0; k < 2; ++k) {
      const auto A = testkit::with_singular_values<T>(40, 30, testkit::geometric_spectrum(30, kappas[k]), 13);
      PolarOptions o;
      o.method = method;
      const std::size_t before = host_acquisitions();
      const auto r = polar(A, o);
      allocations[k] = host_acquisitions() - before;
      iterations[k] = r.info.iterations;
    }
    // Zolo-PD takes two steps at both κ, of orders r = 1 and 3 (r QRs each).
    if (method != Method::zolo) {
      EXPECT_LT(iterations[0], iterations[1]) << method_name(method);
    }
    EXPECT_EQ(allocations[0], allocations[1]) << method_name(method);
  }
}

// The values alone (LAPACK job 'N': another algorithm for the bidiagonal's values) agree with
// the full SVD's to rounding, tall and square; the default of the interface (through svd())
// gives the full SVD's exactly.
TYPED_TEST(CpuBackendTest, SingularValuesAloneMatchTheSvd) {
  using T = TypeParam;
  for (const index_t m : {40, 25}) {
    const index_t n = 25;
    const auto sigma = testkit::geometric_spectrum(n, 1e4);
    const auto A = testkit::with_singular_values<T>(m, n, sigma, 9);
    Matrix<T> W(m, n), Vt(n, n);
    const auto full = this->be.svd(A.view(), W.view(), Vt.view());
    const auto values = this->be.singular_values(A.view());
    ASSERT_EQ(values.size(), full.size());
    for (std::size_t i = 0; i < full.size(); ++i) {
      EXPECT_NEAR(values[i], full[i], 4.0 * double(n) * eps<T> * full[0]) << m << " " << i;
    }
    const auto by_default = this->be.Backend<T>::singular_values(A.view());
    EXPECT_EQ(by_default, full) << m;
  }
}

// Without a CUDA backend compiled in, or a device to run it on, the CUDA space is refused.
TYPED_TEST(CpuBackendTest, TheCudaSpaceIsRefusedWithoutADevice) {
  using T = TypeParam;
  if (cuda_device_count() != 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(backend_for<T>(MemorySpace::cuda), Error);
  EXPECT_NO_THROW(release_cached_device_memory());  // nothing was cached
}

// An empty matrix with a huge dimension (0 × 2^40: no element, no memory) costs nothing: the
// element loops return at once instead of walking 2^40 empty columns (a hang before).
TYPED_TEST(CpuBackendTest, EmptyButHugeViewsCostNothing) {
  using T = TypeParam;
  const index_t huge = index_t{1} << 40;
  const MatrixView<const T> wide(nullptr, 0, huge, 1);
  const MatrixView<T> out(nullptr, 0, huge, 1);
  EXPECT_EQ(this->be.max_abs(wide), 0.0);
  EXPECT_TRUE(this->be.all_finite(wide));
  EXPECT_EQ(this->be.norm_fro(wide), 0.0);
  this->be.copy(2.0, wide, out);
  this->be.add(1.0, wide, 1.0, out);
  const MatrixView<const T> tall(nullptr, huge, 0, huge);
  EXPECT_EQ(this->be.max_abs(tall), 0.0);
  this->be.copy(1.0, tall.transposed(), out);
}

// Sizes reach the BLAS/LAPACK wrappers as index_t and are narrowed to the 32-bit BLAS integer
// inside them: one that does not fit is refused (invalid_argument) before the routine runs or
// sizes a workspace by it (the null operands below are never read), whichever argument it is.
TYPED_TEST(CpuBackendTest, BlasWrappersRefuseSizesBeyondTheBlasInteger) {
  using T = TypeParam;
  using blas::Op;
  using blas::Uplo;
  constexpr int int_max = std::numeric_limits<int>::max();
  EXPECT_EQ(blas::narrow(index_t{int_max}), int_max);
  const index_t over = index_t{int_max} + 1;
  const auto expect_refused = [](const char* what, const auto& call) {
    try {
      call();
      ADD_FAILURE() << what << " took a size beyond the BLAS integer";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << what;
      EXPECT_NE(std::string(e.what()).find("does not fit the BLAS integer"), std::string::npos)
          << what << ": " << e.what();
    }
  };
  T* const none = nullptr;
  expect_refused("narrow", [&] { (void)blas::narrow(over); });
  expect_refused("narrow(-1)", [&] { (void)blas::narrow(-1); });
  expect_refused("gemm m", [&] {
    blas::gemm(Op::no_trans, Op::no_trans, over, 1, 1, T(1), none, over, none, 1, T(0), none, over);
  });
  expect_refused("gemv incx", [&] {
    blas::gemv(Op::no_trans, 1, 1, T(1), none, 1, none, over, T(0), none, 1);
  });
  expect_refused("geqrf lda", [&] { (void)blas::geqrf(1, 1, none, over, none); });
  expect_refused("gesdd m",
                 [&] { (void)blas::gesdd(over, 1, none, over, none, none, 1, none, 1); });
  expect_refused("lantr n",
                 [&] { (void)blas::lantr(blas::Norm::one, Uplo::upper, over, none, over); });
  expect_refused("syevd n", [&] {
    (void)blas::syevd(blas::Job::vec, Uplo::lower, over, none, over, none);
  });
  // Through the backend: its sizes go to the wrapper as they are, and the wrapper refuses them.
  T one(1);
  expect_refused("cholesky lda", [&] { (void)this->be.cholesky(MatrixView<T>(&one, 1, 1, over)); });
}

// The O(n²) passes across cores: every block in exactly one range, ranges balanced by work
// (a triangle's first blocks weigh more), serial for small passes, and an exception of a range
// rethrown.
TEST(ParallelPasses, RangesCoverEveryBlockOnceAndBalanceTheWork) {
  for (const bool triangular : {false, true}) {
    for (const index_t elements : {index_t{1000}, index_t{1} << 22}) {
      constexpr index_t blocks = 64;
      std::vector<std::atomic<int>> seen(blocks);
      std::mutex mutex;
      std::set<std::thread::id> threads;
      std::vector<std::pair<index_t, index_t>> ranges;
      cpu::for_block_ranges(blocks, elements, triangular, [&](index_t b0, index_t b1) {
        for (index_t b = b0; b < b1; ++b) ++seen[static_cast<std::size_t>(b)];
        const std::lock_guard<std::mutex> lock(mutex);
        threads.insert(std::this_thread::get_id());
        ranges.emplace_back(b0, b1);
      });
      for (const auto& s : seen) EXPECT_EQ(s, 1);
      const bool parallel = elements >= (index_t{1} << 18) && blas::threads() >= 2;
      EXPECT_EQ(threads.size() >= 2, parallel) << triangular << " " << elements;
      if (parallel && blas::threads() == 2) {
        std::sort(ranges.begin(), ranges.end());
        ASSERT_EQ(ranges.size(), 2U);
        // A lower triangle in 64 column blocks splits where 1 − (1 − b/64)² = 1/2: b ≈ 19.
        EXPECT_EQ(ranges[0].second, triangular ? 19 : 32);
      }
    }
  }
  // An exception of a range on another thread reaches the caller (with one BLAS thread, as under
  // the tsan preset, there is one range only, starting at 0).
  if (blas::threads() >= 2) {
    EXPECT_THROW(cpu::for_block_ranges(8, index_t{1} << 22, false,
                                       [](index_t b0, index_t) {
                                         if (b0 > 0) throw std::runtime_error("range");
                                       }),
                 std::runtime_error);
  }
}

}  // namespace
}  // namespace polarkit::detail
