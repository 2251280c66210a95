// io/matrix_market.cpp — the Matrix Market reader (array and coordinate, real/integer fields).
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "io/io_detail.hpp"
#include "polarkit/io.hpp"

namespace polarkit::io {

namespace {

using detail::fail;
using detail::quote_token;

constexpr std::string_view banner_word = detail::mm_banner;

enum class Format { array, coordinate };
enum class Field { real, integer };
enum class Symmetry { general, symmetric, skew };

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> tokens;
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && is_space(line[pos])) ++pos;
    const std::size_t start = pos;
    while (pos < line.size() && !is_space(line[pos])) ++pos;
    if (pos > start) tokens.push_back(line.substr(start, pos - start));
  }
  return tokens;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

struct Entry {
  index_t i;
  index_t j;
  double v;
};

/// Walks the file line by line, skipping blank and comment lines, and reports errors with the
/// line number.
class Reader {
 public:
  Reader(std::string_view bytes, std::string_view name) : bytes_(bytes), name_(name) {}

  [[noreturn]] void bad(const std::string& what) const {
    fail(name_, "line " + std::to_string(line_no_) + ": " + what);
  }

  /// The next line (without '\n'); false at the end of the file.
  bool next_line(std::string_view& line) {
    if (pos_ >= bytes_.size()) return false;
    const std::size_t end = std::min(bytes_.find('\n', pos_), bytes_.size());
    line = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++line_no_;
    return true;
  }

  /// The tokens of the next line holding any, skipping comment lines; false at the end.
  bool next_tokens(std::vector<std::string_view>& tokens) {
    std::string_view line;
    while (next_line(line)) {
      tokens = split(line);
      if (!tokens.empty() && !tokens.front().starts_with('%')) return true;
    }
    return false;
  }

  [[nodiscard]] index_t line_no() const { return line_no_; }

  /// A non-negative decimal integer, overflow-checked.
  index_t parse_count(std::string_view token, const char* what) const {
    index_t v = 0;
    const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
    if (ec == std::errc::result_out_of_range) {
      bad(std::string(what) + " " + quote_token(token) + " is too large");
    }
    if (ec != std::errc() || ptr != token.data() + token.size() || token.front() == '-' || v < 0) {
      bad("expected a non-negative integer for " + std::string(what) + ", got " + quote_token(token));
    }
    return v;
  }

  double parse_value(std::string_view token, Field field) const {
    std::string_view t = token;
    if (t.size() > 1 && t.front() == '+' && t[1] != '-' && t[1] != '+') t.remove_prefix(1);
    if (field == Field::integer) {
      const std::size_t digits_from = (!t.empty() && t.front() == '-') ? 1 : 0;
      const bool ok = t.size() > digits_from &&
                      std::all_of(t.begin() + static_cast<std::ptrdiff_t>(digits_from), t.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
      if (!ok) bad("expected an integer value, got " + quote_token(token));
    }
    double v = 0.0;
    const auto [ptr, ec] =
        std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
    if (ec == std::errc::result_out_of_range) {
      bad("value " + quote_token(token) + " is out of the range of double");
    }
    if (ec != std::errc() || ptr != t.data() + t.size()) {
      bad("expected a number, got " + quote_token(token));
    }
    return v;
  }

 private:
  std::string_view bytes_;
  std::string_view name_;
  std::size_t pos_ = 0;
  index_t line_no_ = 0;
};

}  // namespace

