// io/io_detail.hpp — helpers shared by the readers and the writer (not installed).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "polarkit/io.hpp"

namespace polarkit::io::detail {

/// The first bytes of a .npy file and of a Matrix Market file (read_matrix sniffs them).
inline constexpr std::string_view npy_magic("\x93NUMPY", 6);
inline constexpr std::string_view mm_banner = "%%MatrixMarket";

/// The text of errno value err, or if_zero when err is 0 (the C library set no errno).
[[nodiscard]] std::string errno_message(int err, std::string_view if_zero = "unknown error");

/// s with every byte outside printable ASCII written as \xNN (so a message stays on one
/// line), cut to max_chars bytes of input with "..." appended when longer.
[[nodiscard]] std::string printable(std::string_view s, std::size_t max_chars = 4096);

/// printable(s, 40) in single quotes: for quoting tokens found in a file.
[[nodiscard]] std::string quote_token(std::string_view s);

/// Throws Error(io_error, printable(name) + ": " + what).
[[noreturn]] void fail(std::string_view name, const std::string& what);

/// The whole file, read only from a regular file (a device such as /dev/zero, a pipe or a socket
/// never ends, or ends anywhere) and only up to 64 bytes per allowed element plus 1 MiB (any
/// .npy or Matrix Market file of max_elements values fits; a longer one is refused, not read).
[[nodiscard]] std::string read_file(const std::string& path, index_t max_elements);

/// A zero rows × cols host matrix; throws Error(io_error) when rows·cols exceeds max_elements
/// or memory runs out. rows and cols must be non-negative.
[[nodiscard]] Matrix<double> allocate(std::string_view name, index_t rows, index_t cols,
                                      index_t max_elements);

}  // namespace polarkit::io::detail
