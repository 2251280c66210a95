// The C ABI of the polar decomposition: polarkit_options_* and polarkit_polar_{d,s}.
#include <cmath>
#include <limits>
#include <new>
#include <string>
#include <string_view>

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
    "method, tol, max_iter, steps, scaling, compute_h, precision, refine, device";

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

template <class T>
int polar(const char* function, std::int64_t m, std::int64_t n, const T* a, std::int64_t lda,
          T* u, std::int64_t ldu, T* h, std::int64_t ldh, const polarkit_options* opts,
          polarkit_info* info) noexcept {
  if (info != nullptr) reset(*info);
  return guarded(function, [&] {
    require_dims(m, n);
    require_pointer(a, "a");
    require_pointer(u, "u");
    require_ld("lda", lda, m, n, sizeof(T));
    require_ld("ldu", ldu, m, n, sizeof(T));
    if (h != nullptr) require_ld("ldh", ldh, n, n, sizeof(T));
    const Extent ea{a, m, n, lda, sizeof(T), "a"};
    const Extent eu{u, m, n, ldu, sizeof(T), "u"};
    const Extent eh{h, n, n, ldh, sizeof(T), "h"};
    require_disjoint(eu, ea);
    require_disjoint(eh, ea);
    require_disjoint(eh, eu);

    const PolarOptions options = opts != nullptr ? opts->polar : PolarOptions{};
    const MemorySpace space = opts != nullptr ? opts->space : MemorySpace::host;
    const MatrixView<const T> A(a, m, n, lda, Layout::col_major, space);
    const MatrixView<T> U(u, m, n, ldu, Layout::col_major, space);
    MatrixView<T> H;
    Matrix<T> scratch;
    if (h != nullptr) {
      H = MatrixView<T>(h, n, n, ldh, Layout::col_major, space);
    } else if (options.compute_h && info != nullptr) {
      // Only the info's backward error and nuclear norm need H: form it in scratch memory.
      scratch = space == MemorySpace::host ? Matrix<T>(n, n)
                                           : detail::backend_for<T>(space).allocate(n, n);
      H = scratch.view();
    }
    const PolarInfo result = polarkit::polar<T>(A, U, H, options);
    if (info != nullptr) {
      info->iterations = static_cast<std::int32_t>(result.iterations);
      info->converged = result.converged ? 1 : 0;
      info->ortho_error = result.ortho_error;
      info->backward_error = result.backward_error;
      info->nuclear_norm = result.nuclear_norm;
      info->scale = result.scale;
      info->lower_bound = result.lower_bound;
    }
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

}  // extern "C"
