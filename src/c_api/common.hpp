// Shared machinery of the C ABI (include/polarkit/polarkit.h): the thread-local last error, the
// exception firewall every entry point runs through, argument checks, text-value parsing and the
// staging of bf16 matrices through float.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/api/checks.hpp"
#include "polarkit/error.hpp"
#include "polarkit/matrix_view.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/options.hpp"
#include "polarkit/polarkit.h"

namespace polarkit::c_api {

/// Records "function: message" as the calling thread's last error (never throws; long messages
/// are truncated) and returns code.
int fail(const char* function, int code, const char* message) noexcept;

/// Maps whatever the current exception is to a status and records its message. Call only from
/// inside a catch block.
int fail_current(const char* function) noexcept;

/// Runs body (which reports failure by throwing) and turns every exception into a status.
template <class Body>
int guarded(const char* function, Body&& body) noexcept {
  try {
    body();
    return POLARKIT_SUCCESS;
  } catch (...) {
    return fail_current(function);
  }
}

using detail::invalid;

void require_pointer(const void* pointer, const char* name);
/// m > 0 and n > 0: empty problems are rejected with "m and n must be positive".
void require_dims(std::int64_t m, std::int64_t n);
/// m >= 0 and n >= 0: the polar calls take empty problems (U empty, H the n × n zero matrix).
void require_sizes(std::int64_t m, std::int64_t n);
/// ld >= max(1, rows) (column-major) or max(1, cols) (row-major: ld is the distance between
/// rows); also rejects an extent ld·(lines − 1) + line length that overflows.
void require_ld(const char* name, std::int64_t ld, std::int64_t rows, std::int64_t cols,
                Layout layout, std::size_t element_size);

/// One operand of a call for the overlap rule (detail::require_disjoint), from the raw pointer
/// and its leading dimension in the given layout: the C ABI checks before staging, whose copies
/// would hide the caller's aliasing. count > 1 names it by item ("u[2]").
detail::Operand operand(const char* name, std::int64_t count, std::int64_t item, const void* data,
                        std::int64_t rows, std::int64_t cols, std::int64_t ld, Layout layout,
                        std::size_t element_size, bool written);

/// Text values of *_set.
double parse_number(std::string_view key, std::string_view value, std::string_view accepted);
/// parse_number for the keys that take a finite number >= 0 (lr, weight_decay, eps, scale_floor).
double parse_non_negative(std::string_view key, std::string_view value, std::string_view accepted);
int parse_int(std::string_view key, std::string_view value, std::string_view accepted);
bool parse_bool(std::string_view key, std::string_view value);
[[noreturn]] void bad_value(std::string_view key, std::string_view value,
                            std::string_view accepted);
[[noreturn]] void bad_key(const char* what, std::string_view key, std::string_view accepted_keys);

/// The enumerator a table names `value`, or bad_value listing the table's names.
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

/// The name a table gives e.
template <class E, std::size_t N>
std::string enum_name(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [known, name] : table) {
    if (known == e) return std::string(name);
  }
  return "unknown";
}

/// Canonical text forms for *_get.
std::string format_number(double value);
std::string format_bool(bool value);
/// Copies text (NUL-terminated) into value[0..size); throws invalid_argument when it does not fit.
void write_value(const std::string& text, char* value, std::size_t size);

/// The accepted method names, comma separated.
std::string method_names();

/// keys as an error message lists them: "a, b, c".
std::string key_list(std::span<const std::string_view> keys);

/// The keys of set_polar_option, in the order the messages list them.
inline constexpr std::array<std::string_view, 14> polar_option_keys{
    "method",    "tol",        "max_iter",    "steps",       "scaling",
    "compute_h", "backward_error", "precision", "refine",    "batch_group",
    "two_norm_each_iterate", "measure_result", "coefficients", "scale_floor"};

/// The PolarOptions fields as text keys (polar_option_keys), shared by polarkit_options_* and
/// the optimizers' oracle keys. Sets the field of `key` from `value` (throwing invalid_argument
/// with the accepted values when it is not accepted) and returns true, or returns false for a
/// key that is none of them.
bool set_polar_option(PolarOptions& o, std::string_view key, std::string_view value);
/// The canonical text of the field of `key`, or nullopt for a key that is none of them.
std::optional<std::string> get_polar_option(const PolarOptions& o, std::string_view key);

