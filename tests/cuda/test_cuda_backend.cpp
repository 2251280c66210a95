// What is particular to the CUDA backend: its host ↔ device copies, the kernels that leave
// Backend<T> for the optimizer layer (against the CPU's), polar() on device views for every
// method, and the device-only topics (library loading, pinned copies, memory release). The
// Backend<T> kernels themselves are checked against their definitions by the conformance suite
// (tests/backend/conformance.cpp), instantiated for this backend too. Built only with the CUDA backend; without a CUDA
// device every device test skips with the reason (scripts/gpu-check runs them on a GPU machine).
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/kernels/backend.hpp"
#include "../backend/no_cuda_device.hpp"
#include "libraries.hpp"  // cuda/
#include "optim/kernels.hpp"
#include "polarkit/device.hpp"
#include "polarkit/polar.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/matrices.hpp"
#include "testkit/random.hpp"

namespace polarkit::detail {
namespace {

using testkit::clone;
using testkit::eps;

#define POLARKIT_REQUIRE_DEVICE()                               \
  do {                                                          \
    const std::string why = no_cuda_device_reason();            \
    if (!why.empty()) GTEST_SKIP() << why;                      \
  } while (false)

// A column-major device matrix's elements on the host (cudaMemcpy2D on the legacy default
// stream, which waits for the backend's blocking stream).
template <class T>
Matrix<T> download(MatrixView<const T> D) {
  EXPECT_TRUE(D.is_col_major());
  Matrix<T> H(D.rows(), D.cols());
  if (!D.empty()) {
    const auto bytes = sizeof(T);
    EXPECT_EQ(cudaMemcpy2D(H.data(), static_cast<std::size_t>(H.ld()) * bytes, D.data(),
                           static_cast<std::size_t>(D.ld()) * bytes,
                           static_cast<std::size_t>(D.rows()) * bytes,
                           static_cast<std::size_t>(D.cols()), cudaMemcpyDeviceToHost),
              cudaSuccess);
  }
  return H;
}

template <class T>
Matrix<T> download(const Matrix<T>& D) {
  return download(D.view());
}

template <class T>
Matrix<T> transpose(const Matrix<T>& A) {
  return clone(A.view().transposed());
}

template <class T>
double relative_difference(const Matrix<T>& X, const Matrix<T>& Y) {
  return testkit::relative_difference(X, Y);
}

template <class T>
void expect_equal(const Matrix<T>& got, const Matrix<T>& expected, const std::string& what) {
  ASSERT_EQ(got.rows(), expected.rows()) << what;
  ASSERT_EQ(got.cols(), expected.cols()) << what;
  for (index_t j = 0; j < got.cols(); ++j) {
    for (index_t i = 0; i < got.rows(); ++i) {
      ASSERT_EQ(got(i, j), expected(i, j)) << what << " at (" << i << ", " << j << ")";
    }
  }
}

template <class T>
class CudaBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    POLARKIT_REQUIRE_DEVICE();
    gpu = &backend_for<T>(MemorySpace::cuda);
    gpu_optim = &optim::detail::optim_kernels_for<T>(MemorySpace::cuda);
  }

  // A device copy of a host matrix, made by the backend's copy from host memory.
  Matrix<T> upload(const Matrix<T>& A) {
    Matrix<T> D = gpu->allocate(A.rows(), A.cols());
    gpu->copy(1.0, A.view(), D.view());
    return D;
  }

  // The row-major device view of A: Aᵀ stored column-major in `storage`.
  MatrixView<const T> row_major_view(const Matrix<T>& A, Matrix<T>& storage) {
    storage = upload(transpose(A));
    return std::as_const(storage).view().transposed();
  }

  Backend<T>& cpu = backend_for<T>(MemorySpace::host);
  Backend<T>* gpu = nullptr;
  // The optimizer layer's kernels of the same two backends.
  optim::detail::OptimKernels<T>& cpu_optim =
      optim::detail::optim_kernels_for<T>(MemorySpace::host);
  optim::detail::OptimKernels<T>* gpu_optim = nullptr;
};

using Scalars = ::testing::Types<float, double>;
TYPED_TEST_SUITE(CudaBackendTest, Scalars);

// ---- allocation and copies --------------------------------------------------------------------

TYPED_TEST(CudaBackendTest, AllocateGivesZeroedDeviceMemory) {
  using T = TypeParam;
  const Matrix<T> D = this->gpu->allocate(37, 5);
  EXPECT_EQ(D.space(), MemorySpace::cuda);
  expect_equal(download(D), Matrix<T>(37, 5), "allocate");
  EXPECT_TRUE(this->gpu->allocate(0, 5).empty());
}

