// The C ABI of the polar decomposition: polarkit_options_* and polarkit_polar_{d,s}.
#include <cmath>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "c_api/common.hpp"
#include "core/backend.hpp"
#include "polarkit/polar.hpp"
#include "polarkit/polarkit.h"

struct polarkit_options {
  polarkit::PolarOptions polar;
  polarkit::MemorySpace space = polarkit::MemorySpace::host;
};

namespace polarkit::c_api {
namespace {

constexpr std::string_view option_keys =
    "method, tol, max_iter, steps, scaling, compute_h, precision, refine, batch_group, "
    "two_norm_each_iterate, device";

void set_option(polarkit_options& o, std::string_view key, std::string_view value) {
  if (key == "method") {
    const std::string accepted = method_names();
    try {
      o.polar.method = parse_method(value);
    } catch (const Error&) {
      bad_value(key, value, accepted);
    }
  } else if (key == "tol") {
    constexpr std::string_view accepted = "a number in [0, 1); 0 = to working precision";
    const double tol = parse_number(key, value, accepted);
    if (!(tol >= 0.0 && tol < 1.0)) bad_value(key, value, accepted);
    o.polar.tol = tol;
  } else if (key == "max_iter") {
    constexpr std::string_view accepted = "an integer >= 1";
    const int max_iter = parse_int(key, value, accepted);
    if (max_iter < 1) bad_value(key, value, accepted);
    o.polar.max_iter = max_iter;
  } else if (key == "steps") {
    constexpr std::string_view accepted = "an integer >= 0; 0 = iterate to tolerance";
    const int steps = parse_int(key, value, accepted);
    if (steps < 0) bad_value(key, value, accepted);
    o.polar.steps = steps;
  } else if (key == "scaling") {
    if (value == "frobenius") {
      o.polar.scaling = Scaling::frobenius;
    } else if (value == "spectral") {
      o.polar.scaling = Scaling::spectral;
    } else {
      bad_value(key, value, "frobenius, spectral");
    }
  } else if (key == "compute_h") {
    o.polar.compute_h = parse_bool(key, value);
  } else if (key == "precision") {
    try {
      o.polar.precision = parse_precision(value);
    } catch (const Error&) {
      bad_value(key, value, "working, tf32, bf16, fp16");
    }
  } else if (key == "refine") {
    o.polar.refine = parse_bool(key, value);
  } else if (key == "batch_group") {
    constexpr std::string_view accepted = "an integer >= 0; 0 = the backend's choice";
    const int group = parse_int(key, value, accepted);
    if (group < 0) bad_value(key, value, accepted);
    o.polar.batch_group = group;
  } else if (key == "two_norm_each_iterate") {
    o.polar.two_norm_each_iterate = parse_bool(key, value);
  } else if (key == "device") {
    if (value == "cpu") {
      o.space = MemorySpace::host;
    } else if (value == "cuda") {
      o.space = MemorySpace::cuda;
    } else {
      bad_value(key, value, "cpu, cuda");
    }
  } else {
    bad_key("option", key, option_keys);
  }
}

std::string get_option(const polarkit_options& o, std::string_view key) {
  if (key == "method") return std::string(method_name(o.polar.method));
  if (key == "tol") return format_number(o.polar.tol);
  if (key == "max_iter") return std::to_string(o.polar.max_iter);
  if (key == "steps") return std::to_string(o.polar.steps);
  if (key == "scaling") return o.polar.scaling == Scaling::spectral ? "spectral" : "frobenius";
  if (key == "compute_h") return format_bool(o.polar.compute_h);
  if (key == "precision") return std::string(precision_name(o.polar.precision));
  if (key == "refine") return format_bool(o.polar.refine);
  if (key == "batch_group") return std::to_string(o.polar.batch_group);
  if (key == "two_norm_each_iterate") return format_bool(o.polar.two_norm_each_iterate);
  if (key == "device") return o.space == MemorySpace::cuda ? "cuda" : "cpu";
  bad_key("option", key, option_keys);
}

void reset(polarkit_info& info) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  info.iterations = 0;
  info.converged = 0;
  info.ortho_error = nan;
  info.backward_error = nan;
  info.nuclear_norm = nan;
  info.scale = nan;
  info.lower_bound = nan;
}

void report(const PolarInfo& result, polarkit_info& info) {
  info.iterations = static_cast<std::int32_t>(result.iterations);
  info.converged = result.converged ? 1 : 0;
  info.ortho_error = result.ortho_error;
  info.backward_error = result.backward_error;
  info.nuclear_norm = result.nuclear_norm;
  info.scale = result.scale;
  info.lower_bound = result.lower_bound;
}

// polarkit_polar_{d,s} are batches of one: one set of checks and one call for both.
template <class T>
void solve(std::int64_t count, std::int64_t m, std::int64_t n, const T* const* a,
           std::int64_t lda, T* const* u, std::int64_t ldu, T* const* h, std::int64_t ldh,
           const polarkit_options* opts, polarkit_info* info) {
  if (count < 0) throw Error(ErrorCode::invalid_argument, "count must be non-negative");
  if (count == 0) return;
  require_dims(m, n);
  require_ld("lda", lda, m, n, sizeof(T));
  require_ld("ldu", ldu, m, n, sizeof(T));
  if (h != nullptr) require_ld("ldh", ldh, n, n, sizeof(T));
  const auto items = static_cast<std::size_t>(count);
  std::vector<Extent> inputs;
  std::vector<Extent> outputs;
  for (std::size_t i = 0; i < items; ++i) {
    require_pointer(a[i], "a[i]");
    require_pointer(u[i], "u[i]");
    if (h != nullptr) require_pointer(h[i], "h[i]");
    inputs.push_back({a[i], m, n, lda, sizeof(T), "a"});
    outputs.push_back({u[i], m, n, ldu, sizeof(T), "u"});
    outputs.push_back({h != nullptr ? h[i] : nullptr, n, n, ldh, sizeof(T), "h"});
  }
  for (std::size_t j = 0; j < outputs.size(); ++j) {
    for (const Extent& input : inputs) require_disjoint(outputs[j], input);
    for (std::size_t k = 0; k < j; ++k) require_disjoint(outputs[j], outputs[k]);
  }

  const PolarOptions options = opts != nullptr ? opts->polar : PolarOptions{};
  const MemorySpace space = opts != nullptr ? opts->space : MemorySpace::host;
  std::vector<MatrixView<const T>> A;
  std::vector<MatrixView<T>> U;
  std::vector<MatrixView<T>> H;
  std::vector<Matrix<T>> scratch;
  for (std::size_t i = 0; i < items; ++i) {
    A.emplace_back(a[i], m, n, lda, Layout::col_major, space);
    U.emplace_back(u[i], m, n, ldu, Layout::col_major, space);
    if (h != nullptr) {
      H.emplace_back(h[i], n, n, ldh, Layout::col_major, space);
    } else if (options.compute_h && info != nullptr) {
      // Only the info's backward error and nuclear norm need H: form it in scratch memory.
      scratch.push_back(space == MemorySpace::host
                            ? Matrix<T>(n, n)
                            : detail::backend_for<T>(space).allocate(n, n));
      H.push_back(scratch.back().view());
    }
  }
  const std::vector<PolarInfo> results = polarkit::polar_batched<T>(A, U, H, options);
  for (std::size_t i = 0; info != nullptr && i < items; ++i) report(results[i], info[i]);
}

template <class T>
int polar(const char* function, std::int64_t count, std::int64_t m, std::int64_t n,
          const T* const* a, std::int64_t lda, T* const* u, std::int64_t ldu, T* const* h,
          std::int64_t ldh, const polarkit_options* opts, polarkit_info* info) noexcept {
  for (std::int64_t i = 0; info != nullptr && i < count; ++i) reset(info[i]);
  return guarded(function, [&] {
    if (count > 0) {
      require_pointer(a, "a");
      require_pointer(u, "u");
    }
    solve<T>(count, m, n, a, lda, u, ldu, h, ldh, opts, info);
  });
}

template <class T>
int polar(const char* function, std::int64_t m, std::int64_t n, const T* a, std::int64_t lda,
          T* u, std::int64_t ldu, T* h, std::int64_t ldh, const polarkit_options* opts,
          polarkit_info* info) noexcept {
  if (info != nullptr) reset(*info);
  return guarded(function, [&] {
    require_pointer(a, "a");
    require_pointer(u, "u");
    solve<T>(1, m, n, &a, lda, &u, ldu, h != nullptr ? &h : nullptr, ldh, opts, info);
  });
}

}  // namespace
}  // namespace polarkit::c_api

