// io/npy.cpp — the NumPy .npy reader and writer.
//
// Format (numpy/lib/format.py): "\x93NUMPY", major and minor version bytes, the header length
// (uint16 LE for 1.0, uint32 LE for 2.0 and 3.0), the header (a Python dict literal padded
// with spaces and ending in '\n'), then the raw data.
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <random>
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

constexpr std::string_view magic = detail::npy_magic;

void require_little_endian(std::string_view name) {
  if (std::endian::native != std::endian::little) {
    fail(name, ".npy files are supported on little-endian hosts only");
  }
}

// --- the header dict ---------------------------------------------------------------------------

struct Header {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<index_t>> shape;
};

/// "(2, 3, 4)", "(3,)", "()" as Python prints them; at most 8 dimensions are listed.
std::string shape_string(const std::vector<index_t>& shape) {
  std::string s = "(";
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (k == 8) {
      s += ", ...";
      break;
    }
    if (k > 0) {
      s += ", ";
    }
    s += std::to_string(shape[k]);
  }
  if (shape.size() == 1) {
    s += ",";
  }
  return s + ")";
}

/// A recursive-descent parser for the subset of Python literals numpy writes in the header.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  Header parse() {
    Header h;
    skip_space();
    expect('{', "the header does not start with '{'");
    for (;;) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = parse_string("a key");
      skip_space();
      expect(':', "expected ':' after key " + quote_token(key));
      skip_space();
      if (key == "descr") {
        if (h.descr) duplicate(key);
        if (peek() == '[') {
          bad("structured dtypes are not supported ('descr' is a list)");
        }
        h.descr = parse_string("the 'descr' value");
      } else if (key == "fortran_order") {
        if (h.fortran_order) duplicate(key);
        h.fortran_order = parse_bool();
      } else if (key == "shape") {
        if (h.shape) duplicate(key);
        h.shape = parse_shape();
      } else {
        bad("unexpected key " + quote_token(key) + " in the header");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      bad("expected ',' or '}' in the header dict");
    }
    skip_space();
    if (pos_ != text_.size()) {
      bad("unexpected characters after the header dict");
    }
    if (!h.descr) bad("the header has no 'descr' key");
    if (!h.fortran_order) bad("the header has no 'fortran_order' key");
    if (!h.shape) bad("the header has no 'shape' key");
    return h;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail(name_, "malformed .npy header: " + what);
  }
  [[noreturn]] void duplicate(const std::string& key) const {
    bad("duplicate key " + quote_token(key));
  }

  /// The next character, or '\0' at the end (a NUL inside the header is never valid).
  [[nodiscard]] char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  void expect(char c, const std::string& what) {
    if (peek() != c) bad(what);
    ++pos_;
  }

  std::string parse_string(const std::string& what) {
    const char q = peek();
    if (q != '\'' && q != '"') bad("expected a string for " + what);
    ++pos_;
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != q) {
      if (text_[pos_] == '\\') bad("escape sequences in header strings are not supported");
      if (text_[pos_] == '\n') bad("unterminated string in the header");
      ++pos_;
    }
    if (pos_ >= text_.size()) bad("unterminated string in the header");
    std::string s(text_.substr(start, pos_ - start));
    ++pos_;
    return s;
  }

  bool parse_bool() {
    const std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("True")) {
      pos_ += 4;
      return true;
    }
    if (rest.starts_with("False")) {
      pos_ += 5;
      return false;
    }
    bad("'fortran_order' must be True or False");
  }

  index_t parse_dim() {
    if (peek() == '-') bad("negative dimension in 'shape'");
    if (peek() < '0' || peek() > '9') bad("expected an integer in 'shape'");
    index_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      const index_t digit = peek() - '0';
      if (v > (std::numeric_limits<index_t>::max() - digit) / 10) {
        bad("a dimension in 'shape' is too large");
      }
      v = v * 10 + digit;
      ++pos_;
    }
    if (peek() == 'L') ++pos_;  // Python 2 long literal
    return v;
  }

  std::vector<index_t> parse_shape() {
    expect('(', "'shape' must be a tuple");
    std::vector<index_t> dims;
    bool trailing_comma = false;
    for (;;) {
      skip_space();
      if (peek() == ')') {
        ++pos_;
        break;
      }
      if (!dims.empty() && !trailing_comma) bad("expected ',' or ')' in 'shape'");
      dims.push_back(parse_dim());
      skip_space();
      trailing_comma = peek() == ',';
      if (trailing_comma) ++pos_;
    }
    if (dims.size() == 1 && !trailing_comma) {
      bad("'shape' must be a tuple");  // (3) is the integer 3 in Python
    }
    return dims;
  }

  std::string_view text_;
  std::string_view name_;
  std::size_t pos_ = 0;
};