TYPED_TEST(CudaBackendTest, CopyBetweenHostAndDeviceInEveryLayout) {
  using T = TypeParam;
  const auto A = testkit::gaussian<T>(70, 45, 1);
  const Matrix<T> At = transpose(A);
  for (const double alpha : {1.0, 0.3, -2.0}) {
    Matrix<T> expected(70, 45);
    this->cpu.copy(alpha, A.view(), expected.view());
    const std::string what = "alpha = " + std::to_string(alpha);
    // host column-major → device column-major (cudaMemcpy2D, then the scaling kernel)
    Matrix<T> D = this->gpu->allocate(70, 45);
    this->gpu->copy(alpha, A.view(), D.view());
    expect_equal(download(D), expected, "host col -> device col, " + what);
    // host row-major → device column-major (staged, then transposed on the device)
    Matrix<T> E = this->gpu->allocate(70, 45);
    this->gpu->copy(alpha, At.view().transposed(), E.view());
    expect_equal(download(E), expected, "host row -> device col, " + what);
    // device column-major → device row-major (the tile kernel), and back
    const Matrix<T> dA = this->upload(A);
    Matrix<T> F = this->gpu->allocate(45, 70);
    this->gpu->copy(alpha, dA.view(), F.view().transposed());
    expect_equal(transpose(download(F)), expected, "device col -> device row, " + what);
    Matrix<T> G = this->gpu->allocate(70, 45);
    this->gpu->copy(1.0, std::as_const(F).view().transposed(), G.view());
    expect_equal(download(G), expected, "device row -> device col, " + what);
  }
}

// ---- products -----------------------------------------------------------------------------------

// ---- elementwise kernels ------------------------------------------------------------------------

TYPED_TEST(CudaBackendTest, SignMatchesTheCpu) {
  using T = TypeParam;
  for (const auto& [m, n] : {std::pair<index_t, index_t>{30, 30}, {45, 20}, {20, 45}}) {
    const auto A = testkit::gaussian<T>(m, n, 12);
    Matrix<T> S = this->upload(A);
    Matrix<T> signs(m, n);
    this->cpu_optim.sign(0.25, A.view(), signs.view());
    this->gpu_optim->sign(0.25, std::as_const(S).view(), S.view());  // src may be dst
    expect_equal(download(S), signs, "sign " + std::to_string(m) + "x" + std::to_string(n));
  }
}

TYPED_TEST(CudaBackendTest, SignOfZeroIsZero) {
  using T = TypeParam;
  Matrix<T> A(4, 3);
  A(1, 1) = T(-2);
  A(2, 0) = T(5);
  Matrix<T> D = this->upload(A);
  this->gpu_optim->sign(3.0, std::as_const(D).view(), D.view());
  const Matrix<T> s = download(D);
  EXPECT_EQ(s(1, 1), T(-3));
  EXPECT_EQ(s(2, 0), T(3));
  EXPECT_EQ(s(0, 0), T(0));
}

// ---- reductions ---------------------------------------------------------------------------------

TYPED_TEST(CudaBackendTest, ColumnNormsMatchTheCpu) {
  using T = TypeParam;
  // Accumulated in double on both sides, in different orders.
  const double tol = 1e-13;
  for (const auto& [m, n] : {std::pair<index_t, index_t>{300, 200}, {1, 1}, {1000, 1}, {3, 700}}) {
    const auto A = testkit::gaussian<T>(m, n, 14);
    Matrix<T> a_store;
    const Matrix<T> dA = this->upload(A);
    const std::string shape = std::to_string(m) + "x" + std::to_string(n);
    const auto expected = this->cpu_optim.column_norms(A.view());
    for (const auto& a : {dA.view(), this->row_major_view(A, a_store)}) {
      const auto got = this->gpu_optim->column_norms(a);
      ASSERT_EQ(got.size(), expected.size());
      for (std::size_t j = 0; j < got.size(); ++j) {
        EXPECT_NEAR(got[j], expected[j], tol * expected[j]) << shape << " column " << j;
      }
    }
  }
}

