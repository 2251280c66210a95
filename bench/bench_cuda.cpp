// bench_cuda — Google Benchmark suite for the CUDA backend: msign(A) = polar(A) with
// compute_h = false on device views, against the cuBLAS GEMM rate of the same GPU.
// Built only with the CUDA backend (POLARKIT_WITH_CUDA). Without a CUDA device it prints
// "bench_cuda: no CUDA device, nothing to run" and exits 0, registering nothing.
//
// Cases (names are '/'-separated key:value fields; Google Benchmark appends "/manual_time", and
// "/min_time:<t>" when --benchmark_min_time is not the default):
//   BM_CudaGemm/dtype:<f64|f32>/n:<n>                  C = A·A with cublas?gemm (2n³ flops), the
//                                                      reference rate; default math mode, as the
//                                                      library's handle (FP32 stays FP32, no TF32)
//   BM_CudaGemm/dtype:<tf32|bf16>/n:<n>                C = A·A with cublasGemmEx: float data with
//                                                      TF32 inputs, or bf16 data; float
//                                                      accumulation (the reduced cases' reference)
//   BM_CudaPolar/method:<name>/dtype:<f64|f32>/n:<n>   polar(A, U, {}, {method, compute_h = false})
//                                                      with A and U in device memory
//   BM_CudaPolar/method:<name>/dtype:<tf32|bf16|bf16+refine>/n:<n>
//                                                      the same on the float A with
//                                                      options.precision (and refine): Newton–Schulz
//                                                      methods only; gemm_ratio against the GEMM of
//                                                      that format. Their Gram products are full
//                                                      GEMMs (no 16-bit SYRK), counted as 2mn².
//   BM_CudaPolar/method:muon/dtype:bf16/n:<n>/two_norm:ends
//                                                      the same with two_norm_each_iterate =
//                                                      false: no Lanczos estimates between X₀
//                                                      and U (Muon as an optimizer runs it)
//   BM_CudaBatched/method:<name>/dtype:<f32|bf16>/mode:<loop|batched>/count:64/n:1024
//                                                      64 msign calls on the same device matrix:
//                                                      a loop of polar() calls, then one
//                                                      polar_batched() call; vs_loop = loop time /
//                                                      batched time, same process
// for n ∈ {1024, 4096, 8192}; <name> is polarkit::method_name (svd, polar-express-adaptive, muon,
// qdwh). n = 8192 is run for BM_CudaGemm in both dtypes but for BM_CudaPolar in f32 only: the f64
// cusolverDn?gesvd (method svd, and vs_svd's reference) at 8192 alone would take a large share
// of the 5 minutes scripts/gpu-check allows the whole run. A = P·diag(σ)·Qᵀ is n × n with Haar-random
// P, Q and geometric singular values σ_i = κ^{-i/(n-1)}, κ = 1e3 (testkit/matrices.hpp, the
// matrix of bench_polar), built once per n on the host and copied once to the device (not timed).
//
// Timing: the library exposes no stream (its Context, cuda/context.hpp, is internal), so every
// timed call is bracketed by CUDA events recorded on the legacy default stream (cudaStreamLegacy)
// after a cudaDeviceSynchronize(). polarkit's stream is a blocking one: its work waits for the
// start event and the stop event waits for all of its work, so the event time is the call's
// whole span on the GPU, including the gaps where polarkit works on the host (Lanczos scalars,
// ?trcon on R). Reported through UseManualTime(). Every BM_CudaPolar case makes one untimed
// warm-up call first (lazy kernel loading, handle creation, pool and workspace growth), except
// method svd at n ≥ 4096, where a gesvd call takes seconds and those first-use costs are noise.
//
// Counters (per polar() call unless noted):
//   gflops       info.flops / event time (GFLOP/s; GEMM counted 2mnk, SYRK mnk by the library)
//   iters        info.iterations (0 for svd)
//   ms_per_iter  event time per call / iters, in ms (0 for svd)
//   gemm_gflops  the cuBLAS GEMM reference rate at this (n, dtype), timed once per process
//   gemm_ratio   gflops / gemm_gflops (for BM_CudaGemm: this case against the cached reference,
//                a measure of the run's noise)
//   vs_svd       svd time / this method's time, same (n, dtype), same process
//   ortho_err    info.ortho_error_fro = ‖UᵀU − I‖_F of the result
//   converged    info.converged (muon runs a fixed 5 steps and is not expected to converge)
//
// Status: compiled and checked to exit cleanly without a GPU; not yet run on a GPU.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "blas/blas.hpp"  // narrow: cuBLAS takes 32-bit sizes
#include "common.hpp"      // median, bench_options, svd_seconds_cache
#include "polarkit/device.hpp"
#include "polarkit/polar.hpp"
#include "testkit/matrices.hpp"  // bench_matrix: A = P·diag(σ)·Qᵀ, shared with bench_polar