std::uint32_t read_le(std::string_view bytes, std::size_t offset, std::size_t width) {
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < width; ++k) {
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + k])) << (8U * k);
  }
  return v;
}

template <class T>
void copy_data(const char* data, bool fortran_order, Matrix<double>& out) {
  const index_t rows = out.rows();
  const index_t cols = out.cols();
  const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  if (n == 0) {
    return;
  }
  double* dst = out.data();
  if (fortran_order) {
    // Column-major, ld = rows = out.ld(): the element order matches the matrix storage.
    if constexpr (std::is_same_v<T, double>) {
      std::memcpy(dst, data, n * sizeof(double));
    } else {
      for (std::size_t k = 0; k < n; ++k) {
        T v;
        std::memcpy(&v, data + k * sizeof(T), sizeof(T));
        dst[k] = static_cast<double>(v);
      }
    }
    return;
  }
  std::size_t k = 0;
  for (index_t i = 0; i < rows; ++i) {
    for (index_t j = 0; j < cols; ++j, ++k) {
      T v;
      std::memcpy(&v, data + k * sizeof(T), sizeof(T));
      out(i, j) = static_cast<double>(v);
    }
  }
}

}  // namespace

DenseFile parse_npy(std::string_view bytes, std::string_view name, index_t max_elements) {
  require_little_endian(name);
  if (!bytes.starts_with(magic)) {
    fail(name, "not a .npy file (bad magic string)");
  }
  if (bytes.size() < magic.size() + 2) {
    fail(name, "truncated .npy file (no version)");
  }
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    fail(name, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (expected 1.0, 2.0 or 3.0)");
  }
  const std::size_t len_width = major == 1 ? 2 : 4;
  const std::size_t header_start = 8 + len_width;
  if (bytes.size() < header_start) {
    fail(name, "truncated .npy file (no header length)");
  }
  const std::size_t header_len = read_le(bytes, 8, len_width);
  if (header_len > bytes.size() - header_start) {
    fail(name, "truncated .npy header: expected " + std::to_string(header_len) + " bytes, got " +
                   std::to_string(bytes.size() - header_start));
  }
  const Header h =
      HeaderParser(bytes.substr(header_start, header_len), name).parse();

  DType dtype{};
  std::size_t itemsize = 0;
  if (*h.descr == "<f8") {
    dtype = DType::f64;
    itemsize = 8;
  } else if (*h.descr == "<f4") {
    dtype = DType::f32;
    itemsize = 4;
  } else {
    fail(name, "unsupported dtype " + quote_token(*h.descr) +
                   " (only little-endian float32 '<f4' and float64 '<f8' are supported)");
  }
  const std::vector<index_t>& shape = *h.shape;
  if (shape.size() != 2) {
    fail(name, "expected a 2-D array, got shape " + shape_string(shape));
  }
  const index_t rows = shape[0];
  const index_t cols = shape[1];

  // rows · cols · itemsize, overflow-checked, against the bytes actually present.
  const std::size_t available = bytes.size() - header_start - header_len;
  const auto max_size = std::numeric_limits<std::size_t>::max();
  const auto urows = static_cast<std::uint64_t>(rows);
  const auto ucols = static_cast<std::uint64_t>(cols);
  if ((urows != 0 && ucols > max_size / urows) ||
      (urows * ucols > max_size / itemsize)) {
    fail(name, "shape " + shape_string(shape) + " is too large (the data size overflows)");
  }
  const std::size_t expected = static_cast<std::size_t>(urows * ucols) * itemsize;
  if (available < expected) {
    fail(name, "truncated data: expected " + std::to_string(expected) + " bytes for shape " +
                   shape_string(shape) + ", got " + std::to_string(available));
  }
  if (available > expected) {
    fail(name, "trailing data: expected " + std::to_string(expected) + " bytes for shape " +
                   shape_string(shape) + ", got " + std::to_string(available));
  }

  DenseFile file;
  file.dtype = dtype;
  file.values = detail::allocate(name, rows, cols, max_elements);
  const char* data = bytes.data() + header_start + header_len;
  if (dtype == DType::f64) {
    copy_data<double>(data, *h.fortran_order, file.values);
  } else {
    copy_data<float>(data, *h.fortran_order, file.values);
  }
  return file;
}

