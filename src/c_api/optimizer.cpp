// The C ABI of the optimizer steps: polarkit_optimizer_* (hyper-parameters in an opaque handle,
// every buffer and all state owned by the caller).
#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <utility>

#include "c_api/batch.hpp"
#include "c_api/common.hpp"
#include "c_api/handles.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/polarkit.h"


namespace polarkit::c_api {
namespace {

using optim::Config;
using optim::Kind;

constexpr std::array<std::pair<Kind, std::string_view>, 6> kinds{{
    {Kind::muon, "muon"},
    {Kind::polargrad, "polargrad"},
    {Kind::colnorm, "colnorm"},
    {Kind::rownorm, "rownorm"},
    {Kind::sign, "sign"},
    {Kind::spectral, "spectral"},
}};

constexpr std::array<std::pair<optim::Scale, std::string_view>, 4> scales{{
    {optim::Scale::none, "none"},
    {optim::Scale::original, "original"},
    {optim::Scale::moonlight, "moonlight"},
    {optim::Scale::spectral, "spectral"},
}};

constexpr std::array<std::pair<optim::Nu, std::string_view>, 2> nus{{
    {optim::Nu::nuclear, "nuclear"},
    {optim::Nu::inner, "inner"},
}};

constexpr std::array<std::pair<optim::MomentumOrder, std::string_view>, 2> orders{{
    {optim::MomentumOrder::momentum_first, "momentum-first"},
    {optim::MomentumOrder::polar_first, "polar-first"},
}};

// The oracle's PolarOptions fields an optimizer exposes (set_polar_option's keys);
// "ns_coefficients" (torch.optim.Muon's name) sets the oracle's "coefficients".
constexpr std::array<std::string_view, 6> oracle_keys{
    "method", "steps", "tol", "precision", "batch_group", "two_norm_each_iterate"};

bool is_oracle_key(std::string_view key) {
  return std::find(oracle_keys.begin(), oracle_keys.end(), key) != oracle_keys.end();
}

// Every key of polarkit_optimizer_set, as the message of an unknown key lists them (the getter
// also takes "kind").
std::string hyper_keys() {
  return key_list(optimizer_option_keys) + ", " + key_list(storage_keys);
}

}  // namespace

Config optimizer_config(std::string_view kind) {
  const Kind k = parse_enum(kinds, "kind", kind);
  if (k == Kind::polargrad) return Config::polargrad();
  Config config;
  config.kind = k;
  return config;
}

bool set_optimizer_option(Config& c, std::string_view key, std::string_view value) {
  if (key == "lr") {
    constexpr std::string_view accepted = "a finite number >= 0";
    c.lr = parse_non_negative(key, value, accepted);
  } else if (key == "momentum") {
    constexpr std::string_view accepted = "a number in [0, 1); 0 disables momentum";
    const double beta = parse_number(key, value, accepted);
    if (!(beta >= 0.0 && beta < 1.0)) bad_value(key, value, accepted);
    c.momentum = beta;
  } else if (key == "nesterov") {
    c.nesterov = parse_bool(key, value);
  } else if (key == "weight_decay") {
    constexpr std::string_view accepted = "a finite number >= 0";
    c.weight_decay = parse_non_negative(key, value, accepted);
  } else if (key == "eps") {
    constexpr std::string_view accepted = "a finite number >= 0; 0 = no floor";
    c.eps = parse_non_negative(key, value, accepted);
  } else if (key == "ns_coefficients") {
    c.oracle.coefficients = parse_coefficients(key, value);
  } else if (key == "scale") {
    c.scale = parse_enum(scales, key, value);
  } else if (key == "nu") {
    c.nu = parse_enum(nus, key, value);
  } else if (key == "momentum_order") {
    c.order = parse_enum(orders, key, value);
  } else {
    return is_oracle_key(key) && set_polar_option(c.oracle, key, value);
  }
  return true;
}

std::optional<std::string> get_optimizer_option(const Config& c, std::string_view key) {
  if (key == "kind") return enum_name(kinds, c.kind);
  if (key == "lr") return format_number(c.lr);
  if (key == "momentum") return format_number(c.momentum);
  if (key == "nesterov") return format_bool(c.nesterov);
  if (key == "weight_decay") return format_number(c.weight_decay);
  if (key == "eps") return format_number(c.eps);
  if (key == "ns_coefficients") return format_coefficients(c.oracle.coefficients);
  if (key == "scale") return enum_name(scales, c.scale);
  if (key == "nu") return enum_name(nus, c.nu);
  if (key == "momentum_order") return enum_name(orders, c.order);
  if (is_oracle_key(key)) return get_polar_option(c.oracle, key);
  return std::nullopt;
}

namespace {

void set_hyper(polarkit_optimizer& o, std::string_view key, std::string_view value) {
  if (!set_storage_option(o.storage, key, value) && !set_optimizer_option(o.config, key, value)) {
    bad_key("optimizer", key, hyper_keys());
  }
}

std::string get_hyper(const polarkit_optimizer& o, std::string_view key) {
  std::optional<std::string> text = get_storage_option(o.storage, key);
  if (!text) text = get_optimizer_option(o.config, key);
  if (!text) bad_key("optimizer", key, "kind, " + hyper_keys());
  return *text;
}

// polarkit_optimizer_step_{d,s,bf16} are batches of one (optim::step, whose messages name no
// item); the batched entry points go through optim::step_batched.
template <class S>
int step(const char* function, const polarkit_optimizer* opt, std::int64_t count, std::int64_t m,
         std::int64_t n, S* const* w, std::int64_t ldw, const S* const* g, std::int64_t ldg,
         S* const* momentum, std::int64_t ldm, double* step_nu) noexcept {
  using T = compute_of_t<S>;
  for (std::int64_t i = 0; step_nu != nullptr && i < count; ++i) {
    step_nu[i] = std::numeric_limits<double>::quiet_NaN();
  }
  return guarded(function, [&] {
    require_pointer(opt, "opt");
    const std::vector<ItemShape> items = uniform_items(count, m, n, ldg, ldw, ldm);
    if (items.empty()) return;
    // optim rejects a NaN/Inf gradient, and overlaps between items, before any work: w and
    // momentum stay unchanged (and staged copies are written back only after a success).
    StepBatch<S> batch(opt, items, w, g, momentum);
    const Config& config = opt->config;
    std::vector<optim::StepReport> reports;
    if (count == 1) {
      reports.push_back(optim::step<T>(config, batch.W[0], batch.G[0],
                                       batch.M.empty() ? MatrixView<T>() : batch.M[0]));
    } else {
      reports = optim::step_batched<T>(config, batch.W, batch.G, batch.M);
    }
    batch.finish(reports, step_nu);
  });
}

template <class S>
int step(const char* function, const polarkit_optimizer* opt, std::int64_t m, std::int64_t n,
         S* w, std::int64_t ldw, const S* g, std::int64_t ldg, S* momentum, std::int64_t ldm,
         double* step_nu) noexcept {
  return step<S>(function, opt, 1, m, n, &w, ldw, &g, ldg, momentum != nullptr ? &momentum : nullptr,
                 ldm, step_nu);
}

}  // namespace
}  // namespace polarkit::c_api