/// Where the caller's matrices live and how they are stored, for every matrix of a call: the
/// keys "device" ("cpu", "cuda") and "layout" ("column-major", "row-major") of both handles.
struct Storage {
  MemorySpace space = MemorySpace::host;
  Layout layout = Layout::col_major;
};
inline constexpr std::array<std::string_view, 2> storage_keys{"device", "layout"};
/// As set_polar_option and get_polar_option, for the keys of Storage.
bool set_storage_option(Storage& s, std::string_view key, std::string_view value);
std::optional<std::string> get_storage_option(const Storage& s, std::string_view key);

/// PolarOptions::coefficients as text: "a,b,c" or "a,b,c;a,b,c;..." ("" = the method's own).
std::vector<Quintic> parse_coefficients(std::string_view key, std::string_view value);
std::string format_coefficients(const std::vector<Quintic>& table);

/// The keys of set_optimizer_option, in the order the messages list them.
inline constexpr std::array<std::string_view, 15> optimizer_option_keys{
    "lr",     "momentum", "nesterov",        "weight_decay", "eps",
    "scale",  "nu",       "momentum_order",  "method",       "steps",
    "ns_coefficients", "tol", "precision",   "batch_group",  "two_norm_each_iterate"};

/// The optimizer hyper-parameters as text keys (polarkit_optimizer_*): a Config of a kind
/// ("muon", "polargrad", "colnorm", "rownorm", "sign", "spectral"); one key set from text, as
/// set_polar_option does (c is then unchanged only if the caller set a copy); one key read back,
/// or nullopt for an unknown key.
optim::Config optimizer_config(std::string_view kind);
bool set_optimizer_option(optim::Config& c, std::string_view key, std::string_view value);
std::optional<std::string> get_optimizer_option(const optim::Config& c, std::string_view key);

/// bfloat16 as the C ABI passes it: its bit pattern in a uint16_t.
using bf16_bits = std::uint16_t;

/// The type the library computes in for an element type of the C ABI: float for bf16 (the
/// library has no bf16 kernels outside its Newton–Schulz iteration), the type itself otherwise.
template <class S>
using compute_of_t = std::conditional_t<std::is_same_v<S, bf16_bits>, float, S>;

float widen_bf16(bf16_bits x);
bf16_bits round_to_bf16(float x);

/// The caller's matrices of one call as the library computes on them. float and double are
/// viewed where the caller keeps them, in its layout (no copy). A bf16 matrix is widened into a
/// float copy of the same shape and layout; outputs are rounded back to bf16 (nearest even) by
/// commit(), after the call succeeded, so that a failed call leaves them as they were.
template <class S>
class Staging {
 public:
  using T = compute_of_t<S>;
  static constexpr bool copies = !std::is_same_v<S, T>;

  /// Refuses device memory for a copied type: its copies are made on the host.
  explicit Staging(const Storage& storage);

  [[nodiscard]] MatrixView<const T> input(const S* data, std::int64_t rows, std::int64_t cols,
                                          std::int64_t ld) {
    if constexpr (copies) {
      return widened(data, rows, cols, ld);
    } else {
      return MatrixView<const T>(data, rows, cols, ld, storage_.layout, storage_.space);
    }
  }

  /// An output (`read` false: its old values are not needed) or an in-out matrix (`read` true).
  [[nodiscard]] MatrixView<T> output(S* data, std::int64_t rows, std::int64_t cols,
                                     std::int64_t ld, bool read) {
    if constexpr (copies) {
      MatrixView<T> copy = read ? widened(data, rows, cols, ld) : fresh(rows, cols);
      outputs_.push_back({data, ld, copy});
      return copy;
    } else {
      return MatrixView<T>(data, rows, cols, ld, storage_.layout, storage_.space);
    }
  }

  /// Writes the outputs back into the caller's matrices (a no-op where nothing was copied).
  void commit() const;

 private:
  struct Target {
    S* data;
    std::int64_t ld;
    MatrixView<T> copy;
  };
  MatrixView<T> fresh(std::int64_t rows, std::int64_t cols);
  MatrixView<T> widened(const S* data, std::int64_t rows, std::int64_t cols, std::int64_t ld);

  Storage storage_;
  std::vector<std::vector<T>> buffers_;  // moving the outer vector keeps every buffer in place
  std::vector<Target> outputs_;
};

}  // namespace polarkit::c_api
