// bench_polar — Google Benchmark suite for msign(A) = polar(A) with compute_h = false.
//
// Cases (names are '/'-separated key:value fields; Google Benchmark appends the run settings
// "/min_time:0.500/real_time" to every one of them):
//   BM_Gemm/dtype:<f64|f32>/n:<n>                    C = A·A with the BLAS ?gemm_ (2n³ flops)
//   BM_MatVec/impl:<gemm|gemv>/dtype:<f64|f32>/n:<n>  y = A·x as ?gemm_ with one column or as
//                                                    ?gemv_ (why the CPU backend sends the Lanczos
//                                                    products to ?gemv_; µs, "/min_time:0.200/
//                                                    real_time" appended)
//   BM_Polar/method:<name>/dtype:<f64|f32>/n:<n>     polar(A, U, {}, {method, compute_h = false})
//   BM_Polar/method:muon/dtype:<f64|f32>/n:<n>/two_norm:ends
//                                                    the same with two_norm_each_iterate = false
//                                                    (Lanczos only at X₀ and U)
//   BM_PolarBatched/method:<muon|polar-express-adaptive>/dtype:f32/group:<1|8>/count:64/n:<128|256>
//                                                    polar_batched of 64 copies of A with
//                                                    options.batch_group = group (1: the CPU's
//                                                    default, matrix by matrix); vs_group1 =
//                                                    group-1 time / this time, same process
// for n ∈ {256, 1024, 2048}; <name> is polarkit::method_name (svd, newton-schulz, quintic, muon,
// polar-express, polar-express-adaptive). A = P·diag(σ)·Qᵀ is n × n with Haar-random P, Q and
// geometric singular values σ_i = κ^{-i/(n-1)}, κ = 1e3 (testkit/matrices.hpp; built once per n,
// not timed).
//
// Counters (per polar() call unless noted):
//   gflops       info.flops / wall time (GFLOP/s; GEMM counted 2mnk, SYRK mnk by the library)
//   iters        info.iterations (Newton–Schulz steps; 0 for svd)
//   products     info.products (GEMM/SYRK calls with matrix operands)
//   ms_per_iter  wall time per call / iters, in ms (0 for svd)
//   gemm_gflops  the GEMM reference rate at this (n, dtype), timed once per process
//   gemm_ref_util  cpu_util while that reference was timed
//   gemm_ratio   gflops / gemm_gflops
//   vs_svd       svd time / this method's time, same (n, dtype), same process
//   ortho_err    info.ortho_error_fro = ‖UᵀU − I‖_F of the result
//   converged    info.converged (muon runs a fixed 5 steps and is not expected to converge)
//   cpu_util     process CPU time / (wall time × BLAS threads) over the timed loop: ≈ 1 when the
//                BLAS threads had the cores to themselves, lower when other work shared them
// docs/performance.md has the measured numbers and how they were taken.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <exception>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "blas/blas.hpp"  // the library's typed BLAS/LAPACK wrappers
#include "common.hpp"  // median, bench_options, svd_seconds_cache
#include "polarkit/polar.hpp"
#include "testkit/matrices.hpp"  // bench_matrix: A = P·diag(σ)·Qᵀ, shared with bench_cuda

// OpenBLAS's thread count and build string, reported with the results.
extern "C" {
#ifdef POLARKIT_BENCH_OPENBLAS
int openblas_get_num_threads(void);
char* openblas_get_config(void);
#endif
}