TYPED_TEST(CudaBackendTest, ColumnNormsAreSafeAtTheEndsOfTheRange) {
  using T = TypeParam;
  const auto A = testkit::gaussian<T>(64, 48, 16);
  // Entries whose squares overflow or underflow double (T = double), or float's extremes; and
  // subnormal entries (for double below 2^-1024, where a scale factor 2^-e would overflow).
  const double big = std::is_same_v<T, double> ? 1e300 : 1e37;
  const double small = std::is_same_v<T, double> ? 1e-300 : 1e-37;
  const double subnormal = std::ldexp(std::numeric_limits<T>::denorm_min(), 16);
  for (const double c : {big, small, subnormal}) {
    Matrix<T> S(64, 48);
    for (index_t j = 0; j < 48; ++j) {
      for (index_t i = 0; i < 64; ++i) S(i, j) = static_cast<T>(A(i, j) * c);
    }
    const Matrix<T> dS = this->upload(S);
    const auto columns = this->cpu_optim.column_norms(S.view());
    const auto got = this->gpu_optim->column_norms(dS.view());
    for (std::size_t j = 0; j < got.size(); ++j) {
      EXPECT_NEAR(got[j], columns[j], 1e-13 * columns[j]) << c << " column " << j;
    }
  }
}

// ---- factorisations -----------------------------------------------------------------------------

TYPED_TEST(CudaBackendTest, InverseNormsMatchTheCpu) {
  using T = TypeParam;
  const index_t n = 45;
  auto R = testkit::gaussian<T>(n, n, 20);
  for (index_t i = 0; i < n; ++i) R(i, i) += (R(i, i) < T(0) ? T(-2) : T(2)) * static_cast<T>(n);
  this->cpu.zero_strict_lower(R.view());
  const Matrix<T> dR = this->upload(R);
  // The same host LAPACK calls on the same R.
  const InverseNorms on_gpu = this->gpu->inverse_norms_upper(dR.view());
  const InverseNorms on_cpu = this->cpu.inverse_norms_upper(R.view());
  EXPECT_EQ(on_gpu.one, on_cpu.one);
  EXPECT_EQ(on_gpu.infinity, on_cpu.infinity);
  R(7, 7) = T(0);
  const InverseNorms singular = this->gpu->inverse_norms_upper(this->upload(R).view());
  EXPECT_EQ(singular.one, std::numeric_limits<double>::infinity());
  EXPECT_EQ(singular.infinity, std::numeric_limits<double>::infinity());
}

TYPED_TEST(CudaBackendTest, SymmetricEigenMatchesTheCpu) {
  using T = TypeParam;
  const index_t n = 40;
  const auto X = testkit::gaussian<T>(2 * n, n, 24);  // S = XᵀX with κ(S) ≈ 30
  Matrix<T> S(n, n);
  this->cpu.gram(1.0, X.view(), 0.0, S.view());
  Matrix<T> V(n, n);
  const auto expected = this->cpu_optim.symmetric_eigen(S.view(), V.view());
  const Matrix<T> dS = this->upload(S);
  Matrix<T> dV = this->gpu->allocate(n, n);
  const auto lambda = this->gpu_optim->symmetric_eigen(dS.view(), dV.view());
  ASSERT_EQ(lambda.size(), expected.size());
  for (std::size_t i = 0; i < lambda.size(); ++i) {
    EXPECT_NEAR(lambda[i], expected[i], 20 * n * eps<T> * expected.back()) << i;
  }
  // S·V = V·Λ
  const Matrix<T> v = download(dV);
  Matrix<T> SV(n, n);
  this->cpu.gemm(1.0, S.view(), v.view(), 0.0, SV.view());
  Matrix<T> VL = clone(v);
  this->cpu.scale_columns(lambda, VL.view());
  EXPECT_LE(relative_difference(SV, VL), 50 * n * eps<T>);
  EXPECT_LE(testkit::orthogonality_fro<T>(v.view()), 20 * n * eps<T>);
}

TYPED_TEST(CudaBackendTest, HostViewsAndShapeMismatchesAreRefused) {
  using T = TypeParam;
  Matrix<T> host(4, 3);
  Matrix<T> D = this->gpu->allocate(4, 3);
  Matrix<T> E = this->gpu->allocate(3, 3);
  EXPECT_THROW(this->gpu->copy(1.0, D.view(), host.view()), Error);  // dst on the host
  EXPECT_THROW(this->gpu->add(1.0, host.view(), 1.0, D.view()), Error);
  EXPECT_THROW(this->gpu->norm_fro(host.view()), Error);
  EXPECT_THROW(this->gpu->gemm(1.0, D.view(), D.view(), 0.0, E.view()), Error);
}

// ---- polar() on device memory ------------------------------------------------------------------

struct MethodCase {
  Method method;
  double kappa;
};

std::string case_name(const ::testing::TestParamInfo<MethodCase>& info) {
  std::string name(method_name(info.param.method));
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name + "_kappa_1e" + std::to_string(static_cast<int>(std::lround(std::log10(info.param.kappa))));
}

