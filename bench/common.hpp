// Helpers both benchmark programs share: the median, the options every polar case runs with,
// the per-(n, dtype) svd time the vs_svd counters divide by, and the counters of a polar case.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <vector>

#include "polarkit/info.hpp"
#include "polarkit/matrix_view.hpp"
#include "polarkit/options.hpp"

namespace polarkit::bench {

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 == 1 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

inline PolarOptions bench_options(Method method) {
  PolarOptions options;  // defaults: tol = 0 (working precision), Frobenius scaling
  options.method = method;
  options.compute_h = false;  // msign: U only
  return options;
}

/// Seconds per svd call for each n, filled by the svd case of that (n, dtype), which is
/// registered first.
template <class T>
std::map<index_t, double>& svd_seconds_cache() {
  static std::map<index_t, double> cache;
  return cache;
}

/// The counters of a polar case: gflops (info.flops / time), iters, products, ms_per_iter,
/// gemm_gflops and gemm_ratio (against the GEMM rate of the same process), vs_svd (svd time /
/// this time), ortho_err (‖UᵀU − I‖_F) and converged.
inline void report_polar(benchmark::State& state, const PolarInfo& info, Method method,
                         double seconds_per_call, double gemm_gflops, double svd_seconds) {
  const double gflops = info.flops * 1e-9 / seconds_per_call;
  state.counters["gflops"] = gflops;
  state.counters["iters"] = static_cast<double>(info.iterations);
  state.counters["products"] = static_cast<double>(info.products);
  state.counters["ms_per_iter"] =
      info.iterations > 0 ? 1e3 * seconds_per_call / static_cast<double>(info.iterations) : 0.0;
  state.counters["gemm_gflops"] = gemm_gflops;
  state.counters["gemm_ratio"] = gflops / gemm_gflops;
  state.counters["vs_svd"] = (method == Method::svd ? seconds_per_call : svd_seconds) /
                             seconds_per_call;
  state.counters["ortho_err"] = info.ortho_error_fro;
  state.counters["converged"] = info.converged ? 1.0 : 0.0;
}

}  // namespace polarkit::bench