using polarkit::c_api::guarded;
using polarkit::c_api::require_pointer;

extern "C" {

polarkit_optimizer* polarkit_optimizer_new(const char* kind) noexcept {
  polarkit_optimizer* opt = nullptr;
  guarded("polarkit_optimizer_new", [&] {
    require_pointer(kind, "kind");
    opt = new polarkit_optimizer{polarkit::c_api::optimizer_config(kind), {}};
  });
  return opt;
}

void polarkit_optimizer_free(polarkit_optimizer* opt) noexcept { delete opt; }

int polarkit_optimizer_set(polarkit_optimizer* opt, const char* key, const char* value) noexcept {
  return guarded("polarkit_optimizer_set", [&] {
    require_pointer(opt, "opt");
    require_pointer(key, "key");
    require_pointer(value, "value");
    polarkit_optimizer updated = *opt;  // unchanged on failure
    polarkit::c_api::set_hyper(updated, key, value);
    *opt = updated;
  });
}

int polarkit_optimizer_get(const polarkit_optimizer* opt, const char* key, char* value,
                           size_t size) noexcept {
  return guarded("polarkit_optimizer_get", [&] {
    require_pointer(opt, "opt");
    require_pointer(key, "key");
    require_pointer(value, "value");
    polarkit::c_api::write_value(polarkit::c_api::get_hyper(*opt, key), value, size);
  });
}

int polarkit_optimizer_step_d(const polarkit_optimizer* opt, int64_t m, int64_t n, double* w,
                              int64_t ldw, const double* g, int64_t ldg, double* momentum,
                              int64_t ldm, double* step_nu) noexcept {
  return polarkit::c_api::step<double>("polarkit_optimizer_step_d", opt, m, n, w, ldw, g, ldg,
                                       momentum, ldm, step_nu);
}

int polarkit_optimizer_step_s(const polarkit_optimizer* opt, int64_t m, int64_t n, float* w,
                              int64_t ldw, const float* g, int64_t ldg, float* momentum,
                              int64_t ldm, double* step_nu) noexcept {
  return polarkit::c_api::step<float>("polarkit_optimizer_step_s", opt, m, n, w, ldw, g, ldg,
                                      momentum, ldm, step_nu);
}

int polarkit_optimizer_step_bf16(const polarkit_optimizer* opt, int64_t m, int64_t n, uint16_t* w,
                                 int64_t ldw, const uint16_t* g, int64_t ldg, uint16_t* momentum,
                                 int64_t ldm, double* step_nu) noexcept {
  return polarkit::c_api::step<polarkit::c_api::bf16_bits>("polarkit_optimizer_step_bf16", opt, m,
                                                           n, w, ldw, g, ldg, momentum, ldm,
                                                           step_nu);
}

int polarkit_optimizer_step_batched_d(const polarkit_optimizer* opt, int64_t count, int64_t m,
                                      int64_t n, double* const* w, int64_t ldw,
                                      const double* const* g, int64_t ldg,
                                      double* const* momentum, int64_t ldm,
                                      double* step_nu) noexcept {
  return polarkit::c_api::step<double>("polarkit_optimizer_step_batched_d", opt, count, m, n, w,
                                       ldw, g, ldg, momentum, ldm, step_nu);
}

int polarkit_optimizer_step_batched_s(const polarkit_optimizer* opt, int64_t count, int64_t m,
                                      int64_t n, float* const* w, int64_t ldw,
                                      const float* const* g, int64_t ldg, float* const* momentum,
                                      int64_t ldm, double* step_nu) noexcept {
  return polarkit::c_api::step<float>("polarkit_optimizer_step_batched_s", opt, count, m, n, w,
                                      ldw, g, ldg, momentum, ldm, step_nu);
}

}  // extern "C"