// The bars of tests/core/test_polar.cpp and tests/core/test_rational.cpp for each method: orthogonality
// ‖UᵀU − I‖_F/√n and backward error ‖A − UH‖_F/‖A‖_F, in units of ε. Muon runs a fixed budget
// and has none. A case the CPU itself does not meet is held to twice the CPU's value instead.
struct Bars {
  double ortho;
  double backward;
};

Bars bars(Method method, index_t n) {
  const double sqrt_n = 3.0 * std::sqrt(static_cast<double>(n));
  switch (method) {
    case Method::muon:
      return {std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
    case Method::svd:
    case Method::newton:
      return {sqrt_n, sqrt_n};
    case Method::qdwh:
    case Method::zolo:
    case Method::automatic:
      return {13.0, 13.0};
    default:  // the Newton–Schulz family
      return {13.0, sqrt_n};
  }
}

template <class T>
struct Measured {
  Matrix<T> U;
  double ortho;     // in units of ε
  double backward;  // in units of ε
  PolarInfo info;
};

template <class T>
Measured<T> measure(const Matrix<T>& A, Matrix<T> U, const Matrix<T>& H, PolarInfo info) {
  const double k = static_cast<double>(std::min(A.rows(), A.cols()));
  const double ortho = testkit::orthogonality_fro<T>(U.view()) / std::sqrt(k) / eps<T>;
  const double backward = testkit::backward_error<T>(A.view(), U.view(), H.view()) / eps<T>;
  return {std::move(U), ortho, backward, std::move(info)};
}

// polar() of A on the CPU and on the device (A uploaded, U and H allocated by polar() in device
// memory), each measured on the host.
template <class T>
std::pair<Measured<T>, Measured<T>> cpu_and_gpu(const Matrix<T>& A, const PolarOptions& o,
                                                bool row_major = false) {
  const PolarResult<T> c = polar(A, o);
  Backend<T>& gpu = backend_for<T>(MemorySpace::cuda);
  const Matrix<T> stored = row_major ? transpose(A) : clone(A);  // a row-major view stores Aᵀ
  Matrix<T> dA = gpu.allocate(stored.rows(), stored.cols());
  gpu.copy(1.0, stored.view(), dA.view());
  const MatrixView<const T> a =
      row_major ? std::as_const(dA).view().transposed() : std::as_const(dA).view();
  const PolarResult<T> g = polar(a, o);
  EXPECT_EQ(g.U.space(), MemorySpace::cuda);
  EXPECT_EQ(g.H.space(), MemorySpace::cuda);
  return {measure(A, clone(c.U), c.H, c.info), measure(A, download(g.U), download(g.H), g.info)};
}

template <class T>
void expect_like_cpu(const Matrix<T>& A, Method method, double kappa, bool row_major = false) {
  PolarOptions o;
  o.method = method;
  const auto [c, g] = cpu_and_gpu(A, o, row_major);
  const std::string what = std::string(method_name(method)) + " " + std::to_string(A.rows()) + "x" +
                           std::to_string(A.cols()) + " kappa " + std::to_string(kappa) +
                           (row_major ? " row-major" : "");
  const Bars b = bars(method, std::max(A.rows(), A.cols()));
  if (c.info.converged) {
    EXPECT_TRUE(g.info.converged) << what;
  }
  EXPECT_EQ(g.info.method_used, c.info.method_used) << what;
  EXPECT_LE(g.ortho, std::max(b.ortho, 2.0 * c.ortho)) << what << " (CPU " << c.ortho << ")";
  EXPECT_LE(g.backward, std::max(b.backward, 2.0 * c.backward)) << what << " (CPU " << c.backward << ")";
  EXPECT_LE(relative_difference(g.U, c.U), 10.0 * kappa * eps<T>) << what;
  EXPECT_NEAR(g.info.nuclear_norm, c.info.nuclear_norm,
              100.0 * static_cast<double>(std::max(A.rows(), A.cols())) * eps<T> *
                  c.info.nuclear_norm)
      << what;
}

const Method all_methods[] = {Method::svd,        Method::newton_schulz, Method::quintic,
                              Method::muon,       Method::polar_express, Method::polar_express_adaptive,
                              Method::newton,     Method::qdwh,          Method::zolo,
                              Method::automatic};

std::vector<MethodCase> cases(std::initializer_list<double> kappas) {
  std::vector<MethodCase> out;
  for (const double kappa : kappas) {
    for (const Method m : all_methods) out.push_back({m, kappa});
  }
  return out;
}

class CudaPolarDouble : public ::testing::TestWithParam<MethodCase> {
 protected:
  void SetUp() override { POLARKIT_REQUIRE_DEVICE(); }
};

TEST_P(CudaPolarDouble, SquareMatchesTheCpu) {
  const index_t n = 200;
  const auto [method, kappa] = GetParam();
  const auto A = testkit::with_singular_values<double>(n, n, testkit::geometric_spectrum(n, kappa), 7);
  expect_like_cpu(A, method, kappa);
}

TEST_P(CudaPolarDouble, TallWideAndRowMajorMatchTheCpu) {
  const auto [method, kappa] = GetParam();
  const auto sigma = testkit::geometric_spectrum(120, kappa);
  expect_like_cpu(testkit::with_singular_values<double>(200, 120, sigma, 8), method, kappa);
  expect_like_cpu(testkit::with_singular_values<double>(120, 200, sigma, 9), method, kappa);
  expect_like_cpu(testkit::with_singular_values<double>(200, 120, sigma, 10), method, kappa, true);
}

INSTANTIATE_TEST_SUITE_P(Methods, CudaPolarDouble, ::testing::ValuesIn(cases({1e2, 1e6})),
                         case_name);

class CudaPolarFloat : public ::testing::TestWithParam<MethodCase> {
 protected:
  void SetUp() override { POLARKIT_REQUIRE_DEVICE(); }
};

TEST_P(CudaPolarFloat, SquareTallAndWideMatchTheCpu) {
  const auto [method, kappa] = GetParam();
  const auto A = testkit::with_singular_values<float>(200, 200, testkit::geometric_spectrum(200, kappa), 11);
  expect_like_cpu(A, method, kappa);
  const auto sigma = testkit::geometric_spectrum(120, kappa);
  expect_like_cpu(testkit::with_singular_values<float>(200, 120, sigma, 12), method, kappa);
  expect_like_cpu(testkit::with_singular_values<float>(120, 200, sigma, 13), method, kappa, true);
}

INSTANTIATE_TEST_SUITE_P(Methods, CudaPolarFloat, ::testing::ValuesIn(cases({1e2, 1e3})),
                         case_name);

// ---- batched polar on the device --------------------------------------------------------------

// A batch on the device against the same batch on the CPU: the items part ways (κ = 1 … 1e3,
// different iteration counts), so the device's lockstep loop with batched GEMMs and batched
// read-backs is exercised as on the CPU, where polar_batched equals the loop bit for bit.
TEST(CudaBatched, PolarMatchesTheCpuBatch) {
  POLARKIT_REQUIRE_DEVICE();
  Backend<float>& gpu = backend_for<float>(MemorySpace::cuda);
  const index_t m = 192, n = 128;
  std::vector<Matrix<float>> A, dA;
  std::vector<MatrixView<const float>> host, device;
  const double kappas[] = {1.0, 10.0, 1e2, 1e3};
  for (std::size_t i = 0; i < 4; ++i) {
    A.push_back(testkit::with_singular_values<float>(m, n, testkit::geometric_spectrum(n, kappas[i]),
                                                     90 + i));
    dA.push_back(gpu.allocate(m, n));
    gpu.copy(1.0, A.back().view(), dA.back().view());
  }
  for (std::size_t i = 0; i < 4; ++i) {
    host.push_back(A[i].view());
    device.push_back(std::as_const(dA[i]).view());
  }
  for (const Method method : {Method::muon, Method::polar_express_adaptive, Method::qdwh}) {
    PolarOptions o;
    o.method = method;
    const auto c = polar_batched<float>(host, o);
    const auto g = polar_batched<float>(device, o);
    ASSERT_EQ(g.size(), 4u);
    const Bars b = bars(method, m);
    for (std::size_t i = 0; i < 4; ++i) {
      const std::string what = std::string(method_name(method)) + " item " + std::to_string(i);
      const Measured<float> mc = measure(A[i], clone(c[i].U), c[i].H, c[i].info);
      const Measured<float> mg = measure(A[i], download(g[i].U), download(g[i].H), g[i].info);
      EXPECT_EQ(mg.info.converged, mc.info.converged) << what;
      // The device's products round differently, so the stopping rule may fire one step apart.
      EXPECT_NEAR(mg.info.iterations, mc.info.iterations, 1) << what;
      EXPECT_LE(mg.ortho, std::max(b.ortho, 2.0 * mc.ortho)) << what;
      EXPECT_LE(mg.backward, std::max(b.backward, 2.0 * mc.backward)) << what;
      EXPECT_LE(relative_difference(mg.U, mc.U), 10.0 * kappas[i] * eps<float>) << what;
    }
  }
}

// ---- reduced precision: 16-bit storage (cublasGemmEx) and TF32 products --------------------------

// The device's conversions are the host's bit manipulation: equal encodings for every value.
template <class S>
void expect_conversions_like_cpu() {
  StorageBackend<S>& gpu = storage_backend_for<S>(MemorySpace::cuda);
  StorageBackend<S>& cpu = storage_backend_for<S>(MemorySpace::host);
  auto A = testkit::gaussian<float>(64, 48, 41);
  for (index_t j = 0; j < 48; ++j) A(7, j) *= std::ldexp(1.0f, -20 - static_cast<int>(j % 8));
  Matrix<float> dA = backend_for<float>(MemorySpace::cuda).allocate(64, 48);
  backend_for<float>(MemorySpace::cuda).copy(1.0, A.view(), dA.view());
  Matrix<S> dS = gpu.allocate(64, 48);
  gpu.load(std::as_const(dA).view(), dS.view());
  Matrix<S> hS = cpu.allocate(64, 48);
  cpu.load(A.view(), hS.view());
  const Matrix<S> got = download(dS);
  for (index_t j = 0; j < 48; ++j) {
    for (index_t i = 0; i < 64; ++i) EXPECT_EQ(got(i, j).bits, hS(i, j).bits) << i << "," << j;
  }
}

TEST(CudaReduced, ConversionsMatchTheCpuBitForBit) {
  POLARKIT_REQUIRE_DEVICE();
  expect_conversions_like_cpu<bfloat16>();
  expect_conversions_like_cpu<float16>();
}

// Every format: U orthogonal to the format's rounding level (the CPU bar, 4·u), and with
// refinement to ≤ 10·u_f32; the CPU emulation rounds the same way, so the reports agree.
TEST(CudaReduced, PolarMeetsTheReducedPrecisionBars) {
  POLARKIT_REQUIRE_DEVICE();
  const index_t n = 256;
  const auto A = testkit::with_singular_values<float>(n, n, testkit::geometric_spectrum(n, 1e2), 42);
  const std::pair<Precision, double> formats[] = {{Precision::bf16, unit_roundoff<bfloat16>},
                                                  {Precision::fp16, unit_roundoff<float16>},
                                                  {Precision::tf32, tf32_unit_roundoff}};
  for (const auto& [precision, u] : formats) {
    for (const bool refine : {false, true}) {
      PolarOptions o;
      o.precision = precision;
      o.refine = refine;
      const auto [c, g] = cpu_and_gpu(A, o);
      const std::string what = std::string(precision_name(precision)) + (refine ? " refined" : "");
      EXPECT_TRUE(g.info.converged) << what;
      const double bar = refine ? 10.0 * unit_roundoff<float> : 4.0 * u;
      EXPECT_LE(g.ortho * eps<float>, bar) << what << " (CPU " << c.ortho * eps<float> << ")";
      EXPECT_LE(g.backward * eps<float>, 4.0 * u) << what;
      EXPECT_EQ(g.info.steps.front(), StepKind::reduced) << what;
    }
  }
  // The fixed Muon budget in bf16 on the device, as torch.optim.Muon runs it.
  PolarOptions muon;
  muon.method = Method::muon;
  muon.precision = Precision::bf16;
  const auto [c, g] = cpu_and_gpu(A, muon);
  EXPECT_EQ(g.info.iterations, 5);
  // Not orthogonal by design; summation order differs from the CPU's, so U agrees to rounding
  // that the polynomials amplify, and its orthogonality to a few u.
  EXPECT_NEAR(g.ortho, c.ortho, 0.05 * c.ortho + 4.0 * unit_roundoff<bfloat16> / eps<float>);
}

// two_norm_each_iterate = false on the device: the same U as with every estimate. cuBLAS GEMM,
// SYRK and the library's kernels give bit-identical results run to run on one GPU (cuBLAS's
// reproducibility promise excludes only routines with atomics, which polarkit does not call).
TEST(CudaReduced, MuonWithTheTwoNormAtTheEndsGivesTheSameU) {
  POLARKIT_REQUIRE_DEVICE();
  const index_t n = 256;
  const auto A = testkit::with_singular_values<float>(n, n, testkit::geometric_spectrum(n, 1e2), 43);
  const Matrix<float> dA = copy_to(A, MemorySpace::cuda);
  PolarOptions o;
  o.method = Method::muon;
  o.precision = Precision::bf16;
  o.compute_h = false;
  const auto every = polar(std::as_const(dA).view(), o);
  o.two_norm_each_iterate = false;
  const auto ends = polar(std::as_const(dA).view(), o);
  expect_equal(download(ends.U), download(every.U), "U");
  EXPECT_EQ(ends.info.ortho_error_history, every.info.ortho_error_history);
  EXPECT_EQ(ends.info.ortho_error_2_history.back(), every.info.ortho_error_2_history.back());
  EXPECT_TRUE(std::isnan(ends.info.ortho_error_2_history[1]));
  EXPECT_LT(ends.info.flops, every.info.flops);
}

// ---- cuBLAS and cuSOLVER are loaded on first use (cuda/libraries.hpp) -----------------------------

// Whether a shared library whose path contains `name` is mapped into this process.
bool mapped(const std::string& name) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find(name) != std::string::npos) return true;
  }
  return false;
}

