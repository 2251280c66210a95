// Shared machinery of the C ABI (include/polarkit/polarkit.h): the thread-local last error, the
// exception firewall every entry point runs through, argument checks and text-value parsing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

[[noreturn]] void invalid(const std::string& message);

void require_pointer(const void* pointer, const char* name);
/// m > 0 and n > 0: empty problems are rejected with "m and n must be positive".
void require_dims(std::int64_t m, std::int64_t n);
/// m >= 0 and n >= 0: the polar calls take empty problems (U empty, H the n × n zero matrix).
void require_sizes(std::int64_t m, std::int64_t n);
/// ld >= max(1, rows); also rejects an extent ld·(cols − 1) + rows that overflows.
void require_ld(const char* name, std::int64_t ld, std::int64_t rows, std::int64_t cols,
                std::size_t element_size);

/// A column-major rows × cols matrix in memory, for the overlap checks.
struct Extent {
  const void* data;
  std::int64_t rows, cols, ld;
  std::size_t element_size;
  const char* name;
};
/// Throws invalid_argument when the address ranges [data, data + ld·(cols − 1) + rows) of two
/// (non-NULL, non-empty) matrices overlap; an empty matrix overlaps nothing.
void require_disjoint(const Extent& x, const Extent& y);

/// Text values of *_set.
double parse_number(std::string_view key, std::string_view value, std::string_view accepted);
int parse_int(std::string_view key, std::string_view value, std::string_view accepted);
bool parse_bool(std::string_view key, std::string_view value);
[[noreturn]] void bad_value(std::string_view key, std::string_view value,
                            std::string_view accepted);
[[noreturn]] void bad_key(const char* what, std::string_view key, std::string_view accepted_keys);

/// Canonical text forms for *_get.
std::string format_number(double value);
std::string format_bool(bool value);
/// Copies text (NUL-terminated) into value[0..size); throws invalid_argument when it does not fit.
void write_value(const std::string& text, char* value, std::size_t size);

/// The accepted method names, comma separated.
std::string method_names();

/// The PolarOptions fields as text keys, shared by polarkit_options_* and the optimizers' oracle
/// keys: "method", "tol", "max_iter", "steps", "scaling", "compute_h", "precision", "refine",
/// "batch_group", "two_norm_each_iterate". Sets the field of `key` from `value` (throwing
/// invalid_argument with the accepted values when it is not accepted) and returns true, or
/// returns false for a key that is none of them.
bool set_polar_option(PolarOptions& o, std::string_view key, std::string_view value);
/// The canonical text of the field of `key`, or nullopt for a key that is none of them.
std::optional<std::string> get_polar_option(const PolarOptions& o, std::string_view key);

/// PolarOptions::coefficients as text: "a,b,c" or "a,b,c;a,b,c;..." ("" = the method's own).
std::vector<Quintic> parse_coefficients(std::string_view key, std::string_view value);
std::string format_coefficients(const std::vector<Quintic>& table);

/// The optimizer hyper-parameters as text keys (polarkit_optimizer_*; also the Python
/// package's optimizers): a Config of a kind ("muon", "polargrad", "colnorm", "rownorm", "sign",
/// "spectral"), one key set from text (throws invalid_argument naming the accepted keys or
/// values; c is then unchanged only if the caller set a copy), one key read back.
optim::Config optimizer_config(std::string_view kind);
void set_optimizer_option(optim::Config& c, std::string_view key, std::string_view value);
std::string get_optimizer_option(const optim::Config& c, std::string_view key);

}  // namespace polarkit::c_api
