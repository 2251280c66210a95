// io/read_matrix.cpp — file reading, error helpers and the content-sniffing read_matrix.
#include <cerrno>
#include <limits>
#include <cstdio>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <system_error>

#include <sys/stat.h>

#include "io/io_detail.hpp"
#include "polarkit/io.hpp"

namespace polarkit::io {

namespace detail {

std::string printable(std::string_view s, std::size_t max_chars) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  const bool cut = s.size() > max_chars;
  const std::string_view shown = cut ? s.substr(0, max_chars) : s;
  out.reserve(shown.size() + 3);
  for (const char c : shown) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      out += "\\x";
      out += hex[u >> 4U];
      out += hex[u & 0xfU];
    }
  }
  if (cut) {
    out += "...";
  }
  return out;
}

std::string quote_token(std::string_view s) { return "'" + printable(s, 40) + "'"; }

void fail(std::string_view name, const std::string& what) {
  throw Error(ErrorCode::io_error, printable(name) + ": " + what);
}

std::string errno_message(int err, std::string_view if_zero) {
  return err != 0 ? std::generic_category().message(err) : std::string(if_zero);
}

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { static_cast<void>(std::fclose(f)); }
};

}  // namespace

std::string read_file(const std::string& path, index_t max_elements) {
  constexpr index_t slack = index_t{1} << 20;
  const index_t max_bytes =
      max_elements > (std::numeric_limits<index_t>::max() - slack) / 64 ? std::numeric_limits<index_t>::max()
                                                                        : 64 * max_elements + slack;
  // Checked before opening as well as after: opening a FIFO for reading waits for a writer.
  const auto check_kind = [&](const struct stat& info) {
    if (S_ISDIR(info.st_mode)) fail(path, "is a directory, not a matrix file");
    if (!S_ISREG(info.st_mode)) {
      fail(path, "not a regular file (a device, pipe or socket has no size to check against)");
    }
  };
  struct stat info {};
  if (stat(path.c_str(), &info) == 0) check_kind(info);
  errno = 0;
  const std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    const int err = errno;
    fail(path, "cannot open file (" + errno_message(err) + ")");
  }
  if (fstat(fileno(file.get()), &info) != 0) {
    const int err = errno;
    fail(path, "cannot stat file (" + errno_message(err) + ")");
  }
  check_kind(info);
  if (info.st_size > max_bytes) {
    fail(path, "file of " + std::to_string(info.st_size) + " bytes exceeds the limit of " +
                   std::to_string(max_bytes) + " bytes (64 per allowed element, plus 1 MiB)");
  }
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    errno = 0;
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    bytes.append(buffer, n);
    if (static_cast<index_t>(bytes.size()) > max_bytes) {  // it grew while being read
      fail(path, "file exceeds the limit of " + std::to_string(max_bytes) + " bytes");
    }
    if (n < sizeof buffer) {
      if (std::ferror(file.get()) != 0) {
        const int err = errno;
        fail(path, "cannot read file (" + errno_message(err, "read error") + ")");
      }
      break;
    }
  }
  return bytes;
}

Matrix<double> allocate(std::string_view name, index_t rows, index_t cols, index_t max_elements) {
  // Callers pass non-negative sizes; rows · cols is compared without overflow. Each dimension
  // is capped too: an empty matrix of 0 × 2^63 holds no element, yet every loop over its
  // columns would run 2^63 times.
  if (rows > max_elements || cols > max_elements) {
    fail(name, "a " + std::to_string(rows) + "x" + std::to_string(cols) +
                   " matrix: a dimension exceeds the limit of " + std::to_string(max_elements));
  }
  if (rows > 0 && cols > max_elements / rows) {
    fail(name, "matrix of " + std::to_string(rows) + "x" + std::to_string(cols) +
                   " elements exceeds the limit of " + std::to_string(max_elements) + " elements");
  }
  try {
    return Matrix<double>(rows, cols);
  } catch (const std::bad_alloc&) {
    fail(name, "out of memory for a " + std::to_string(rows) + "x" + std::to_string(cols) +
                   " matrix");
  }
}

}  // namespace detail

const char* dtype_name(DType dtype) noexcept { return dtype == DType::f32 ? "f32" : "f64"; }

DenseFile parse_matrix(std::string_view bytes, std::string_view name, index_t max_elements) {
  if (bytes.starts_with(detail::npy_magic)) {
    return parse_npy(bytes, name, max_elements);
  }
  if (bytes.starts_with(detail::mm_banner)) {
    return parse_matrix_market(bytes, name, max_elements);
  }
  detail::fail(name, bytes.empty() ? "not a .npy or Matrix Market file (the file is empty)"
                                   : "not a .npy or Matrix Market file");
}

DenseFile read_matrix(const std::string& path, index_t max_elements) {
  const std::string bytes = detail::read_file(path, max_elements);
  return parse_matrix(bytes, path, max_elements);
}

}  // namespace polarkit::io
