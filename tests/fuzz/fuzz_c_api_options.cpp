// fuzz_c_api_options.cpp — libFuzzer target of the C ABI's text setters (polarkit/polarkit.h):
// polarkit_options_set and polarkit_optimizer_set, with their getters, polarkit_optimizer_new,
// and small solves and steps run with whatever options were set.
//
// The input is lines:
//   kind=<text>       the optimizer handle becomes polarkit_optimizer_new(<text>) (NULL when
//                     that is refused: the optimizer calls that follow must then fail cleanly)
//   solve=<m>x<n>     polarkit_polar_d, _s and _batched_d (2 items) with the options so far, on
//                     a fixed well-conditioned m × n matrix (m, n taken mod 13)
//   step=<m>x<n>      polarkit_optimizer_step_d, _s and _batched_d (2 items) likewise
//   <key>=<value>     given to polarkit_options_set and to polarkit_optimizer_set
//   <key>             (no '='): both setters with value NULL
// Only the first few solve and step lines run, so that an input cannot take seconds.
//
// A finding: a crash, hang or sanitizer report; a setter or getter returning anything but 0 or
// POLARKIT_ERROR_INVALID_ARGUMENT; a failed set that changed the handle (every key is read back
// before and after); an accepted value whose canonical text (the getter's) is not accepted back
// or reads back differently; a getter that fails with a buffer of the text's size plus one or
// succeeds with one byte less; an empty last error after a failure; a solve or step returning
// POLARKIT_ERROR_INTERNAL (an unexpected exception) or POLARKIT_ERROR_IO; a successful solve with
// a non-finite U or H; a batched call whose items differ from the single call, bit for bit (the
// header promises equality on the CPU).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "polarkit/polarkit.h"