namespace {

using polarkit::index_t;
using polarkit::Matrix;
using polarkit::MatrixView;
using polarkit::Method;
using polarkit::bench::bench_options;
using polarkit::bench::median;
using polarkit::bench::svd_seconds_cache;
using polarkit::testkit::bench_matrix;

constexpr index_t sizes[] = {1024, 4096, 8192};
constexpr index_t largest_f64_polar = 4096;  // see the header: f64 gesvd at 8192 is too slow
constexpr Method methods[] = {Method::svd, Method::polar_express_adaptive, Method::muon,
                              Method::qdwh};

// The GEMM a rate refers to: the scalar type's own, or cublasGemmEx in TF32 or bf16.
enum class Gemm { typed, tf32, bf16 };

// A reduced-precision polar case on the float matrix.
struct Reduced {
  const char* dtype;
  polarkit::Precision precision;
  bool refine;
  Gemm reference;
  std::vector<Method> methods;
  bool two_norm_each_iterate = true;  // false: the case name ends in /two_norm:ends
};

const Reduced reduced_cases[] = {
    {"bf16", polarkit::Precision::bf16, false, Gemm::bf16,
     {Method::muon, Method::polar_express, Method::polar_express_adaptive}},
    {"bf16+refine", polarkit::Precision::bf16, true, Gemm::bf16, {Method::polar_express_adaptive}},
    {"tf32", polarkit::Precision::tf32, false, Gemm::tf32, {Method::polar_express_adaptive}},
    // Muon as optimizers run it: no Lanczos 2-norm estimates between X₀ and U.
    {"bf16", polarkit::Precision::bf16, false, Gemm::bf16, {Method::muon}, false},
};

template <class T>
std::string dtype_name() {
  return sizeof(T) == sizeof(double) ? "f64" : "f32";
}

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
  }
}

void check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string(what) + ": " + cublasGetStatusString(status));
  }
}

// n × n column-major device memory (cudaMalloc), ld = n.
template <class T>
class DeviceMatrix {
 public:
  explicit DeviceMatrix(index_t n) : n_(n) {
    void* p = nullptr;
    check(cudaMalloc(&p, bytes()), "cudaMalloc");
    data_ = static_cast<T*>(p);
  }
  DeviceMatrix(const DeviceMatrix&) = delete;
  DeviceMatrix& operator=(const DeviceMatrix&) = delete;
  DeviceMatrix(DeviceMatrix&& other) noexcept
      : n_(other.n_), data_(std::exchange(other.data_, nullptr)) {}
  DeviceMatrix& operator=(DeviceMatrix&&) = delete;
  ~DeviceMatrix() {
    if (data_ != nullptr) (void)cudaFree(data_);
  }

  [[nodiscard]] T* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t bytes() const noexcept {
    return static_cast<std::size_t>(n_) * static_cast<std::size_t>(n_) * sizeof(T);
  }
  [[nodiscard]] MatrixView<const T> cview() const {
    return MatrixView<const T>(data_, n_, n_, n_, polarkit::Layout::col_major,
                               polarkit::MemorySpace::cuda);
  }
  [[nodiscard]] MatrixView<T> view() const {
    return MatrixView<T>(data_, n_, n_, n_, polarkit::Layout::col_major,
                         polarkit::MemorySpace::cuda);
  }