// Before main(): what the dynamic loader mapped for the program's links.
const bool loaded_at_start = mapped("libcublas") || mapped("libcusolver");

TEST(CudaLibraries, HostWorkDoesNotLoadThem) {
  ASSERT_FALSE(loaded_at_start) << "cuBLAS or cuSOLVER is linked: every process loads it";
  // ctest runs every test in its own process; run with others, an earlier test may have loaded
  // the libraries already, and then there is nothing more to check.
  if (mapped("libcublas") || mapped("libcusolver")) {
    GTEST_SKIP() << "an earlier test in this process loaded cuBLAS or cuSOLVER";
  }
  const auto A = testkit::gaussian<double>(30, 20, 51);
  PolarOptions o;
  o.method = Method::qdwh;  // products, QR and Cholesky: every kind of host kernel
  (void)polar(A, o);
  EXPECT_FALSE(mapped("libcublas"));
  EXPECT_FALSE(mapped("libcusolver"));
}

// No device needed: the libraries load, every entry point resolves, and they are the versions the
// headers describe.
TEST(CudaLibraries, LoadOnFirstUseWithEveryEntryPoint) {
  const cuda::CublasApi& blas = cuda::cublas();
  const cuda::CusolverApi& solver = cuda::cusolver();
  int major = -1;
  ASSERT_EQ(blas.cublasGetProperty(MAJOR_VERSION, &major), CUBLAS_STATUS_SUCCESS);
  EXPECT_EQ(major, CUBLAS_VER_MAJOR);
  ASSERT_EQ(solver.cusolverGetProperty(MAJOR_VERSION, &major), CUSOLVER_STATUS_SUCCESS);
  EXPECT_EQ(major, CUSOLVER_VER_MAJOR);
  EXPECT_NE(blas.cublasGemmEx, nullptr);
  EXPECT_NE(blas.cublasGemmBatchedEx, nullptr);
  EXPECT_TRUE(mapped("libcublas"));
  EXPECT_TRUE(mapped("libcusolver"));
  EXPECT_EQ(&cuda::cublas(), &blas) << "loaded once";
}