namespace {

using polarkit::fuzz::finding;
using polarkit::fuzz::require;

// The keys of the C ABI (src/c_api: polar_option_keys and storage_keys for the options;
// optimizer_option_keys and storage_keys for the optimizer, plus "kind", which only the getter
// takes), less the coefficient tables ("coefficients", "ns_coefficients"), whose text may exceed
// POLARKIT_VALUE_MAX, the buffer every snapshot reads with.
constexpr std::array<const char*, 15> option_keys{
    "method",    "tol",    "max_iter",    "steps",          "scaling",
    "compute_h", "backward_error", "precision", "refine", "batch_group",
    "two_norm_each_iterate", "measure_result", "scale_floor", "device", "layout"};
constexpr std::array<const char*, 17> optimizer_keys{
    "kind",  "lr",     "momentum", "nesterov", "weight_decay",          "eps",
    "scale", "nu",     "momentum_order", "method", "steps", "tol", "precision",
    "batch_group", "two_norm_each_iterate", "device", "layout"};

constexpr int max_runs = 4;        // solve and step lines that run, per input
constexpr std::int64_t sizes = 13;  // m and n are taken mod this

/// One handle type's setter and getter.
template <class Handle>
struct Api {
  int (*set)(Handle*, const char*, const char*) noexcept;
  int (*get)(const Handle*, const char*, char*, std::size_t) noexcept;
  std::span<const char* const> keys;
};

constexpr Api<polarkit_options> options_api{polarkit_options_set, polarkit_options_get,
                                            option_keys};
constexpr Api<polarkit_optimizer> optimizer_api{polarkit_optimizer_set, polarkit_optimizer_get,
                                                optimizer_keys};

void require_failure_reported(int status, const char* call) {
  if (status == POLARKIT_SUCCESS) return;
  const char* message = polarkit_last_error();
  require(message != nullptr && *message != '\0', "a failure left no last error", call);
}

void require_set_status(int status, const char* call) {
  if (status != POLARKIT_SUCCESS && status != POLARKIT_ERROR_INVALID_ARGUMENT) {
    finding("a setter or getter returned an undocumented status", call);
  }
  require_failure_reported(status, call);
}

/// The value of key, read with a buffer of exactly `size` bytes (so that ASan sees any write
/// past it); status in *status.
template <class Handle>
std::string get(const Api<Handle>& api, const Handle* h, const char* key, std::size_t size,
                int* status) {
  std::vector<char> buffer(std::max<std::size_t>(size, 1), 'x');
  *status = api.get(h, key, buffer.data(), size);
  require_set_status(*status, "get");
  if (*status != POLARKIT_SUCCESS) {
    require(buffer[0] == '\0', "a failed get left a value in the buffer", key);
    return {};
  }
  require(std::memchr(buffer.data(), '\0', size) != nullptr, "a get wrote no NUL", key);
  return buffer.data();
}

/// Every key's value; a key of the list that cannot be read is a finding.
template <class Handle>
std::vector<std::string> snapshot(const Api<Handle>& api, const Handle* h) {
  std::vector<std::string> values;
  for (const char* key : api.keys) {
    int status = 0;
    values.push_back(get(api, h, key, POLARKIT_VALUE_MAX, &status));
    require(status == POLARKIT_SUCCESS, "a documented key cannot be read", key);
  }
  return values;
}

template <class Handle>
void set(const Api<Handle>& api, Handle* h, const std::string& key, const char* value) {
  if (h == nullptr) {
    require(api.set(nullptr, key.c_str(), value) == POLARKIT_ERROR_INVALID_ARGUMENT,
            "a set on a NULL handle did not fail");
    return;
  }
  const std::vector<std::string> before = snapshot(api, h);
  const int status = api.set(h, key.c_str(), value);
  require_set_status(status, "set");
  if (status != POLARKIT_SUCCESS) {
    require(snapshot(api, h) == before, "a failed set changed the handle", key);
    return;
  }
  // The canonical text: it must fit POLARKIT_VALUE_MAX, need exactly its size plus one, and be
  // a fixed point of set-then-get for the whole handle.
  int got = 0;
  const std::string text = get(api, h, key.c_str(), POLARKIT_VALUE_MAX, &got);
  require(got == POLARKIT_SUCCESS, "a key that was set cannot be read", key);
  get(api, h, key.c_str(), text.size() + 1, &got);
  require(got == POLARKIT_SUCCESS, "a get failed with a buffer of the value's size plus one", key);
  if (!text.empty()) {
    get(api, h, key.c_str(), text.size(), &got);
    require(got == POLARKIT_ERROR_INVALID_ARGUMENT, "a get fit a value into too small a buffer",
            key);
  }
  const std::vector<std::string> after = snapshot(api, h);
  require(api.set(h, key.c_str(), text.c_str()) == POLARKIT_SUCCESS,
          "the canonical text of a value is not accepted back", key + "=" + text);
  require(snapshot(api, h) == after, "the canonical text of a value reads back differently",
          key + "=" + text);
}

/// "<m>x<n>", leniently: the digits before and after the first 'x', each mod `sizes`.
std::array<std::int64_t, 2> parse_shape(std::string_view text) {
  std::array<std::int64_t, 2> shape{0, 0};
  std::size_t k = 0;
  for (const char c : text) {
    if (c == 'x' && k == 0) {
      k = 1;
    } else if (c >= '0' && c <= '9') {
      shape[k] = (shape[k] * 10 + (c - '0')) % sizes;
    }
  }
  return shape;
}

/// A fixed m × n column-major matrix, diagonally dominant (full rank, modest condition number).
template <class T>
std::vector<T> fixed_matrix(std::int64_t m, std::int64_t n, int seed) {
  std::vector<T> a(static_cast<std::size_t>(std::max<std::int64_t>(m * n, 1)));
  for (std::int64_t j = 0; j < n; ++j) {
    for (std::int64_t i = 0; i < m; ++i) {
      const auto pattern = static_cast<double>((3 * i + 7 * j + seed) % 11) - 5.0;
      a[static_cast<std::size_t>(i + j * m)] = static_cast<T>(0.1 * pattern + (i == j ? 4.0 : 0.0));
    }
  }
  return a;
}

void require_run_status(int status, const char* call) {
  if (status == POLARKIT_ERROR_INTERNAL || status == POLARKIT_ERROR_IO || status < 0 ||
      status > POLARKIT_ERROR_INTERNAL) {
    finding("a solve or step returned an unexpected status", std::string(call) + ": " +
                                                                  std::to_string(status) + ": " +
                                                                  polarkit_last_error());
  }
  require_failure_reported(status, call);
}

/// "status 0", or "status N (the last error)" after a failed call: for a finding's message.
std::string outcome(int status) {
  std::string text = "status " + std::to_string(status);
  if (status != POLARKIT_SUCCESS) text += std::string(" (") + polarkit_last_error() + ")";
  return text;
}

template <class T>
bool all_finite(const std::vector<T>& x) {
  return std::all_of(x.begin(), x.end(), [](T v) { return std::isfinite(v); });
}

template <class T>
bool same_bits(const std::vector<T>& x, const std::vector<T>& y) {
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(T)) == 0;
}