 private:
  index_t n_;
  T* data_ = nullptr;
};

// The test matrix in device memory, uploaded once per (n, dtype) and kept for the process.
template <class T>
const DeviceMatrix<T>& device_test_matrix(index_t n) {
  static std::map<index_t, DeviceMatrix<T>> cache;
  if (auto it = cache.find(n); it != cache.end()) return it->second;
  const Matrix<T>& A = bench_matrix<T>(n);
  DeviceMatrix<T> D(n);
  check(cudaMemcpy(D.data(), A.data(), D.bytes(), cudaMemcpyHostToDevice), "cudaMemcpy");
  return cache.emplace(n, std::move(D)).first->second;
}

// A pair of CUDA events timing work on the legacy default stream (see the header).
class EventTimer {
 public:
  EventTimer() {
    check(cudaEventCreate(&start_), "cudaEventCreate");
    check(cudaEventCreate(&stop_), "cudaEventCreate");
  }
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;
  EventTimer(EventTimer&&) = delete;
  EventTimer& operator=(EventTimer&&) = delete;
  ~EventTimer() {
    (void)cudaEventDestroy(start_);
    (void)cudaEventDestroy(stop_);
  }

  void start() {
    check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    check(cudaEventRecord(start_, cudaStreamLegacy), "cudaEventRecord");
  }
  // Seconds since start(), once everything queued before now has finished.
  double stop() {
    check(cudaEventRecord(stop_, cudaStreamLegacy), "cudaEventRecord");
    check(cudaEventSynchronize(stop_), "cudaEventSynchronize");
    float ms = 0.0F;
    check(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime");
    return 1e-3 * static_cast<double>(ms);
  }

 private:
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};

// The benchmark's own cuBLAS handle, on the legacy default stream, default math mode.
cublasHandle_t cublas() {
  static cublasHandle_t handle = [] {
    cublasHandle_t h = nullptr;
    check(cublasCreate(&h), "cublasCreate");
    check(cublasSetStream(h, cudaStreamLegacy), "cublasSetStream");
    return h;
  }();
  return handle;
}

// bf16 encodings (truncated float bits: the values only set the GEMM's data) of the float
// test matrix, in device memory, once per n.
const DeviceMatrix<std::uint16_t>& device_bf16_matrix(index_t n) {
  static std::map<index_t, DeviceMatrix<std::uint16_t>> cache;
  if (auto it = cache.find(n); it != cache.end()) return it->second;
  const Matrix<float>& A = bench_matrix<float>(n);
  std::vector<std::uint16_t> bits(static_cast<std::size_t>(n * n));
  for (std::size_t i = 0; i < bits.size(); ++i) {
    std::uint32_t b = 0;
    std::memcpy(&b, A.data() + i, sizeof b);
    bits[i] = static_cast<std::uint16_t>(b >> 16);
  }
  DeviceMatrix<std::uint16_t> D(n);
  check(cudaMemcpy(D.data(), bits.data(), D.bytes(), cudaMemcpyHostToDevice), "cudaMemcpy");
  return cache.emplace(n, std::move(D)).first->second;
}

// C = A·A with cublasGemmEx, float scalars and accumulation.
void gemm_ex(index_t n, const void* a, void* c, cudaDataType_t type, cublasComputeType_t compute) {
  const int k = polarkit::blas::narrow(n);
  const float one = 1.0F;
  const float zero = 0.0F;
  check(cublasGemmEx(cublas(), CUBLAS_OP_N, CUBLAS_OP_N, k, k, k, &one, a, type, k, a, type, k,
                     &zero, c, type, k, compute, CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx");
}

// C = A·A for n × n column-major device matrices, by the GEMM `kind` names (T = float for the
// reduced kinds; bf16 runs on its own copy of the data, c is scratch).
template <class T>
void gemm(index_t n, const T* a, T* c, Gemm kind = Gemm::typed) {
  if (kind == Gemm::tf32) {
    gemm_ex(n, a, c, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32);
    return;
  }
  if (kind == Gemm::bf16) {
    gemm_ex(n, device_bf16_matrix(n).data(), c, CUDA_R_16BF, CUBLAS_COMPUTE_32F);
    return;
  }
  const int k = polarkit::blas::narrow(n);
  const T one = 1;
  const T zero = 0;
  if constexpr (sizeof(T) == sizeof(double)) {
    check(cublasDgemm(cublas(), CUBLAS_OP_N, CUBLAS_OP_N, k, k, k, &one, a, k, a, k, &zero, c, k),
          "cublasDgemm");
  } else {
    check(cublasSgemm(cublas(), CUBLAS_OP_N, CUBLAS_OP_N, k, k, k, &one, a, k, a, k, &zero, c, k),
          "cublasSgemm");
  }
}

double gemm_gflop(index_t n) {
  const double dn = static_cast<double>(n);
  return 2.0 * dn * dn * dn * 1e-9;
}


// The GEMM reference for this (n, dtype): one warm-up call, then the median rate (GFLOP/s) of at
// least 3 event-timed calls (more until 0.1 s have passed). Measured once per process.
template <class T>
double gemm_reference(index_t n, Gemm kind = Gemm::typed) {
  static std::map<std::pair<index_t, Gemm>, double> cache;
  if (auto it = cache.find({n, kind}); it != cache.end()) return it->second;
  const DeviceMatrix<T>& A = device_test_matrix<T>(n);
  const DeviceMatrix<T> C(n);
  EventTimer timer;
  timer.start();
  gemm(n, A.data(), C.data(), kind);
  (void)timer.stop();
  std::vector<double> rates;
  double total = 0.0;
  while (rates.size() < 3 || (total < 0.1 && rates.size() < 100)) {
    timer.start();
    gemm(n, A.data(), C.data(), kind);
    const double s = timer.stop();
    total += s;
    rates.push_back(gemm_gflop(n) / s);
  }
  const double rate = median(rates);
  cache.emplace(std::pair{n, kind}, rate);
  return rate;
}

// Seconds per svd call for this (n, dtype). The BM_CudaPolar/method:svd case of the same
// (n, dtype) stores its measurement here (it is registered first); if it was filtered out, one
// call is timed on demand (after one warm-up call at n < 4096).
template <class T>
double svd_seconds(index_t n) {
  auto& cache = svd_seconds_cache<T>();
  if (auto it = cache.find(n); it != cache.end()) return it->second;
  const DeviceMatrix<T>& A = device_test_matrix<T>(n);
  const DeviceMatrix<T> U(n);
  const polarkit::PolarOptions options = bench_options(Method::svd);
  if (n < 4096) (void)polarkit::polar(A.cview(), U.view(), MatrixView<T>(), options);
  EventTimer timer;
  timer.start();
  (void)polarkit::polar(A.cview(), U.view(), MatrixView<T>(), options);
  const double s = timer.stop();
  cache.emplace(n, s);
  return s;
}

template <class T>
void bm_gemm(benchmark::State& state, index_t n, Gemm kind = Gemm::typed) {
  try {
    const DeviceMatrix<T>& A = device_test_matrix<T>(n);
    const double reference = gemm_reference<T>(n, kind);
    const DeviceMatrix<T> C(n);
    EventTimer timer;
    double elapsed = 0.0;
    for (auto _ : state) {
      timer.start();
      gemm(n, A.data(), C.data(), kind);
      const double s = timer.stop();
      state.SetIterationTime(s);
      elapsed += s;
    }
    const double per_call = elapsed / static_cast<double>(state.iterations());
    state.counters["gflops"] = gemm_gflop(n) / per_call;
    state.counters["gemm_gflops"] = reference;
    state.counters["gemm_ratio"] = gemm_gflop(n) / per_call / reference;
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// options: bench_options(method), with a reduced precision for the Reduced cases.
template <class T>
void bm_polar(benchmark::State& state, const polarkit::PolarOptions& options, index_t n,
              Gemm reference_kind = Gemm::typed) {
  const Method method = options.method;
  try {
    const DeviceMatrix<T>& A = device_test_matrix<T>(n);
    const double reference = gemm_reference<T>(n, reference_kind);
    const double svd_s = method == Method::svd ? 0.0 : svd_seconds<T>(n);
    const DeviceMatrix<T> U(n);
    if (method != Method::svd || n < 4096) {  // warm-up (see the header)
      (void)polarkit::polar(A.cview(), U.view(), MatrixView<T>(), options);
    }
    polarkit::PolarInfo info;
    EventTimer timer;
    double elapsed = 0.0;
    for (auto _ : state) {
      timer.start();
      info = polarkit::polar(A.cview(), U.view(), MatrixView<T>(), options);
      const double s = timer.stop();
      state.SetIterationTime(s);
      elapsed += s;
    }
    const double per_call = elapsed / static_cast<double>(state.iterations());
    if (method == Method::svd) svd_seconds_cache<T>()[n] = per_call;
    polarkit::bench::report_polar(state, info, method, per_call, reference, svd_s);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

template <class T>
void register_dtype() {
  const std::string dtype = "/dtype:" + dtype_name<T>();
  for (const index_t n : sizes) {
    const std::string size = "/n:" + std::to_string(n);
    benchmark::RegisterBenchmark(("BM_CudaGemm" + dtype + size).c_str(),
                                 [n](benchmark::State& state) { bm_gemm<T>(state, n); })
        ->Unit(benchmark::kMillisecond)
        ->UseManualTime();
    if (sizeof(T) == sizeof(double) && n > largest_f64_polar) continue;
    for (const Method method : methods) {  // svd first: the others' vs_svd reuses its time
      const std::string name =
          "BM_CudaPolar/method:" + std::string(polarkit::method_name(method)) + dtype + size;
      benchmark::RegisterBenchmark(name.c_str(),
                                   [n, method](benchmark::State& state) {
                                     bm_polar<T>(state, bench_options(method), n);
                                   })
          ->Unit(benchmark::kMillisecond)
          ->UseManualTime();
    }
  }
}

// The reduced-precision cases, on the float matrix, after the float ones (svd's time is reused).
void register_reduced() {
  for (const index_t n : sizes) {
    const std::string size = "/n:" + std::to_string(n);
    for (const auto& [kind, name] : {std::pair{Gemm::tf32, "tf32"}, std::pair{Gemm::bf16, "bf16"}}) {
      benchmark::RegisterBenchmark(
          ("BM_CudaGemm/dtype:" + std::string(name) + size).c_str(),
          [n, kind = kind](benchmark::State& state) { bm_gemm<float>(state, n, kind); })
          ->Unit(benchmark::kMillisecond)
          ->UseManualTime();
    }
    for (const Reduced& r : reduced_cases) {
      for (const Method method : r.methods) {
        polarkit::PolarOptions options = bench_options(method);
        options.precision = r.precision;
        options.refine = r.refine;
        options.two_norm_each_iterate = r.two_norm_each_iterate;
        const std::string name = "BM_CudaPolar/method:" + std::string(polarkit::method_name(method)) +
                                 "/dtype:" + r.dtype + size +
                                 (r.two_norm_each_iterate ? "" : "/two_norm:ends");
        benchmark::RegisterBenchmark(name.c_str(),
                                     [n, options, kind = r.reference](benchmark::State& state) {
                                       bm_polar<float>(state, options, n, kind);
                                     })
            ->Unit(benchmark::kMillisecond)
            ->UseManualTime();
      }
    }
  }
}

// ---- batched polar: 64 matrices of 1024², one call against a loop -----------------------------

constexpr std::size_t batch_count = 64;
constexpr index_t batch_n = 1024;

std::map<std::string, double>& loop_seconds() {
  static std::map<std::string, double> seconds;  // by method and dtype
  return seconds;
}

void bm_batched(benchmark::State& state, const polarkit::PolarOptions& options,
                const std::string& key, bool batched) {
  try {
    const DeviceMatrix<float>& A = device_test_matrix<float>(batch_n);
    std::vector<DeviceMatrix<float>> U;
    std::vector<MatrixView<const float>> a(batch_count, A.cview());
    std::vector<MatrixView<float>> u;
    for (std::size_t i = 0; i < batch_count; ++i) {
      U.emplace_back(batch_n);
      u.push_back(U.back().view());
    }
    const auto run = [&] {
      if (batched) return polarkit::polar_batched<float>(a, u, {}, options);
      std::vector<polarkit::PolarInfo> infos;
      for (std::size_t i = 0; i < batch_count; ++i) {
        infos.push_back(polarkit::polar(a[i], u[i], MatrixView<float>(), options));
      }
      return infos;
    };
    (void)run();  // warm-up
    std::vector<polarkit::PolarInfo> infos;
    EventTimer timer;
    double elapsed = 0.0;
    for (auto _ : state) {
      timer.start();
      infos = run();
      const double s = timer.stop();
      state.SetIterationTime(s);
      elapsed += s;
    }
    const double per_call = elapsed / static_cast<double>(state.iterations());
    double flops = 0.0;
    for (const auto& info : infos) flops += info.flops;
    state.counters["gflops"] = flops / per_call * 1e-9;
    state.counters["ms_per_matrix"] = 1e3 * per_call / static_cast<double>(batch_count);
    state.counters["iters"] = infos.front().iterations;
    state.counters["ortho_err"] = infos.front().ortho_error_fro;
    if (!batched) {
      loop_seconds()[key] = per_call;
    } else if (const auto it = loop_seconds().find(key); it != loop_seconds().end()) {
      state.counters["vs_loop"] = it->second / per_call;
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void register_batched() {
  const std::pair<const char*, polarkit::Precision> formats[] = {
      {"f32", polarkit::Precision::working}, {"bf16", polarkit::Precision::bf16}};
  for (const Method method : {Method::muon, Method::polar_express_adaptive}) {
    for (const auto& [dtype, precision] : formats) {
      polarkit::PolarOptions options = bench_options(method);
      options.precision = precision;
      const std::string key = std::string(polarkit::method_name(method)) + "/dtype:" + dtype;
      for (const bool batched : {false, true}) {  // the loop first: vs_loop reuses its time
        const std::string name = "BM_CudaBatched/method:" + key +
                                 (batched ? "/mode:batched" : "/mode:loop") + "/count:" +
                                 std::to_string(batch_count) + "/n:" + std::to_string(batch_n);
        benchmark::RegisterBenchmark(name.c_str(),
                                     [options, key, batched](benchmark::State& state) {
                                       bm_batched(state, options, key, batched);
                                     })
            ->Unit(benchmark::kMillisecond)
            ->UseManualTime();
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (polarkit::cuda_device_count() == 0) {
    std::puts("bench_cuda: no CUDA device, nothing to run");
    return 0;
  }
  int device = 0;
  cudaDeviceProp prop{};
  if (cudaGetDevice(&device) == cudaSuccess &&
      cudaGetDeviceProperties(&prop, device) == cudaSuccess) {
    benchmark::AddCustomContext("cuda_device", prop.name);
  }
  int runtime = 0;
  int driver = 0;
  (void)cudaRuntimeGetVersion(&runtime);
  (void)cudaDriverGetVersion(&driver);
  benchmark::AddCustomContext("cuda_runtime", std::to_string(runtime));
  benchmark::AddCustomContext("cuda_driver", std::to_string(driver));
  benchmark::AddCustomContext("matrix", "n x n, A = P diag(sigma) Q^T, Haar P and Q, "
                                        "geometric sigma, kappa = 1e3; device memory");
  benchmark::AddCustomContext("options", "compute_h = false (msign), tol = 0, max_iter = 100, "
                                         "Frobenius scaling, muon 5 steps");
  benchmark::AddCustomContext("timing", "CUDA events on the legacy default stream around each "
                                        "call, after cudaDeviceSynchronize (manual time)");
  register_dtype<double>();
  register_dtype<float>();
  register_reduced();
  register_batched();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
