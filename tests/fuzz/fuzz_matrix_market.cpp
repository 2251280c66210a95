// fuzz_matrix_market.cpp — libFuzzer target of the Matrix Market reader:
// polarkit::io::parse_matrix_market, the parser that read_matrix_market and read_matrix run on a
// file's bytes, on arbitrary bytes.
//
// A finding: a crash, hang, sanitizer report or excessive memory; an exception other than
// Error(io_error), or an io_error message that is not one line starting with the input's name
// (fuzz_support.hpp); a matrix over the element cap (a coordinate file describes a large matrix
// in a few bytes); or a matrix that breaks the banner's symmetry: a symmetric one that is not
// equal to its transpose, a skew-symmetric one that is not minus its transpose, bit for bit (the
// mirrored entries go through the same additions, so rounding cannot tell them apart; NaN
// matches NaN).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "polarkit/io.hpp"

namespace {

using polarkit::index_t;
namespace io = polarkit::io;

/// The symmetry word of the banner ("%%MatrixMarket matrix <format> <field> <symmetry>"),
/// lower case; only read for a file the reader accepted.
std::string symmetry_word(std::string_view bytes) {
  std::istringstream banner(std::string(bytes.substr(0, bytes.find('\n'))));
  std::string word;
  for (int k = 0; k < 5; ++k) banner >> word;
  for (char& c : word) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return word;
}

bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

void check_symmetry(std::string_view bytes, const io::DenseFile& file) {
  const std::string symmetry = symmetry_word(bytes);
  if (symmetry == "general") return;
  const bool skew = symmetry == "skew-symmetric";
  polarkit::fuzz::require(skew || symmetry == "symmetric", "an unknown symmetry was accepted",
                          symmetry);
  const polarkit::Matrix<double>& A = file.values;
  polarkit::fuzz::require(A.rows() == A.cols(), "a symmetric matrix that is not square");
  for (index_t j = 0; j < A.cols(); ++j) {
    if (skew) polarkit::fuzz::require(A(j, j) == 0.0, "a skew-symmetric diagonal entry is not 0");
    for (index_t i = j + 1; i < A.rows(); ++i) {
      polarkit::fuzz::require(same(A(j, i), skew ? -A(i, j) : A(i, j)),
                              "the upper triangle does not mirror the lower one");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = polarkit::fuzz::as_text(data, size);
  polarkit::fuzz::check_reader(bytes, io::parse_matrix_market,
                               [&](const io::DenseFile& file) {
                                 polarkit::fuzz::require(file.dtype == io::DType::f64,
                                                         "a Matrix Market file read as f32");
                                 check_symmetry(bytes, file);
                               });
  return 0;
}