template <class T, class Polar>
void solve_one(Polar run, const polarkit_options* opts, std::int64_t m, std::int64_t n,
               const char* call) {
  const std::vector<T> a = fixed_matrix<T>(m, n, 0);
  std::vector<T> u(a.size());
  std::vector<T> h(static_cast<std::size_t>(std::max<std::int64_t>(n * n, 1)));
  polarkit_info info{};
  const int status = run(m, n, a.data(), std::max<std::int64_t>(m, 1), u.data(),
                           std::max<std::int64_t>(m, 1), h.data(), std::max<std::int64_t>(n, 1),
                           opts, &info);
  require_run_status(status, call);
  if (status == POLARKIT_SUCCESS) {
    require(all_finite(u) && all_finite(h), "a successful solve gave a non-finite U or H", call);
  }
}

void solve(const polarkit_options* opts, std::int64_t m, std::int64_t n) {
  solve_one<float>(polarkit_polar_s, opts, m, n, "polarkit_polar_s");
  solve_one<double>(polarkit_polar_d, opts, m, n, "polarkit_polar_d");

  // The batch of two copies of A must give the single call's U, bit for bit. Both calls pass
  // info and no h: the C ABI then forms H in scratch memory, on the options' device, before the
  // options are checked, so that without info an input both invalid and for an absent device
  // fails differently (INVALID_ARGUMENT rather than NOT_COMPILED).
  const std::int64_t ld = std::max<std::int64_t>(m, 1);
  const std::vector<double> a = fixed_matrix<double>(m, n, 0);
  std::vector<double> u(a.size());
  polarkit_info info{};
  const int single = polarkit_polar_d(m, n, a.data(), ld, u.data(), ld, nullptr, 1, opts, &info);
  const std::string single_outcome = outcome(single);
  std::vector<double> u0(a.size());
  std::vector<double> u1(a.size());
  const std::array<const double*, 2> as{a.data(), a.data()};
  const std::array<double*, 2> us{u0.data(), u1.data()};
  std::array<polarkit_info, 2> infos{};
  const int batched = polarkit_polar_batched_d(2, m, n, as.data(), ld, us.data(), ld, nullptr, 1,
                                               opts, infos.data());
  require_run_status(batched, "polarkit_polar_batched_d");
  require(batched == single, "the batched solve's status differs from the single solve's",
          "single " + single_outcome + ", batched " + outcome(batched));
  if (single == POLARKIT_SUCCESS) {
    require(same_bits(u, u0) && same_bits(u, u1), "a batched solve differs from the single one");
  }
}

