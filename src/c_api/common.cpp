#include "c_api/common.hpp"
#include "core/api/names.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>

#include "core/kernels/half.hpp"
#include "polarkit/device.hpp"
#include "polarkit/options.hpp"

namespace polarkit::c_api {
namespace {

// A fixed buffer: recording an error never allocates, so it cannot fail.
thread_local std::array<char, 2048> last_error_message{};

}  // namespace

int fail(const char* function, int code, const char* message) noexcept {
  std::snprintf(last_error_message.data(), last_error_message.size(), "%s: %s",
                function != nullptr ? function : "polarkit", message != nullptr ? message : "");
  return code;
}

int fail_current(const char* function) noexcept {
  try {
    throw;
  } catch (const Error& e) {
    const int code = static_cast<int>(e.code());
    const bool known = code >= POLARKIT_ERROR_INVALID_ARGUMENT && code <= POLARKIT_ERROR_OUT_OF_MEMORY;
    static_assert(static_cast<int>(ErrorCode::out_of_memory) == POLARKIT_ERROR_OUT_OF_MEMORY);
    return fail(function, known ? code : POLARKIT_ERROR_INTERNAL, e.what());
  } catch (const std::bad_alloc&) {
    return fail(function, POLARKIT_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(function, POLARKIT_ERROR_INTERNAL, e.what());
  } catch (...) {
    return fail(function, POLARKIT_ERROR_INTERNAL, "unknown exception");
  }
}

void require_pointer(const void* pointer, const char* name) {
  if (pointer == nullptr) invalid(std::string(name) + " is NULL");
}

void require_dims(std::int64_t m, std::int64_t n) {
  if (m <= 0 || n <= 0) {
    invalid("m and n must be positive (got m = " + std::to_string(m) +
            ", n = " + std::to_string(n) + ")");
  }
}

void require_sizes(std::int64_t m, std::int64_t n) {
  if (m < 0 || n < 0) {
    invalid("m and n must be non-negative (got m = " + std::to_string(m) +
            ", n = " + std::to_string(n) + ")");
  }
}

namespace {

// The elements along a line of storage (a column, or a row of a row-major matrix) and the
// number of lines.
std::int64_t line_length(std::int64_t rows, std::int64_t cols, Layout layout) {
  return layout == Layout::col_major ? rows : cols;
}
std::int64_t lines(std::int64_t rows, std::int64_t cols, Layout layout) {
  return layout == Layout::col_major ? cols : rows;
}

}  // namespace

void require_ld(const char* name, std::int64_t ld, std::int64_t rows, std::int64_t cols,
                Layout layout, std::size_t element_size) {
  const std::int64_t length = line_length(rows, cols, layout);
  const std::int64_t count = lines(rows, cols, layout);
  const std::int64_t min_ld = length > 1 ? length : 1;
  if (ld < min_ld) {
    invalid(std::string(name) + " = " + std::to_string(ld) + " is below max(1, " +
            std::to_string(length) + ") = " + std::to_string(min_ld) +
            (layout == Layout::row_major ? " (row-major: the distance between rows, >= the columns)"
                                         : ""));
  }
  // ld·(lines − 1) + length elements of element_size bytes must be addressable.
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  const std::int64_t max_elements = max / static_cast<std::int64_t>(element_size);
  if (count > 1 && (count - 1) > (max_elements - length) / ld) {
    invalid(std::string(name) + " = " + std::to_string(ld) + ": a " + std::to_string(rows) + "x" +
            std::to_string(cols) + " matrix with this leading dimension overflows the address space");
  }
}

detail::Operand operand(const char* name, std::int64_t count, std::int64_t item, const void* data,
                        std::int64_t rows, std::int64_t cols, std::int64_t ld, Layout layout,
                        std::size_t element_size, bool written) {
  std::string label(name);
  if (count > 1) label += "[" + std::to_string(item) + "]";
  return {detail::extent(data, rows, cols, ld, layout == Layout::col_major, element_size), written,
          std::move(label)};
}

void bad_value(std::string_view key, std::string_view value, std::string_view accepted) {
  invalid("invalid value '" + std::string(value) + "' for key '" + std::string(key) +
          "' (accepted: " + std::string(accepted) + ")");
}

void bad_key(const char* what, std::string_view key, std::string_view accepted_keys) {
  invalid("unknown " + std::string(what) + " key '" + std::string(key) +
          "' (accepted keys: " + std::string(accepted_keys) + ")");
}

double parse_number(std::string_view key, std::string_view value, std::string_view accepted) {
  double x = 0.0;
  const char* begin = value.data();
  const char* end = begin + value.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars does not take a leading '+'
  const auto [ptr, ec] = std::from_chars(begin, end, x);
  if (value.empty() || ec != std::errc() || ptr != end || !std::isfinite(x)) {
    bad_value(key, value, accepted);
  }
  return x;
}

double parse_non_negative(std::string_view key, std::string_view value, std::string_view accepted) {
  const double x = parse_number(key, value, accepted);
  if (!(x >= 0.0)) bad_value(key, value, accepted);
  return x;
}

int parse_int(std::string_view key, std::string_view value, std::string_view accepted) {
  long long x = 0;
  const char* begin = value.data();
  const char* end = begin + value.size();
  if (begin != end && *begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, x);
  if (value.empty() || ec != std::errc() || ptr != end || x < std::numeric_limits<int>::min() ||
      x > std::numeric_limits<int>::max()) {
    bad_value(key, value, accepted);
  }
  return static_cast<int>(x);
}

bool parse_bool(std::string_view key, std::string_view value) {
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  bad_value(key, value, "true, false, 1, 0");
}

std::string format_number(double value) {
  // The shortest text that reads back as the same double ("0.95", "1e-12").
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc()) return "nan";
  return std::string(buffer.data(), end);
}

std::string format_bool(bool value) { return value ? "true" : "false"; }

void write_value(const std::string& text, char* value, std::size_t size) {
  require_pointer(value, "value");
  if (text.size() + 1 > size) {
    if (size > 0) value[0] = '\0';
    invalid("the value '" + text + "' needs a buffer of " + std::to_string(text.size() + 1) +
            " bytes, got " + std::to_string(size));
  }
  text.copy(value, text.size());
  value[text.size()] = '\0';
}

std::string method_names() {
  std::string names;
  for (const Method m : all_methods()) {
    if (!names.empty()) names += ", ";
    names += method_name(m);
  }
  return names;
}

std::string key_list(std::span<const std::string_view> keys) {
  std::string list;
  for (const std::string_view key : keys) {
    if (!list.empty()) list += ", ";
    list += key;
  }
  return list;
}

bool set_polar_option(PolarOptions& o, std::string_view key, std::string_view value) {
  if (key == "method") {
    const std::string accepted = method_names();
    try {
      o.method = parse_method(value);
    } catch (const Error&) {
      invalid("invalid value '" + std::string(value) + "' for key 'method'" +
              detail::method_suggestion(value) + " (accepted: " + accepted + ")");
    }
  } else if (key == "tol") {
    constexpr std::string_view accepted = "a number in [0, 1); 0 = to working precision";
    const double tol = parse_number(key, value, accepted);
    if (!(tol >= 0.0 && tol < 1.0)) bad_value(key, value, accepted);
    o.tol = tol;
  } else if (key == "max_iter") {
    constexpr std::string_view accepted = "an integer in [1, 1000]";
    static_assert(max_iterations_limit == 1000);
    const int max_iter = parse_int(key, value, accepted);
    if (max_iter < 1 || max_iter > max_iterations_limit) bad_value(key, value, accepted);
    o.max_iter = max_iter;
  } else if (key == "steps") {
    constexpr std::string_view accepted = "an integer in [0, 1000]; 0 = iterate to tolerance";
    const int steps = parse_int(key, value, accepted);
    if (steps < 0 || steps > max_iterations_limit) bad_value(key, value, accepted);
    o.steps = steps;
  } else if (key == "scaling") {
    if (value == "frobenius") {
      o.scaling = Scaling::frobenius;
    } else if (value == "spectral") {
      o.scaling = Scaling::spectral;
    } else {
      bad_value(key, value, "frobenius, spectral");
    }
  } else if (key == "compute_h") {
    o.compute_h = parse_bool(key, value);
  } else if (key == "backward_error") {
    o.backward_error = parse_bool(key, value);
  } else if (key == "precision") {
    try {
      o.precision = parse_precision(value);
    } catch (const Error&) {
      bad_value(key, value, "working, tf32, bf16, fp16");
    }
  } else if (key == "refine") {
    o.refine = parse_bool(key, value);
  } else if (key == "batch_group") {
    constexpr std::string_view accepted = "an integer >= 0; 0 = the backend's choice";
    const int group = parse_int(key, value, accepted);
    if (group < 0) bad_value(key, value, accepted);
    o.batch_group = group;
  } else if (key == "two_norm_each_iterate") {
    o.two_norm_each_iterate = parse_bool(key, value);
  } else if (key == "measure_result") {
    o.measure_result = parse_bool(key, value);
  } else if (key == "coefficients") {
    o.coefficients = parse_coefficients(key, value);
  } else if (key == "scale_floor") {
    constexpr std::string_view accepted = "a finite number >= 0; 0 = no floor";
    o.scale_floor = parse_non_negative(key, value, accepted);
  } else {
    return false;
  }
  return true;
}

std::vector<Quintic> parse_coefficients(std::string_view key, std::string_view value) {
  constexpr std::string_view accepted =
      "\"a,b,c\" (one quintic for every step), \"a,b,c;a,b,c;...\" (one per step, at most "
      "1000) or \"\" (the method's own)";
  std::vector<Quintic> table;
  if (value.empty()) return table;
  std::string_view rest = value;
  for (;;) {
    const std::size_t semicolon = rest.find(';');
    std::string_view triple = rest.substr(0, semicolon);
    double abc[3];
    for (int k = 0; k < 3; ++k) {
      const std::size_t comma = k < 2 ? triple.find(',') : triple.size();
      if (comma == std::string_view::npos) bad_value(key, value, accepted);
      abc[k] = parse_number(key, triple.substr(0, comma), accepted);
      triple = comma < triple.size() ? triple.substr(comma + 1) : std::string_view();
    }
    if (table.size() >= static_cast<std::size_t>(max_iterations_limit)) {
      bad_value(key, value, accepted);
    }
    table.push_back({abc[0], abc[1], abc[2]});
    if (semicolon == std::string_view::npos) return table;
    rest = rest.substr(semicolon + 1);
  }
}

std::string format_coefficients(const std::vector<Quintic>& table) {
  std::string text;
  for (const Quintic& q : table) {
    if (!text.empty()) text += ';';
    text += format_number(q.a) + ',' + format_number(q.b) + ',' + format_number(q.c);
  }
  return text;
}

std::optional<std::string> get_polar_option(const PolarOptions& o, std::string_view key) {
  if (key == "method") return std::string(method_name(o.method));
  if (key == "tol") return format_number(o.tol);
  if (key == "max_iter") return std::to_string(o.max_iter);
  if (key == "steps") return std::to_string(o.steps);
  if (key == "scaling") return o.scaling == Scaling::spectral ? "spectral" : "frobenius";
  if (key == "compute_h") return format_bool(o.compute_h);
  if (key == "backward_error") return format_bool(o.backward_error);
  if (key == "precision") return std::string(precision_name(o.precision));
  if (key == "refine") return format_bool(o.refine);
  if (key == "batch_group") return std::to_string(o.batch_group);
  if (key == "two_norm_each_iterate") return format_bool(o.two_norm_each_iterate);
  if (key == "measure_result") return format_bool(o.measure_result);
  if (key == "coefficients") return format_coefficients(o.coefficients);
  if (key == "scale_floor") return format_number(o.scale_floor);
  return std::nullopt;
}

namespace {

constexpr std::array<std::pair<MemorySpace, std::string_view>, 2> devices{{
    {MemorySpace::host, "cpu"},
    {MemorySpace::cuda, "cuda"},
}};
constexpr std::array<std::pair<Layout, std::string_view>, 2> layouts{{
    {Layout::col_major, "column-major"},
    {Layout::row_major, "row-major"},
}};

}  // namespace

bool set_storage_option(Storage& s, std::string_view key, std::string_view value) {
  if (key == "device") {
    s.space = parse_enum(devices, key, value);
  } else if (key == "layout") {
    s.layout = parse_enum(layouts, key, value);
  } else {
    return false;
  }
  return true;
}

std::optional<std::string> get_storage_option(const Storage& s, std::string_view key) {
  if (key == "device") return enum_name(devices, s.space);
  if (key == "layout") return enum_name(layouts, s.layout);
  return std::nullopt;
}

// The one bfloat16 conversion of the library (core/kernels/half.hpp), as the C ABI's bit patterns.
float widen_bf16(bf16_bits x) {
  detail::bfloat16 b{};
  b.bits = x;
  return static_cast<float>(b);
}

bf16_bits round_to_bf16(float x) { return detail::bfloat16(x).bits; }

namespace {

template <class S>
compute_of_t<S> widen(S x) {
  if constexpr (std::is_same_v<S, bf16_bits>) {
    return widen_bf16(x);
  } else {
    return x;
  }
}

template <class S>
S narrow(compute_of_t<S> x) {
  if constexpr (std::is_same_v<S, bf16_bits>) {
    return round_to_bf16(x);
  } else {
    return x;
  }
}

// Calls f(stored, tight) for every element of a rows × cols matrix in layout: its offset
// line·ld + k in storage with leading dimension ld, and in a tight copy (ld = the line length).
template <class F>
void for_each_element(std::int64_t rows, std::int64_t cols, Layout layout, std::int64_t ld, F f) {
  const std::int64_t length = line_length(rows, cols, layout);
  for (std::int64_t line = 0; line < lines(rows, cols, layout); ++line) {
    for (std::int64_t k = 0; k < length; ++k) {
      f(static_cast<std::size_t>(line * ld + k), static_cast<std::size_t>(line * length + k));
    }
  }
}

}  // namespace

template <class S>
Staging<S>::Staging(const Storage& storage) : storage_(storage) {
  if (copies && storage.space != MemorySpace::host) {
    invalid("the bf16 entry points take host memory only (device is 'cuda'): convert on the "
            "device and call the float entry point there");
  }
}

template <class S>
MatrixView<compute_of_t<S>> Staging<S>::fresh(std::int64_t rows, std::int64_t cols) {
  const std::int64_t length = line_length(rows, cols, storage_.layout);
  std::vector<T>& buffer = buffers_.emplace_back(static_cast<std::size_t>(rows * cols));
  return MatrixView<T>(buffer.data(), rows, cols, length > 1 ? length : 1, storage_.layout,
                       MemorySpace::host);
}

template <class S>
MatrixView<compute_of_t<S>> Staging<S>::widened(const S* data, std::int64_t rows,
                                                std::int64_t cols, std::int64_t ld) {
  const MatrixView<T> copy = fresh(rows, cols);
  for_each_element(rows, cols, storage_.layout, ld,
                   [&](std::size_t from, std::size_t to) { copy.data()[to] = widen(data[from]); });
  return copy;
}

template <class S>
void Staging<S>::commit() const {
  for (const Target& t : outputs_) {
    for_each_element(t.copy.rows(), t.copy.cols(), storage_.layout, t.ld,
                     [&](std::size_t to, std::size_t from) {
                       t.data[to] = narrow<S>(t.copy.data()[from]);
                     });
  }
}

template class Staging<float>;
template class Staging<double>;
template class Staging<bf16_bits>;

}  // namespace polarkit::c_api

extern "C" const char* polarkit_last_error(void) noexcept {
  return polarkit::c_api::last_error_message.data();
}

extern "C" int polarkit_release_cached_device_memory(void) noexcept {
  return polarkit::c_api::guarded("polarkit_release_cached_device_memory",
                                  [] { polarkit::release_cached_device_memory(); });
}

extern "C" int polarkit_release_cached_memory(void) noexcept {
  return polarkit::c_api::guarded("polarkit_release_cached_memory",
                                  [] { polarkit::release_cached_memory(); });
}
