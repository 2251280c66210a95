// The C ABI of the polar decomposition: polarkit_options_* and polarkit_polar_{d,s,bf16}.
#include <cmath>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "c_api/batch.hpp"
#include "c_api/common.hpp"
#include "c_api/handles.hpp"
#include "c_api/reports.hpp"
#include "core/kernels/backend.hpp"
#include "core/solvers/solvers.hpp"
#include "polarkit/polar.hpp"
#include "polarkit/polarkit.h"


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

// polarkit_polar_{d,s,bf16} are batches of one: one set of checks and one call for all.
template <class S>
void solve(std::int64_t count, std::int64_t m, std::int64_t n, const S* const* a,
           std::int64_t lda, S* const* u, std::int64_t ldu, S* const* h, std::int64_t ldh,
           const polarkit_options* opts, polarkit_info* info) {
  const std::vector<ItemShape> items = uniform_items(count, m, n, lda, ldu, ldh);
  if (items.empty()) return;
  PolarBatch<S> batch(items, a, u, h, opts, info != nullptr);
  batch.finish(polarkit::polar_batched<typename PolarBatch<S>::T>(batch.A, batch.U, batch.H,
                                                                   batch.options),
               info);
}

template <class S>
int polar(const char* function, std::int64_t count, std::int64_t m, std::int64_t n,
          const S* const* a, std::int64_t lda, S* const* u, std::int64_t ldu, S* const* h,
          std::int64_t ldh, const polarkit_options* opts, polarkit_info* info) noexcept {
  last_reports().clear();
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
  last_reports().clear();
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
    const std::vector<polarkit::PolarInfo>& reports = polarkit::c_api::last_reports();
    if (item < 0 || static_cast<std::uint64_t>(item) >= reports.size()) {
      if (size > 0) value[0] = '\0';
      throw polarkit::Error(polarkit::ErrorCode::invalid_argument,
                            "item " + std::to_string(item) + " is not in this thread's last polar call (" +
                                std::to_string(reports.size()) + " reports)");
    }
    polarkit::c_api::write_value(
        polarkit::c_api::report_field(reports[static_cast<std::size_t>(item)], key), value, size);
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