using polarkit::c_api::guarded;
using polarkit::c_api::require_pointer;

extern "C" {

polarkit_options* polarkit_options_new(void) noexcept {
  polarkit_options* opts = nullptr;
  guarded("polarkit_options_new", [&] { opts = new polarkit_options{}; });
  return opts;
}

void polarkit_options_free(polarkit_options* opts) noexcept { delete opts; }

int polarkit_options_set(polarkit_options* opts, const char* key, const char* value) noexcept {
  return guarded("polarkit_options_set", [&] {
    require_pointer(opts, "opts");
    require_pointer(key, "key");
    require_pointer(value, "value");
    polarkit_options updated = *opts;  // unchanged on failure
    polarkit::c_api::set_option(updated, key, value);
    *opts = updated;
  });
}

int polarkit_options_get(const polarkit_options* opts, const char* key, char* value,
                         size_t size) noexcept {
  return guarded("polarkit_options_get", [&] {
    require_pointer(opts, "opts");
    require_pointer(key, "key");
    require_pointer(value, "value");
    polarkit::c_api::write_value(polarkit::c_api::get_option(*opts, key), value, size);
  });
}

int polarkit_polar_d(int64_t m, int64_t n, const double* a, int64_t lda, double* u, int64_t ldu,
                     double* h, int64_t ldh, const polarkit_options* opts,
                     polarkit_info* info) noexcept {
  return polarkit::c_api::polar<double>("polarkit_polar_d", m, n, a, lda, u, ldu, h, ldh, opts,
                                        info);
}

int polarkit_polar_s(int64_t m, int64_t n, const float* a, int64_t lda, float* u, int64_t ldu,
                     float* h, int64_t ldh, const polarkit_options* opts,
                     polarkit_info* info) noexcept {
  return polarkit::c_api::polar<float>("polarkit_polar_s", m, n, a, lda, u, ldu, h, ldh, opts,
                                       info);
}

int polarkit_polar_batched_d(int64_t count, int64_t m, int64_t n, const double* const* a,
                             int64_t lda, double* const* u, int64_t ldu, double* const* h,
                             int64_t ldh, const polarkit_options* opts,
                             polarkit_info* info) noexcept {
  return polarkit::c_api::polar<double>("polarkit_polar_batched_d", count, m, n, a, lda, u, ldu, h,
                                        ldh, opts, info);
}

int polarkit_polar_batched_s(int64_t count, int64_t m, int64_t n, const float* const* a,
                             int64_t lda, float* const* u, int64_t ldu, float* const* h,
                             int64_t ldh, const polarkit_options* opts,
                             polarkit_info* info) noexcept {
  return polarkit::c_api::polar<float>("polarkit_polar_batched_s", count, m, n, a, lda, u, ldu, h,
                                       ldh, opts, info);
}

}  // extern "C"
