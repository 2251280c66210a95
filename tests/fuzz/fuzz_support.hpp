// fuzz_support.hpp — what the libFuzzer targets of tests/fuzz share: reporting a finding, and the
// contract of the file readers (tests/fuzz/README.md lists the targets).
//
// A finding is reported by aborting: libFuzzer then saves the input as crash-<sha1>. Crashes,
// hangs (-timeout), memory blow-ups (-rss_limit_mb, -malloc_limit_mb) and sanitizer reports are
// findings without any code here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "polarkit/device.hpp"
#include "polarkit/error.hpp"
#include "polarkit/io.hpp"

namespace polarkit::fuzz {

/// Prints "FUZZ FINDING: what: detail" and aborts.
[[noreturn]] inline void finding(std::string_view what, std::string_view detail = {}) {
  std::fprintf(stderr, "FUZZ FINDING: %.*s%s%.*s\n", static_cast<int>(what.size()), what.data(),
               detail.empty() ? "" : ": ", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

inline void require(bool ok, std::string_view what, std::string_view detail = {}) {
  if (!ok) finding(what, detail);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The cap on rows·cols the reader targets pass: a Matrix Market coordinate file describes a
/// large dense matrix in a few bytes, and a fuzzer finds that at once.
inline constexpr index_t reader_max_elements = 64 * 64;

/// The name the readers are given; every message must start with it.
inline constexpr std::string_view reader_name = "fuzz-input";

/// Runs parse(bytes, reader_name, reader_max_elements) and checks the readers' contract
/// (polarkit/io.hpp): a matrix within the cap, or Error(io_error) with a one-line message that
/// names the input. Any other exception is a finding. check(file) adds a target's own checks of
/// a matrix read.
template <class Parse, class Check>
void check_reader(std::string_view bytes, Parse parse, Check check) {
  try {
    const io::DenseFile file = parse(bytes, reader_name, reader_max_elements);
    const index_t rows = file.values.rows();
    const index_t cols = file.values.cols();
    require(rows >= 0 && cols >= 0 && rows <= reader_max_elements &&
                cols <= reader_max_elements && (rows == 0 || cols <= reader_max_elements / rows),
            "a matrix beyond max_elements was returned");
    require(file.values.space() == MemorySpace::host, "the matrix read is not in host memory");
    check(file);
  } catch (const Error& e) {
    const std::string_view message = e.what();
    require(e.code() == ErrorCode::io_error, "a reader threw an Error other than io_error",
            message);
    require(message.starts_with(std::string(reader_name) + ": "),
            "a reader's message does not start with the input's name", message);
    for (const char c : message) {
      require(static_cast<unsigned char>(c) >= 0x20 && c != '\x7f',
              "a reader's message holds a control character (it must be one line)", message);
    }
  } catch (const std::exception& e) {
    finding("a reader threw an exception other than polarkit::Error", e.what());
  } catch (...) {
    finding("a reader threw something other than a std::exception");
  }
  // The CPU backend keeps freed blocks for reuse: give them back so that RSS reflects this input
  // alone, and so that ASan sees the next input's matrices as fresh allocations.
  release_cached_memory();
}

}  // namespace polarkit::fuzz