// ---- the other entry points on device memory, and the errors without a device ------------------

TEST(CudaEntryPoints, ZeroInputAndCallerOwnedOutputs) {
  POLARKIT_REQUIRE_DEVICE();
  Backend<double>& gpu = backend_for<double>(MemorySpace::cuda);
  const Matrix<double> Z = gpu.allocate(6, 4);
  const auto r = polar(Z.view());
  EXPECT_TRUE(r.info.zero_input);
  expect_equal(download(r.U), Matrix<double>(6, 4), "U of zero");

  const auto A = testkit::gaussian<double>(30, 20, 25);
  Matrix<double> dA = gpu.allocate(30, 20);
  gpu.copy(1.0, A.view(), dA.view());
  Matrix<double> U = gpu.allocate(30, 20);
  Matrix<double> H = gpu.allocate(20, 20);
  PolarOptions o;
  o.backward_error = true;
  const PolarInfo info = polar(std::as_const(dA).view(), U.view(), H.view(), o);
  const auto host = polar(A, o);
  // The bar of the other method tests: two backward-stable U agree to c·κ·ε.
  EXPECT_LE(relative_difference(download(U), host.U), 10.0 * host.info.cond_estimate * eps<double>);
  EXPECT_NEAR(info.backward_error, host.info.backward_error, 10 * eps<double>);
}