DenseFile parse_matrix_market(std::string_view bytes, std::string_view name,
                              index_t max_elements) {
  if (!bytes.starts_with(banner_word)) {
    fail(name, "not a Matrix Market file (no %%MatrixMarket banner)");
  }
  Reader in(bytes, name);

  // --- banner: %%MatrixMarket matrix <format> <field> <symmetry> -------------------------------
  std::string_view line;
  in.next_line(line);
  const std::vector<std::string_view> banner = split(line);
  if (banner.front() != banner_word) {
    in.bad("malformed banner: expected '%%MatrixMarket matrix <format> <field> <symmetry>'");
  }
  if (banner.size() != 5) {
    in.bad("malformed banner: expected '%%MatrixMarket matrix <format> <field> <symmetry>', got " +
           std::to_string(banner.size()) + " words");
  }
  const std::string object = lower(banner[1]);
  const std::string format_word = lower(banner[2]);
  const std::string field_word = lower(banner[3]);
  const std::string symmetry_word = lower(banner[4]);
  if (object != "matrix") {
    in.bad("unsupported object " + quote_token(banner[1]) + " (expected 'matrix')");
  }
  Format format{};
  if (format_word == "array") {
    format = Format::array;
  } else if (format_word == "coordinate") {
    format = Format::coordinate;
  } else {
    in.bad("unsupported format " + quote_token(banner[2]) + " (expected 'array' or 'coordinate')");
  }
  Field field{};
  if (field_word == "real" || field_word == "double") {
    field = Field::real;
  } else if (field_word == "integer") {
    field = Field::integer;
  } else if (field_word == "complex") {
    in.bad("complex matrices are not supported");
  } else if (field_word == "pattern") {
    in.bad("pattern matrices (no values) are not supported");
  } else {
    in.bad("unsupported field " + quote_token(banner[3]) + " (expected 'real', 'double' or 'integer')");
  }
  Symmetry symmetry{};
  if (symmetry_word == "general") {
    symmetry = Symmetry::general;
  } else if (symmetry_word == "symmetric") {
    symmetry = Symmetry::symmetric;
  } else if (symmetry_word == "skew-symmetric") {
    symmetry = Symmetry::skew;
  } else if (symmetry_word == "hermitian") {
    in.bad("hermitian matrices are not supported");
  } else {
    in.bad("unsupported symmetry " + quote_token(banner[4]) +
           " (expected 'general', 'symmetric' or 'skew-symmetric')");
  }

  // --- size line ---------------------------------------------------------------------------------
  std::vector<std::string_view> tokens;
  if (!in.next_tokens(tokens)) {
    fail(name, "no size line after the banner");
  }
  const std::size_t size_words = format == Format::array ? 2 : 3;
  if (tokens.size() != size_words) {
    in.bad(format == Format::array ? "expected the size line 'rows cols'"
                                   : "expected the size line 'rows cols entries'");
  }
  const index_t rows = in.parse_count(tokens[0], "the row count");
  const index_t cols = in.parse_count(tokens[1], "the column count");
  const index_t nnz = format == Format::coordinate ? in.parse_count(tokens[2], "the entry count") : 0;
  if (rows > max_elements || cols > max_elements) {  // an empty 0 × 2^40 would loop 2^40 times
    in.bad("a " + std::to_string(rows) + "x" + std::to_string(cols) +
           " matrix: a dimension exceeds the limit of " + std::to_string(max_elements));
  }
  if (rows > 0 && cols > max_elements / rows) {
    in.bad("matrix of " + std::to_string(rows) + "x" + std::to_string(cols) +
           " elements exceeds the limit of " + std::to_string(max_elements) + " elements");
  }
  if (symmetry != Symmetry::general && rows != cols) {
    in.bad("a " + symmetry_word + " matrix must be square, got " + std::to_string(rows) + "x" +
           std::to_string(cols));
  }
  // rows · cols fits index_t now, and so do the triangle counts.
  index_t expected = nnz;
  if (format == Format::array) {
    // n(n+1)/2 and n(n-1)/2 computed without forming n(n+1), which could overflow.
    const auto half_product = [](index_t a, index_t b) { return a % 2 == 0 ? a / 2 * b : a * (b / 2); };
    expected = symmetry == Symmetry::general     ? rows * cols
               : symmetry == Symmetry::symmetric ? half_product(rows, rows + 1)
                                                 : (rows == 0 ? 0 : half_product(rows, rows - 1));
  }

  // --- entries (collected first: nothing is allocated from the header's claim alone) ----------
  std::vector<double> values;   // array format
  std::vector<Entry> entries;   // coordinate format
  index_t count = 0;
  const std::size_t entry_words = format == Format::array ? 1 : 3;
  while (in.next_tokens(tokens)) {
    if (count == expected) {
      in.bad("extra entry: the size line announces " + std::to_string(expected) + " entries");
    }
    if (tokens.size() != entry_words) {
      in.bad(format == Format::array
                 ? "expected one value per line, got " + std::to_string(tokens.size()) + " words"
                 : "expected 'row col value', got " + std::to_string(tokens.size()) + " words");
    }
    if (format == Format::array) {
      values.push_back(in.parse_value(tokens[0], field));
    } else {
      const index_t i = in.parse_count(tokens[0], "the row index");
      const index_t j = in.parse_count(tokens[1], "the column index");
      const double v = in.parse_value(tokens[2], field);
      if (i < 1 || i > rows || j < 1 || j > cols) {
        in.bad("entry (" + std::to_string(i) + ", " + std::to_string(j) +
               ") is out of range for a " + std::to_string(rows) + "x" + std::to_string(cols) +
               " matrix (indices are 1-based)");
      }
      if (symmetry == Symmetry::symmetric && i < j) {
        in.bad("entry (" + std::to_string(i) + ", " + std::to_string(j) +
               ") lies above the diagonal of a symmetric matrix (only the lower triangle is "
               "stored)");
      }
      if (symmetry == Symmetry::skew && i <= j) {
        in.bad("entry (" + std::to_string(i) + ", " + std::to_string(j) +
               ") is not below the diagonal of a skew-symmetric matrix (only the strictly lower "
               "triangle is stored)");
      }
      entries.push_back({i - 1, j - 1, v});
    }
    ++count;
  }
  if (count < expected) {
    fail(name, "missing entries: the size line announces " + std::to_string(expected) +
                   " entries, the file holds " + std::to_string(count));
  }

  DenseFile file;
  file.dtype = DType::f64;
  file.values = detail::allocate(name, rows, cols, max_elements);
  Matrix<double>& A = file.values;
  if (format == Format::array) {
    std::size_t k = 0;
    if (symmetry == Symmetry::general) {
      for (index_t j = 0; j < cols; ++j) {
        for (index_t i = 0; i < rows; ++i) A(i, j) = values[k++];
      }
    } else {
      const index_t first_offset = symmetry == Symmetry::symmetric ? 0 : 1;
      const double sign = symmetry == Symmetry::symmetric ? 1.0 : -1.0;
      for (index_t j = 0; j < cols; ++j) {
        for (index_t i = j + first_offset; i < rows; ++i) {
          A(i, j) = values[k];
          if (i != j) A(j, i) = sign * values[k];
          ++k;
        }
      }
    }
  } else {
    const double sign = symmetry == Symmetry::skew ? -1.0 : 1.0;
    for (const Entry& e : entries) {
      A(e.i, e.j) += e.v;  // duplicates are summed
      if (symmetry != Symmetry::general && e.i != e.j) A(e.j, e.i) += sign * e.v;
    }
  }
  return file;
}

DenseFile read_matrix_market(const std::string& path, index_t max_elements) {
  const std::string bytes = detail::read_file(path, max_elements);
  return parse_matrix_market(bytes, path, max_elements);
}

}  // namespace polarkit::io