DenseFile read_npy(const std::string& path, index_t max_elements) {
  require_little_endian(path);
  const std::string bytes = detail::read_file(path, max_elements);
  return parse_npy(bytes, path, max_elements);
}

// --- the writer --------------------------------------------------------------------------------

namespace {

using detail::errno_message;

/// The magic, version, length and header of a version 1.0 file, padded to 64 bytes.
std::string npy_preamble(const char* descr, bool fortran_order, index_t rows, index_t cols) {
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': " +
                     (fortran_order ? "True" : "False") + ", 'shape': (" + std::to_string(rows) +
                     ", " + std::to_string(cols) + "), }";
  const std::size_t fixed = magic.size() + 2 + 2;
  std::size_t total = fixed + dict.size() + 1;  // + '\n'
  total = (total + 63) / 64 * 64;
  const std::size_t header_len = total - fixed;  // < 65536 for any two int64 dimensions
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(magic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header_len & 0xffU);
  out += static_cast<char>((header_len >> 8U) & 0xffU);
  return out + dict;
}

/// Owns a temporary file: closes it and removes it unless commit() renamed it into place.
class TempFile {
 public:
  explicit TempFile(const std::string& path) : path_(path) {
    const std::filesystem::path target(path);
    std::random_device seed;
    std::mt19937_64 gen((static_cast<std::uint64_t>(seed()) << 32U) ^ seed());
    for (int attempt = 0; attempt < 100; ++attempt) {
      const std::filesystem::path name =
          target.parent_path() /
          ("." + target.filename().string() + ".tmp" + std::to_string(gen() % 1000000000U));
      errno = 0;
      file_ = std::fopen(name.string().c_str(), "wbx");  // "x": fail if it exists
      if (file_ != nullptr) {
        tmp_ = name.string();
        return;
      }
      if (errno != EEXIST) {
        break;
      }
    }
    fail(path_, "cannot create file (" + errno_message(errno) + ")");
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (file_ != nullptr) {
      static_cast<void>(std::fclose(file_));
    }
    if (!tmp_.empty()) {
      static_cast<void>(std::remove(tmp_.c_str()));
    }
  }

  void write(const void* data, std::size_t size) {
    if (size == 0) {
      return;
    }
    errno = 0;
    if (std::fwrite(data, 1, size, file_) != size) {
      fail(path_, "cannot write file (" + errno_message(errno) + ")");
    }
  }

  void commit() {
    errno = 0;
    const int flushed = std::fflush(file_);
    const int err = errno;
    const int closed = std::fclose(file_);
    file_ = nullptr;
    if (flushed != 0 || closed != 0) {
      fail(path_, "cannot write file (" + errno_message(flushed != 0 ? err : errno) + ")");
    }
    std::error_code ec;
    std::filesystem::rename(tmp_, path_, ec);
    if (ec) {
      fail(path_, "cannot rename the temporary file into place (" + ec.message() + ")");
    }
    tmp_.clear();
  }

 private:
  std::string path_;
  std::string tmp_;
  std::FILE* file_ = nullptr;
};

}  // namespace

template <class T>
void write_npy(const std::string& path, MatrixView<const T> A) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  require_little_endian(path);
  if (A.space() != MemorySpace::host) {
    fail(path, "cannot write a matrix that is not in host memory");
  }
  const bool fortran_order = A.is_col_major();
  const std::string preamble =
      npy_preamble(std::is_same_v<T, float> ? "<f4" : "<f8", fortran_order, A.rows(), A.cols());

  TempFile out(path);
  out.write(preamble.data(), preamble.size());
  if (!A.empty()) {
    // Column-major: each column is contiguous; row-major: each row is.
    const index_t outer = fortran_order ? A.cols() : A.rows();
    const auto inner = static_cast<std::size_t>(fortran_order ? A.rows() : A.cols());
    for (index_t k = 0; k < outer; ++k) {
      out.write(A.data() + k * A.ld(), inner * sizeof(T));
    }
  }
  out.commit();
}

template void write_npy<float>(const std::string&, MatrixView<const float>);
template void write_npy<double>(const std::string&, MatrixView<const double>);

}  // namespace polarkit::io
