// Hand-built .npy file contents, for tests that feed the readers malformed or unusual files.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

namespace polarkit::testkit {

/// A .npy file of format version `major` (1: 2-byte header length, otherwise 4): the given
/// header dict text (padded to 64 bytes and ended by '\n') and raw data.
inline std::string npy_bytes(const std::string& dict, const std::string& data, int major = 1) {
  const std::size_t len_width = major == 1 ? 2 : 4;
  const std::size_t fixed = 8 + len_width;
  std::string header = dict;
  while ((fixed + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t k = 0; k < len_width; ++k) {
    out += static_cast<char>((header.size() >> (8 * k)) & 0xffU);
  }
  return out + header + data;
}

/// The bytes of `values`, in memory order.
template <class T>
std::string raw(const std::vector<T>& values) {
  std::string s(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(s.data(), values.data(), s.size());
  return s;
}

}  // namespace polarkit::testkit