// polarkit::copy and copy_to (device.hpp): uploads, downloads (staged through a transposition
// on the device when the host view is row-major), exact.
TEST(CudaEntryPoints, CopyUploadsAndDownloadsInEveryLayout) {
  POLARKIT_REQUIRE_DEVICE();
  const auto A = testkit::gaussian<double>(7, 5, 61);
  const Matrix<double> dA = copy_to(A, MemorySpace::cuda);
  EXPECT_EQ(dA.space(), MemorySpace::cuda);
  expect_equal(copy_to(dA, MemorySpace::host), A, "round trip");
  std::vector<double> buffer(35);
  const MatrixView<double> rows = row_major(buffer.data(), 7, 5, 5);
  copy(std::as_const(dA).view(), rows);
  for (index_t j = 0; j < 5; ++j) {
    for (index_t i = 0; i < 7; ++i) EXPECT_EQ(rows(i, j), A(i, j)) << i << "," << j;
  }
  Matrix<double> dB = backend_for<double>(MemorySpace::cuda).allocate(7, 5);
  copy(MatrixView<const double>(rows), dB.view());  // a row-major upload
  expect_equal(copy_to(dB, MemorySpace::host), A, "row-major upload");
}

// An upload from pinned host memory is a true asynchronous DMA: copy() must not return before it
// is done, so the caller may overwrite its buffer at once. 32 MB keep the DMA busy for about a
// millisecond, long enough for an early return to be caught overwriting the source.
TEST(CudaEntryPoints, CopyFromPinnedMemoryIsCompleteOnReturn) {
  POLARKIT_REQUIRE_DEVICE();
  const index_t m = 4096;
  const index_t n = 1024;
  double* pinned = nullptr;
  const std::size_t bytes = sizeof(double) * static_cast<std::size_t>(m * n);
  ASSERT_EQ(cudaMallocHost(reinterpret_cast<void**>(&pinned), bytes), cudaSuccess);
  const MatrixView<double> source(pinned, m, n, m, Layout::col_major, MemorySpace::host);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) source(i, j) = static_cast<double>(i + m * j);
  }
  Matrix<double> dA = backend_for<double>(MemorySpace::cuda).allocate(m, n);
  copy(MatrixView<const double>(source), dA.view());
  std::fill(pinned, pinned + m * n, -1.0);
  const Matrix<double> back = copy_to(dA, MemorySpace::host);
  cudaFreeHost(pinned);
  index_t wrong = 0;
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) wrong += back(i, j) != static_cast<double>(i + m * j) ? 1 : 0;
  }
  EXPECT_EQ(wrong, 0);
}

