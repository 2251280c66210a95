// The C ABI of the optimizer steps: polarkit_optimizer_* (hyper-parameters in an opaque handle,
// every buffer and all state owned by the caller).
#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <string_view>
#include <vector>
#include <utility>

#include "c_api/common.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/polarkit.h"

struct polarkit_optimizer {
  polarkit::optim::Config config;
};

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

constexpr std::string_view optimizer_keys =
    "lr, momentum, nesterov, weight_decay, eps, scale, nu, momentum_order, method, steps, "
    "ns_coefficients, tol, precision, batch_group, two_norm_each_iterate";

template <class E, std::size_t N>
E parse_enum(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view key,
             std::string_view value) {
  std::string accepted;
  for (const auto& [e, name] : table) {
    if (name == value) return e;
    accepted += accepted.empty() ? "" : ", ";
    accepted += name;
  }
  bad_value(key, value, accepted);
}

template <class E, std::size_t N>
std::string enum_name(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [known, name] : table) {
    if (known == e) return std::string(name);
  }
  return "unknown";
}

}  // namespace

Config optimizer_config(std::string_view kind) {
  const Kind k = parse_enum(kinds, "kind", kind);
  if (k == Kind::polargrad) return Config::polargrad();
  Config config;
  config.kind = k;
  return config;
}

void set_optimizer_option(Config& c, std::string_view key, std::string_view value) {
  if (key == "lr") {
    constexpr std::string_view accepted = "a finite number >= 0";
    const double lr = parse_number(key, value, accepted);
    if (!(lr >= 0.0)) bad_value(key, value, accepted);
    c.lr = lr;
  } else if (key == "momentum") {
    constexpr std::string_view accepted = "a number in [0, 1); 0 disables momentum";
    const double beta = parse_number(key, value, accepted);
    if (!(beta >= 0.0 && beta < 1.0)) bad_value(key, value, accepted);
    c.momentum = beta;
  } else if (key == "nesterov") {
    c.nesterov = parse_bool(key, value);
  } else if (key == "weight_decay") {
    constexpr std::string_view accepted = "a finite number >= 0";
    const double wd = parse_number(key, value, accepted);
    if (!(wd >= 0.0)) bad_value(key, value, accepted);
    c.weight_decay = wd;
  } else if (key == "eps") {
    constexpr std::string_view accepted = "a finite number >= 0; 0 = no floor";
    const double eps = parse_number(key, value, accepted);
    if (!(eps >= 0.0)) bad_value(key, value, accepted);
    c.eps = eps;
  } else if (key == "ns_coefficients") {
    c.oracle.coefficients = parse_coefficients(key, value);
  } else if (key == "scale") {
    c.scale = parse_enum(scales, key, value);
  } else if (key == "nu") {
    c.nu = parse_enum(nus, key, value);
  } else if (key == "momentum_order") {
    c.order = parse_enum(orders, key, value);
  } else if (!is_oracle_key(key) || !set_polar_option(c.oracle, key, value)) {
    bad_key("optimizer", key, optimizer_keys);
  }
}

std::string get_optimizer_option(const Config& c, std::string_view key) {
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
  if (is_oracle_key(key)) return *get_polar_option(c.oracle, key);
  bad_key("optimizer", key, "kind, " + std::string(optimizer_keys));
}

