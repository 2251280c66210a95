// fuzz_npy.cpp — libFuzzer target of the .npy reader: polarkit::io::parse_npy, the parser that
// read_npy and read_matrix run on a file's bytes, on arbitrary bytes.
//
// A finding: a crash, hang, sanitizer report or excessive memory; an exception other than
// Error(io_error), or an io_error message that is not one line starting with the input's name
// (fuzz_support.hpp); a matrix over the element cap; or a matrix whose elements are not the
// file's data in C or Fortran order (the data is exactly the last rows·cols·itemsize bytes,
// since trailing bytes are an error).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "fuzz_support.hpp"
#include "polarkit/io.hpp"

namespace {

using polarkit::index_t;
namespace io = polarkit::io;

/// Element k of the data, as the reader converts it.
template <class T>
double element(const char* data, std::size_t k) {
  T v;
  std::memcpy(&v, data + k * sizeof(T), sizeof(T));
  return static_cast<double>(v);
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

/// Whether A holds data in C order (row_major) or in Fortran order, bit for bit.
template <class T>
bool laid_out_as(const io::DenseFile& file, const char* data, bool row_major) {
  const polarkit::Matrix<double>& A = file.values;
  for (index_t i = 0; i < A.rows(); ++i) {
    for (index_t j = 0; j < A.cols(); ++j) {
      const auto k = static_cast<std::size_t>(row_major ? i * A.cols() + j : j * A.rows() + i);
      if (!same_bits(A(i, j), element<T>(data, k))) return false;
    }
  }
  return true;
}

template <class T>
void check_data(std::string_view bytes, const io::DenseFile& file) {
  const auto n = static_cast<std::size_t>(file.values.rows() * file.values.cols());
  polarkit::fuzz::require(bytes.size() >= n * sizeof(T), "the file is shorter than its data");
  const char* data = bytes.data() + bytes.size() - n * sizeof(T);
  polarkit::fuzz::require(laid_out_as<T>(file, data, true) || laid_out_as<T>(file, data, false),
                          "the matrix is not the file's data in C or Fortran order");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = polarkit::fuzz::as_text(data, size);
  polarkit::fuzz::check_reader(bytes, io::parse_npy, [&](const io::DenseFile& file) {
    if (file.dtype == io::DType::f32) {
      check_data<float>(bytes, file);
    } else {
      check_data<double>(bytes, file);
    }
  });
  return 0;
}