// A freed matrix stays in polarkit's pool (the driver counts it as used) until
// release_cached_device_memory() hands it back.
TEST(CudaEntryPoints, ReleaseCachedDeviceMemoryHandsFreedMatricesBack) {
  POLARKIT_REQUIRE_DEVICE();
  const auto free_bytes = [] {
    std::size_t free = 0;
    std::size_t total = 0;
    EXPECT_EQ(cudaMemGetInfo(&free, &total), cudaSuccess);
    return static_cast<double>(free);
  };
  const double gib = 1024.0 * 1024.0 * 1024.0;  // the matrix below: 16384 × 8192 doubles
  release_cached_device_memory();
  {
    const Matrix<double> big = backend_for<double>(MemorySpace::cuda).allocate(16384, 8192);
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  }
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);  // the free has run: the pool holds the GiB
  const double held = free_bytes();
  release_cached_device_memory();
  EXPECT_GE(free_bytes() - held, 0.9 * gib);
  // The next call allocates again.
  const auto A = testkit::gaussian<double>(40, 30, 62);
  expect_equal(copy_to(copy_to(A, MemorySpace::cuda), MemorySpace::host), A, "after release");
}

TEST(CudaEntryPoints, NonFiniteDeviceInputIsRejected) {
  POLARKIT_REQUIRE_DEVICE();
  Backend<float>& gpu = backend_for<float>(MemorySpace::cuda);
  auto A = testkit::gaussian<float>(10, 8, 26);
  A(9, 7) = std::numeric_limits<float>::infinity();
  Matrix<float> dA = gpu.allocate(10, 8);
  gpu.copy(1.0, A.view(), dA.view());
  try {
    (void)polar(std::as_const(dA).view());
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::non_finite_input);
  }
}

// Runs where there is no device (this project's CI): device views are refused with the reason.
TEST(CudaWithoutDevice, DeviceViewsThrowNoCudaDevice) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  try {
    (void)backend_for<float>(MemorySpace::cuda);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::backend_failure);
    EXPECT_EQ(std::string(e.what()).rfind("no CUDA device: ", 0), 0u) << e.what();
  }
  double storage[6] = {1, 2, 3, 4, 5, 6};
  const MatrixView<const double> A(storage, 3, 2, 3, Layout::col_major, MemorySpace::cuda);
  EXPECT_THROW((void)polar(A), Error);
  EXPECT_NO_THROW(release_cached_device_memory());  // no device used: nothing to hand back
}

}  // namespace
}  // namespace polarkit::detail
