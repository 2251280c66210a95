// The C ABI of the polar decomposition: polarkit_options_* and polarkit_polar_{d,s,bf16}.
#include <cmath>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "c_api/common.hpp"
#include "core/kernels/backend.hpp"
#include "core/solvers/solvers.hpp"
#include "polarkit/polar.hpp"
#include "polarkit/polarkit.h"

struct polarkit_options {
  polarkit::PolarOptions polar;
  polarkit::c_api::Storage storage;
};

namespace polarkit::c_api {
namespace {

// Every key of polarkit_options_set/get, as the message of an unknown key lists them.
std::string option_keys() {
  return key_list(polar_option_keys) + ", " + key_list(storage_keys);
}

void set_option(polarkit_options& o, std::string_view key, std::string_view value) {
  if (!set_storage_option(o.storage, key, value) && !set_polar_option(o.polar, key, value)) {
    bad_key("option", key, option_keys());
  }
}

std::string get_option(const polarkit_options& o, std::string_view key) {
  std::optional<std::string> text = get_storage_option(o.storage, key);
  if (!text) text = get_polar_option(o.polar, key);
  if (!text) bad_key("option", key, option_keys());
  return *text;
}

// The working precision of a bf16 matrix is bf16: "working" iterates a Newton–Schulz method in
// bf16 storage, as a float matrix iterates in float. The other methods have no 16-bit mode and
// compute in float; any other precision is the caller's choice and stands.
template <class S>
PolarOptions working_precision(PolarOptions o) {
  if (std::is_same_v<S, bf16_bits> && o.precision == Precision::working &&
      is_newton_schulz(o.method)) {
    o.precision = Precision::bf16;
  }
  return o;
}

// The full reports of this thread's last polarkit_polar_* call, for polarkit_last_report_get
// (polarkit_info's layout is part of the ABI and has no room for new fields).
thread_local std::vector<PolarInfo> last_reports;

// A scalar field of the report as text (the lists — histories, phases — are not offered).
std::string report_field(const PolarInfo& info, std::string_view key) {
  std::optional<std::string> text;
  std::string names;
  for_each_field(info, [&](const char* name, const auto& value) {
    using V = std::decay_t<decltype(value)>;
    if constexpr (!std::is_same_v<V, std::vector<double>> && !std::is_same_v<V, std::vector<PhaseTime>>) {
      names += (names.empty() ? "" : ", ") + std::string(name);
      if (key != name) return;
      if constexpr (std::is_same_v<V, std::string>) {
        text = value;
      } else if constexpr (std::is_same_v<V, bool>) {
        text = format_bool(value);
      } else if constexpr (std::is_same_v<V, double>) {
        text = format_number(value);
      } else {
        text = std::to_string(value);
      }
    }
  });
  if (!text) bad_key("report field", key, names);
  return *text;
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

// Every argument check of a polar call, before anything is computed: sizes, leading dimensions
// (in the options' layout), NULL pointers and overlaps between any output and any input or other
// output.
template <class S>
void check_arguments(std::int64_t count, std::int64_t m, std::int64_t n, const S* const* a,
                     std::int64_t lda, S* const* u, std::int64_t ldu, S* const* h,
                     std::int64_t ldh, Layout layout) {
  require_sizes(m, n);
  require_ld("lda", lda, m, n, layout, sizeof(S));
  require_ld("ldu", ldu, m, n, layout, sizeof(S));
  if (h != nullptr) require_ld("ldh", ldh, n, n, layout, sizeof(S));
  const auto items = static_cast<std::size_t>(count);
  std::vector<detail::Operand> operands;
  for (std::size_t i = 0; i < items; ++i) {
    // An empty problem has no element to read or write: its pointers may be NULL.
    if (m > 0 && n > 0) {
      require_pointer(a[i], "a[i]");
      require_pointer(u[i], "u[i]");
    }
    if (h != nullptr && n > 0) require_pointer(h[i], "h[i]");
    const auto k = static_cast<std::int64_t>(i);
    operands.push_back(operand("a", count, k, a[i], m, n, lda, layout, sizeof(S), false));
    operands.push_back(operand("u", count, k, u[i], m, n, ldu, layout, sizeof(S), true));
    operands.push_back(operand("h", count, k, h != nullptr ? h[i] : nullptr, n, n, ldh, layout,
                               sizeof(S), true));
  }
  detail::require_disjoint("", std::move(operands));
}

// polarkit_polar_{d,s,bf16} are batches of one: one set of checks and one call for all.
template <class S>
void solve(std::int64_t count, std::int64_t m, std::int64_t n, const S* const* a,
           std::int64_t lda, S* const* u, std::int64_t ldu, S* const* h, std::int64_t ldh,
           const polarkit_options* opts, polarkit_info* info) {
  using T = compute_of_t<S>;
  if (count < 0) throw Error(ErrorCode::invalid_argument, "count must be non-negative");
  if (count == 0) return;
  const Storage storage = opts != nullptr ? opts->storage : Storage{};
  check_arguments<S>(count, m, n, a, lda, u, ldu, h, ldh, storage.layout);

  const PolarOptions options = working_precision<S>(opts != nullptr ? opts->polar : PolarOptions{});
  // Before the scratch H below is placed on the options' device: bad options are the same
  // error whether or not info (which asks for the scratch H) was passed.
  detail::validate_polar_options<T>(options);
  Staging<S> staging(storage);
  std::vector<MatrixView<const T>> A;
  std::vector<MatrixView<T>> U;
  std::vector<MatrixView<T>> H;
  std::vector<Matrix<T>> scratch;
  const auto items = static_cast<std::size_t>(count);
  for (std::size_t i = 0; i < items; ++i) {
    A.push_back(staging.input(a[i], m, n, lda));
    U.push_back(staging.output(u[i], m, n, ldu, false));
    if (h != nullptr && options.compute_h) {
      H.push_back(staging.output(h[i], n, n, ldh, false));
    } else if (options.compute_h && info != nullptr) {
      // Only the info's backward error and nuclear norm need H: form it in scratch memory.
      scratch.push_back(storage.space == MemorySpace::host
                            ? Matrix<T>(n, n)
                            : detail::backend_for<T>(storage.space).allocate(n, n));
      H.push_back(scratch.back().view());
    }
  }
  std::vector<PolarInfo> results = polarkit::polar_batched<T>(A, U, H, options);
  staging.commit();
  for (std::size_t i = 0; info != nullptr && i < items; ++i) report(results[i], info[i]);
  last_reports = std::move(results);
}

template <class S>
int polar(const char* function, std::int64_t count, std::int64_t m, std::int64_t n,
          const S* const* a, std::int64_t lda, S* const* u, std::int64_t ldu, S* const* h,
          std::int64_t ldh, const polarkit_options* opts, polarkit_info* info) noexcept {
  last_reports.clear();
  for (std::int64_t i = 0; info != nullptr && i < count; ++i) reset(info[i]);
  return guarded(function, [&] {
    if (count > 0) {
      require_pointer(a, "a");
      require_pointer(u, "u");
    }
    solve<S>(count, m, n, a, lda, u, ldu, h, ldh, opts, info);
  });
}

template <class S>
int polar(const char* function, std::int64_t m, std::int64_t n, const S* a, std::int64_t lda,
          S* u, std::int64_t ldu, S* h, std::int64_t ldh, const polarkit_options* opts,
          polarkit_info* info) noexcept {
  last_reports.clear();
  if (info != nullptr) reset(*info);
  return guarded(function, [&] {
    if (m > 0 && n > 0) {  // an empty problem's pointers may be NULL
      require_pointer(a, "a");
      require_pointer(u, "u");
    }
    solve<S>(1, m, n, &a, lda, &u, ldu, h != nullptr ? &h : nullptr, ldh, opts, info);
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

int polarkit_last_report_get(int64_t item, const char* key, char* value, size_t size) noexcept {
  return guarded("polarkit_last_report_get", [&] {
    require_pointer(key, "key");
    require_pointer(value, "value");
    using polarkit::c_api::last_reports;
    if (item < 0 || static_cast<std::uint64_t>(item) >= last_reports.size()) {
      if (size > 0) value[0] = '\0';
      throw polarkit::Error(polarkit::ErrorCode::invalid_argument,
                            "item " + std::to_string(item) + " is not in this thread's last polar call (" +
                                std::to_string(last_reports.size()) + " reports)");
    }
    polarkit::c_api::write_value(
        polarkit::c_api::report_field(last_reports[static_cast<std::size_t>(item)], key), value, size);
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

int polarkit_polar_bf16(int64_t m, int64_t n, const uint16_t* a, int64_t lda, uint16_t* u,
                        int64_t ldu, uint16_t* h, int64_t ldh, const polarkit_options* opts,
                        polarkit_info* info) noexcept {
  return polarkit::c_api::polar<polarkit::c_api::bf16_bits>("polarkit_polar_bf16", m, n, a, lda, u,
                                                            ldu, h, ldh, opts, info);
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