namespace {

// polarkit_optimizer_step_{d,s} are batches of one (optim::step, whose messages name no item);
// the batched entry points go through optim::step_batched.
template <class T>
int step(const char* function, const polarkit_optimizer* opt, std::int64_t count, std::int64_t m,
         std::int64_t n, T* const* w, std::int64_t ldw, const T* const* g, std::int64_t ldg,
         T* const* momentum, std::int64_t ldm, double* step_nu) noexcept {
  for (std::int64_t i = 0; step_nu != nullptr && i < count; ++i) {
    step_nu[i] = std::numeric_limits<double>::quiet_NaN();
  }
  return guarded(function, [&] {
    require_pointer(opt, "opt");
    if (count < 0) invalid("count must be non-negative");
    if (count == 0) return;
    require_dims(m, n);
    require_pointer(w, "w");
    require_pointer(g, "g");
    const Config& config = opt->config;
    if (momentum == nullptr && config.momentum != 0.0) {
      invalid("momentum is NULL but the hyper-parameter momentum is " +
              format_number(config.momentum) +
              " (pass an m x n momentum state, zero at the first step, or set momentum to 0)");
    }
    require_ld("ldw", ldw, m, n, sizeof(T));
    require_ld("ldg", ldg, m, n, sizeof(T));
    if (momentum != nullptr) require_ld("ldm", ldm, m, n, sizeof(T));
    std::vector<MatrixView<T>> W;
    std::vector<MatrixView<const T>> G;
    std::vector<MatrixView<T>> M;
    for (std::int64_t i = 0; i < count; ++i) {
      require_pointer(w[i], count == 1 ? "w" : "w[i]");
      require_pointer(g[i], count == 1 ? "g" : "g[i]");
      if (momentum != nullptr) require_pointer(momentum[i], count == 1 ? "momentum" : "momentum[i]");
      const Extent ew{w[i], m, n, ldw, sizeof(T), "w"};
      const Extent eg{g[i], m, n, ldg, sizeof(T), "g"};
      const Extent em{momentum != nullptr ? momentum[i] : nullptr, m, n, ldm, sizeof(T),
                      "momentum"};
      require_disjoint(eg, ew);
      require_disjoint(eg, em);
      require_disjoint(em, ew);
      W.emplace_back(w[i], m, n, ldw);
      G.emplace_back(g[i], m, n, ldg);
      if (momentum != nullptr) M.emplace_back(momentum[i], m, n, ldm);
    }
    // optim rejects a NaN/Inf gradient, and overlaps between items, before any work: w and
    // momentum stay unchanged.
    if (count == 1) {
      const optim::StepReport report =
          optim::step<T>(config, W[0], G[0], M.empty() ? MatrixView<T>() : M[0]);
      if (step_nu != nullptr) step_nu[0] = report.nu;
      return;
    }
    const std::vector<optim::StepReport> reports = optim::step_batched<T>(config, W, G, M);
    for (std::size_t i = 0; step_nu != nullptr && i < reports.size(); ++i) {
      step_nu[i] = reports[i].nu;
    }
  });
}

template <class T>
int step(const char* function, const polarkit_optimizer* opt, std::int64_t m, std::int64_t n,
         T* w, std::int64_t ldw, const T* g, std::int64_t ldg, T* momentum, std::int64_t ldm,
         double* step_nu) noexcept {
  return step<T>(function, opt, 1, m, n, &w, ldw, &g, ldg, momentum != nullptr ? &momentum : nullptr,
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
    opt = new polarkit_optimizer{polarkit::c_api::optimizer_config(kind)};
  });
  return opt;
}

void polarkit_optimizer_free(polarkit_optimizer* opt) noexcept { delete opt; }

int polarkit_optimizer_set(polarkit_optimizer* opt, const char* key, const char* value) noexcept {
  return guarded("polarkit_optimizer_set", [&] {
    require_pointer(opt, "opt");
    require_pointer(key, "key");
    require_pointer(value, "value");
    polarkit::optim::Config updated = opt->config;  // unchanged on failure
    polarkit::c_api::set_optimizer_option(updated, key, value);
    opt->config = updated;
  });
}

int polarkit_optimizer_get(const polarkit_optimizer* opt, const char* key, char* value,
                           size_t size) noexcept {
  return guarded("polarkit_optimizer_get", [&] {
    require_pointer(opt, "opt");
    require_pointer(key, "key");
    require_pointer(value, "value");
    polarkit::c_api::write_value(polarkit::c_api::get_optimizer_option(opt->config, key), value, size);
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