namespace {

using polarkit::index_t;
using polarkit::Matrix;
using polarkit::MatrixView;
using polarkit::Method;
using polarkit::blas::Op;
using Clock = std::chrono::steady_clock;
using polarkit::bench::bench_options;
using polarkit::bench::median;
using polarkit::bench::svd_seconds_cache;
using polarkit::testkit::bench_matrix;

constexpr double min_time_s = 0.5;
constexpr index_t sizes[] = {256, 1024, 2048};
constexpr Method methods[] = {Method::svd,        Method::newton_schulz,
                              Method::quintic,    Method::muon,
                              Method::polar_express, Method::polar_express_adaptive};

template <class T>
std::string dtype_name() {
  return sizeof(T) == sizeof(double) ? "f64" : "f32";
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds used by the whole process (all threads) so far.
double process_cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// BLAS threads: the denominator of cpu_util.
int blas_threads() {
#ifdef POLARKIT_BENCH_OPENBLAS
  return openblas_get_num_threads();
#else
  return 1;
#endif
}

// Process CPU time / (wall time × BLAS threads) over a timed loop: ≈ 1 when every BLAS thread had
// a core of its own, well below 1 when other work shared the cores (the row is then suspect).
double cpu_util(double cpu_s, double wall_s) {
  return cpu_s / (wall_s * static_cast<double>(blas_threads()));
}

// C = A·B for n × n column-major matrices.
template <class T>
void gemm(index_t n, const T* a, const T* b, T* c) {
  polarkit::blas::gemm(Op::no_trans, Op::no_trans, n, n, n, T(1), a, n, b, n, T(0), c, n);
}

// y = A·x for an n × n column-major A, as ?gemm_ with one column or as ?gemv_.
template <class T>
void matvec(bool use_gemv, index_t n, const T* a, const T* x, T* y) {
  if (use_gemv) {
    polarkit::blas::gemv(Op::no_trans, n, n, T(1), a, n, x, 1, T(0), y, 1);
  } else {
    polarkit::blas::gemm(Op::no_trans, Op::no_trans, n, 1, n, T(1), a, n, x, n, T(0), y, n);
  }
}


// The GEMM reference for this (n, dtype): one warm-up call, then the median rate (GFLOP/s) of at
// least 3 timed calls (more until 0.3 s have passed), and cpu_util over those calls. Measured
// once per process, before the first case of that (n, dtype) finishes its setup.
struct GemmReference {
  double gflops = 0.0;
  double util = 0.0;
};

template <class T>
GemmReference gemm_reference(index_t n) {
  static std::map<index_t, GemmReference> cache;
  if (auto it = cache.find(n); it != cache.end()) return it->second;
  const Matrix<T>& A = bench_matrix<T>(n);
  Matrix<T> C(n, n);
  const double dn = static_cast<double>(n);
  const double gflop = 2.0 * dn * dn * dn * 1e-9;
  gemm(n, A.data(), A.data(), C.data());
  std::vector<double> rates;
  double total = 0.0;
  const double cpu0 = process_cpu_seconds();
  while (rates.size() < 3 || (total < 0.3 && rates.size() < 100)) {
    const auto t0 = Clock::now();
    gemm(n, A.data(), A.data(), C.data());
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
    const double s = seconds_since(t0);
    total += s;
    rates.push_back(gflop / s);
  }
  const GemmReference ref{median(rates), cpu_util(process_cpu_seconds() - cpu0, total)};
  cache.emplace(n, ref);
  return ref;
}

// Seconds per svd call for this (n, dtype). The BM_Polar/method:svd case of the same (n, dtype)
// stores its measurement here (it is registered first); if it was filtered out, one call is
// timed on demand.
template <class T>
double svd_seconds(index_t n) {
  auto& cache = svd_seconds_cache<T>();
  if (auto it = cache.find(n); it != cache.end()) return it->second;
  const Matrix<T>& A = bench_matrix<T>(n);
  Matrix<T> U(n, n);
  const auto t0 = Clock::now();
  polarkit::polar(A.view(), U.view(), MatrixView<T>(), bench_options(Method::svd));
  const double s = seconds_since(t0);
  cache.emplace(n, s);
  return s;
}

template <class T>
void bm_gemm(benchmark::State& state, index_t n) {
  const Matrix<T>& A = bench_matrix<T>(n);
  const GemmReference reference = gemm_reference<T>(n);
  Matrix<T> C(n, n);
  double elapsed = 0.0;
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    const auto t0 = Clock::now();
    gemm(n, A.data(), A.data(), C.data());
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
    elapsed += seconds_since(t0);
  }
  const double dn = static_cast<double>(n);
  const double gflop = 2.0 * dn * dn * dn * 1e-9;
  const double per_call = elapsed / static_cast<double>(state.iterations());
  state.counters["cpu_util"] = cpu_util(process_cpu_seconds() - cpu0, elapsed);
  state.counters["gflops"] = benchmark::Counter(gflop, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["products"] = 1.0;
  state.counters["gemm_gflops"] = reference.gflops;
  state.counters["gemm_ref_util"] = reference.util;
  // ≈ 1: this case against the cached reference, a measure of the run's noise.
  state.counters["gemm_ratio"] = gflop / per_call / reference.gflops;
}

// One n × n matrix–vector product, the operation the Lanczos estimates repeat (up to 40 times per
// orthogonality measurement, i.e. once per Newton–Schulz iteration).
template <class T>
void bm_matvec(benchmark::State& state, bool use_gemv, index_t n) {
  const Matrix<T>& A = bench_matrix<T>(n);
  Matrix<T> x(n, 1);
  Matrix<T> y(n, 1);
  for (index_t i = 0; i < n; ++i) x(i, 0) = T(1);
  double elapsed = 0.0;
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    const auto t0 = Clock::now();
    matvec(use_gemv, n, A.data(), x.data(), y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    elapsed += seconds_since(t0);
  }
  const double per_call = elapsed / static_cast<double>(state.iterations());
  const double dn = static_cast<double>(n);
  state.counters["cpu_util"] = cpu_util(process_cpu_seconds() - cpu0, elapsed);
  state.counters["gflops"] =
      benchmark::Counter(2.0 * dn * dn * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["ms_per_40"] = 40.0 * 1e3 * per_call;  // one full Lanczos run's products
}

template <class T>
void bm_polar(benchmark::State& state, const polarkit::PolarOptions& options, index_t n) {
  const Method method = options.method;
  polarkit::PolarInfo info;
  try {
    const Matrix<T>& A = bench_matrix<T>(n);
    const GemmReference reference = gemm_reference<T>(n);
    const double svd_s = method == Method::svd ? 0.0 : svd_seconds<T>(n);
    Matrix<T> U(n, n);
    double elapsed = 0.0;
    const double cpu0 = process_cpu_seconds();
    for (auto _ : state) {
      const auto t0 = Clock::now();
      info = polarkit::polar(A.view(), U.view(), MatrixView<T>(), options);
      benchmark::DoNotOptimize(U.data());
      benchmark::ClobberMemory();
      elapsed += seconds_since(t0);
    }
    const double per_call = elapsed / static_cast<double>(state.iterations());
    if (method == Method::svd) svd_seconds_cache<T>()[n] = per_call;
    state.counters["cpu_util"] = cpu_util(process_cpu_seconds() - cpu0, elapsed);
    polarkit::bench::report_polar(state, info, method, per_call, reference.gflops, svd_s);
    state.counters["gemm_ref_util"] = reference.util;
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

template <class T>
void register_dtype() {
  const std::string dtype = "/dtype:" + dtype_name<T>();
  for (const index_t n : sizes) {
    const std::string size = "/n:" + std::to_string(n);
    benchmark::RegisterBenchmark(("BM_Gemm" + dtype + size).c_str(),
                                 [n](benchmark::State& state) { bm_gemm<T>(state, n); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(min_time_s);
    for (const bool use_gemv : {false, true}) {
      benchmark::RegisterBenchmark(
          (std::string("BM_MatVec/impl:") + (use_gemv ? "gemv" : "gemm") + dtype + size).c_str(),
          [n, use_gemv](benchmark::State& state) { bm_matvec<T>(state, use_gemv, n); })
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime()
          ->MinTime(0.2);
    }
    for (const Method method : methods) {  // svd first: the others' vs_svd reuses its time
      const std::string name =
          "BM_Polar/method:" + std::string(polarkit::method_name(method)) + dtype + size;
      const polarkit::PolarOptions options = bench_options(method);
      benchmark::RegisterBenchmark(
          name.c_str(), [n, options](benchmark::State& state) { bm_polar<T>(state, options, n); })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MinTime(min_time_s);
    }
    // Muon as optimizers run it: no Lanczos 2-norm estimates between X₀ and U.
    polarkit::PolarOptions lean = bench_options(Method::muon);
    lean.two_norm_each_iterate = false;
    benchmark::RegisterBenchmark(
        ("BM_Polar/method:muon" + dtype + size + "/two_norm:ends").c_str(),
        [n, lean](benchmark::State& state) { bm_polar<T>(state, lean, n); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(min_time_s);
  }
}

// ---- polar_batched: groups of 8 matrices in lockstep against one at a time (batch_group) -------

constexpr std::size_t batch_count = 64;

std::map<std::string, double>& group1_seconds() {
  static std::map<std::string, double> seconds;  // by method and n
  return seconds;
}

void bm_batched(benchmark::State& state, Method method, index_t n, int group) {
  try {
    const Matrix<float>& A = bench_matrix<float>(n);
    std::vector<Matrix<float>> U;
    std::vector<MatrixView<const float>> a(batch_count, A.view());
    std::vector<MatrixView<float>> u;
    for (std::size_t i = 0; i < batch_count; ++i) {
      U.emplace_back(n, n);
      u.push_back(U.back().view());
    }
    polarkit::PolarOptions options = bench_options(method);
    options.batch_group = group;
    std::vector<polarkit::PolarInfo> infos;
    double elapsed = 0.0;
    for (auto _ : state) {
      const auto t0 = Clock::now();
      infos = polarkit::polar_batched<float>(a, u, {}, options);
      benchmark::ClobberMemory();
      elapsed += seconds_since(t0);
    }
    const double per_call = elapsed / static_cast<double>(state.iterations());
    double flops = 0.0;
    for (const auto& info : infos) flops += info.flops;
    state.counters["gflops"] = flops / per_call * 1e-9;
    state.counters["iters"] = infos.front().iterations;
    const std::string key = std::string(polarkit::method_name(method)) + std::to_string(n);
    if (group == 1) {
      group1_seconds()[key] = per_call;
    } else if (const auto it = group1_seconds().find(key); it != group1_seconds().end()) {
      state.counters["vs_group1"] = it->second / per_call;
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void register_batched() {
  for (const index_t n : {index_t{128}, index_t{256}}) {
    for (const Method method : {Method::muon, Method::polar_express_adaptive}) {
      for (const int group : {1, 8}) {  // group 1 first: vs_group1 reuses its time
        const std::string name = "BM_PolarBatched/method:" +
                                 std::string(polarkit::method_name(method)) + "/dtype:f32/group:" +
                                 std::to_string(group) + "/count:" + std::to_string(batch_count) +
                                 "/n:" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(),
                                     [n, method, group](benchmark::State& state) {
                                       bm_batched(state, method, n, group);
                                     })
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime()
            ->MinTime(min_time_s);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
#ifdef POLARKIT_BENCH_OPENBLAS
  benchmark::AddCustomContext("openblas_threads", std::to_string(openblas_get_num_threads()));
  benchmark::AddCustomContext("openblas_config", openblas_get_config());
#else
  benchmark::AddCustomContext("openblas_threads", "n/a (BLAS is not OpenBLAS)");
#endif
  benchmark::AddCustomContext("matrix", "n x n, A = P diag(sigma) Q^T, Haar P and Q, "
                                        "geometric sigma, kappa = 1e3");
  benchmark::AddCustomContext("options", "compute_h = false (msign), tol = 0, max_iter = 100, "
                                         "Frobenius scaling, muon 5 steps");
  register_dtype<double>();
  register_dtype<float>();
  register_batched();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