template <class T, class Step>
void step_one(Step run, const polarkit_optimizer* opt, std::int64_t m, std::int64_t n,
              const char* call) {
  std::vector<T> w = fixed_matrix<T>(m, n, 1);
  const std::vector<T> g = fixed_matrix<T>(m, n, 2);
  std::vector<T> momentum(w.size());
  double nu = 0.0;
  const std::int64_t ld = std::max<std::int64_t>(m, 1);
  require_run_status(run(opt, m, n, w.data(), ld, g.data(), ld, momentum.data(), ld, &nu), call);
}

void step(const polarkit_optimizer* opt, std::int64_t m, std::int64_t n) {
  step_one<float>(polarkit_optimizer_step_s, opt, m, n, "polarkit_optimizer_step_s");
  step_one<double>(polarkit_optimizer_step_d, opt, m, n, "polarkit_optimizer_step_d");

  // Two identical parameters stepped as a group must each end where the single step ends.
  const std::int64_t ld = std::max<std::int64_t>(m, 1);
  const std::vector<double> w_start = fixed_matrix<double>(m, n, 1);
  const std::vector<double> g = fixed_matrix<double>(m, n, 2);
  std::vector<double> w = w_start;
  std::vector<double> momentum(w.size());
  const int single = polarkit_optimizer_step_d(opt, m, n, w.data(), ld, g.data(), ld,
                                               momentum.data(), ld, nullptr);
  const std::string single_outcome = outcome(single);
  std::array<std::vector<double>, 2> ws{w_start, w_start};
  std::array<std::vector<double>, 2> ms{std::vector<double>(w.size()),
                                        std::vector<double>(w.size())};
  const std::array<double*, 2> wp{ws[0].data(), ws[1].data()};
  const std::array<const double*, 2> gp{g.data(), g.data()};
  const std::array<double*, 2> mp{ms[0].data(), ms[1].data()};
  const int batched = polarkit_optimizer_step_batched_d(opt, 2, m, n, wp.data(), ld, gp.data(), ld,
                                                        mp.data(), ld, nullptr);
  require_run_status(batched, "polarkit_optimizer_step_batched_d");
  require(batched == single, "the batched step's status differs from the single step's",
          "single " + single_outcome + ", batched " + outcome(batched));
  if (single == POLARKIT_SUCCESS) {
    require(same_bits(w, ws[0]) && same_bits(w, ws[1]) && same_bits(momentum, ms[0]) &&
                same_bits(momentum, ms[1]),
            "a batched step differs from the single one");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = polarkit::fuzz::as_text(data, size);
  polarkit_options* opts = polarkit_options_new();
  polarkit_optimizer* opt = polarkit_optimizer_new("muon");
  require(opts != nullptr && opt != nullptr, "a handle could not be made");
  int runs = 0;

  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t end = std::min(input.find('\n', pos), input.size());
    const std::string_view line = input.substr(pos, end - pos);
    pos = end + 1;
    const std::size_t eq = line.find('=');
    // std::string stops the C calls at the first NUL of a key or value, as a C caller would.
    const std::string key(line.substr(0, eq));
    const bool has_value = eq != std::string_view::npos;
    const std::string value(has_value ? line.substr(eq + 1) : std::string_view());

    if (key == "kind" && has_value) {
      polarkit_optimizer_free(opt);
      opt = polarkit_optimizer_new(value.c_str());
      require_failure_reported(opt != nullptr ? POLARKIT_SUCCESS : POLARKIT_ERROR_INVALID_ARGUMENT,
                               "polarkit_optimizer_new");
    } else if ((key == "solve" || key == "step") && has_value) {
      if (runs++ >= max_runs) continue;
      const auto [m, n] = parse_shape(value);
      if (key == "solve") {
        solve(opts, m, n);
      } else {
        step(opt, m, n);
      }
    } else {
      const char* v = has_value ? value.c_str() : nullptr;
      set(options_api, opts, key, v);
      set(optimizer_api, opt, key, v);
    }
  }
  polarkit_optimizer_free(opt);
  polarkit_options_free(opts);
  polarkit::release_cached_memory();
  return 0;
}
