// polarkit/io.hpp — strict readers and a writer for dense matrices on disk.
//
//   auto file = polarkit::io::read_matrix("A.npy");        // .npy or Matrix Market, by content
//   // file.values: Matrix<double> (column-major); file.dtype: what the file held
//   polarkit::io::write_npy("U.npy", U.view());            // '<f4' or '<f8'
//
// Formats:
//   * NumPy .npy, versions 1.0, 2.0 and 3.0, dtype '<f4' or '<f8' only, 2-D shapes only, C or
//     Fortran order. The data must be exactly rows·cols·itemsize bytes: a truncated file and
//     trailing bytes are both errors. The header dict must hold exactly the keys 'descr',
//     'fortran_order' and 'shape' (any order, any whitespace, an optional trailing comma).
//   * Matrix Market (https://math.nist.gov/MatrixMarket/formats.html): object 'matrix', format
//     'array' (column-major values) or 'coordinate' (1-based "row col value" lines), field
//     'real', 'double' or 'integer' (integer values must be written as integers), symmetry
//     'general', 'symmetric' or 'skew-symmetric'. Banner qualifiers are case-insensitive.
//       - symmetric / skew-symmetric matrices must be square; array files hold the lower
//         triangle column by column (skew: strictly lower); coordinate entries must lie in the
//         lower triangle (skew: strictly below the diagonal). The upper triangle is mirrored
//         (negated for skew-symmetric).
//       - Duplicate coordinate entries are SUMMED (as scipy.io.mmread(...).toarray() and
//         MATLAB's sparse() do). Entries not listed are zero.
//       - Blank lines and lines starting with '%' are skipped anywhere; lines may end in CRLF.
//       - 'complex', 'pattern', 'hermitian' and 'vector' files are rejected.
//     The result dtype is always f64.
//
// Readers read regular files only (a device such as /dev/zero, a pipe or a socket is refused
// before a byte is read) and at most 64 bytes per allowed element plus 1 MiB.
// Readers never trust sizes in headers: every size is overflow-checked, data is never read
// past the end of the file, nothing is allocated from a header's claim before the claim is
// checked against the data actually present or against max_elements (the cap on rows·cols of
// the result, and on each of rows and cols, so that an empty 0 × 2^63 is refused too; a Matrix Market coordinate file can describe a large dense matrix in a few
// bytes, so fuzzers and services should pass a small cap).
//
// NaN and Inf values are NOT rejected here (Matrix Market "nan"/"inf" tokens are accepted as
// well): callers that need finite input check it themselves (polar() does).
//
// Every failure throws polarkit::Error(ErrorCode::io_error, "<path>: <what is wrong>"), a
// single line: control characters from the path or from the file are escaped as \xNN, and
// quoted file content is shortened.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include "polarkit/error.hpp"
#include "polarkit/matrix.hpp"
#include "polarkit/matrix_view.hpp"

namespace polarkit::io {

/// The element type a file held.
enum class DType { f32, f64 };

/// "f32" or "f64".
[[nodiscard]] const char* dtype_name(DType dtype) noexcept;

/// A matrix read from disk. values is column-major host memory, always double (f32 → f64 is
/// exact); dtype records what the file held (Matrix Market files are always f64).
struct DenseFile {
  DType dtype = DType::f64;  ///< the element type the file stores
  Matrix<double> values;     ///< its values, widened to double
};

/// Default cap on rows·cols of a matrix being read: 2^31 elements (16 GiB of doubles).
inline constexpr index_t default_max_elements = index_t{1} << 31;

/// Reads a NumPy .npy file (see the format notes above). Throws Error(io_error) when the file
/// cannot be read, is malformed or unsupported, or holds more than max_elements elements.
[[nodiscard]] DenseFile read_npy(const std::string& path,
                                 index_t max_elements = default_max_elements);

/// Reads a Matrix Market file (see the format notes above). Throws Error(io_error).
[[nodiscard]] DenseFile read_matrix_market(const std::string& path,
                                           index_t max_elements = default_max_elements);

/// Reads a .npy file (it starts with "\x93NUMPY") or a Matrix Market file (it starts with
/// "%%MatrixMarket"), whatever the file name; anything else throws Error(io_error) with
/// "not a .npy or Matrix Market file".
[[nodiscard]] DenseFile read_matrix(const std::string& path,
                                    index_t max_elements = default_max_elements);

/// The same parsers on bytes already in memory (for fuzzing and tests); name stands for the
/// path in error messages.
[[nodiscard]] DenseFile parse_npy(std::string_view bytes, std::string_view name,
                                  index_t max_elements = default_max_elements);
[[nodiscard]] DenseFile parse_matrix_market(std::string_view bytes, std::string_view name,
                                            index_t max_elements = default_max_elements);
[[nodiscard]] DenseFile parse_matrix(std::string_view bytes, std::string_view name,
                                     index_t max_elements = default_max_elements);

/// Writes A (host memory, any layout and leading dimension) as a .npy version 1.0 file with
/// dtype '<f4' (T = float) or '<f8' (T = double). A column-major view is written in Fortran
/// order (fortran_order True, column by column), a row-major view in C order (row by row), so
/// that no element is reordered. The header is padded with spaces to make the data start at a
/// multiple of 64 bytes, and ends in '\n'.
///
/// The file is written to a temporary file in the destination directory and renamed over path
/// at the end, so a failure never leaves a partial (or any new) file at path. Throws
/// Error(io_error). Instantiated for float and double.
template <class T>
void write_npy(const std::string& path, MatrixView<const T> A);

// Overloads so that a mutable view or an owning Matrix can be passed directly.
template <class T>
  requires(!std::is_const_v<T>)
void write_npy(const std::string& path, MatrixView<T> A) {
  write_npy<T>(path, MatrixView<const T>(A));
}
template <class T>
void write_npy(const std::string& path, const Matrix<T>& A) {
  write_npy<T>(path, A.view());
}

extern template void write_npy<float>(const std::string&, MatrixView<const float>);
extern template void write_npy<double>(const std::string&, MatrixView<const double>);

}  // namespace polarkit::io
