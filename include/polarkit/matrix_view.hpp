// polarkit/matrix_view.hpp — a non-owning, trivially copyable view of a dense matrix.
//
// Storage is column-major or row-major with an explicit leading dimension. A row-major view is
// the column-major view of the transpose: transposed() flips the layout without touching data,
// so every kernel handles row-major input by transposition, never by copying (as in blaspp).
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "polarkit/error.hpp"

namespace polarkit {

using index_t = std::int64_t;

/// Where the elements live. Kernels refuse views from a space their backend cannot address.
enum class MemorySpace { host, cuda };

enum class Layout { col_major, row_major };

/// A non-owning view of a rows × cols matrix: column- or row-major with a leading dimension,
/// in host or device memory. Cheap to copy; the caller keeps the memory alive.
template <class T>
class MatrixView {
 public:
  using value_type = T;  ///< the element type (const T for a read-only view)

  MatrixView() = default;

  /// Views rows × cols elements at data with the given leading dimension (the stride between
  /// columns for col_major, between rows for row_major). Throws Error(invalid_argument) for
  /// negative sizes, a leading dimension below max(1, rows) (col_major) or max(1, cols)
  /// (row_major), or a null pointer to a non-empty matrix.
  MatrixView(T* data, index_t rows, index_t cols, index_t ld, Layout layout = Layout::col_major,
             MemorySpace space = MemorySpace::host)
      : data_(data), rows_(rows), cols_(cols), ld_(ld), layout_(layout), space_(space) {
    if (rows < 0 || cols < 0) {
      throw Error(ErrorCode::invalid_argument, "MatrixView: negative size " +
                                                   std::to_string(rows) + "x" + std::to_string(cols));
    }
    const index_t contiguous = layout == Layout::col_major ? rows : cols;
    const index_t min_ld = contiguous > 1 ? contiguous : 1;
    if (ld < min_ld) {
      throw Error(ErrorCode::invalid_argument,
                  "MatrixView: leading dimension " + std::to_string(ld) + " is below " +
                      std::to_string(min_ld) + " for a " + std::to_string(rows) + "x" +
                      std::to_string(cols) +
                      (layout == Layout::col_major ? " column-major" : " row-major") + " matrix");
    }
    if (data == nullptr && rows > 0 && cols > 0) {
      throw Error(ErrorCode::invalid_argument, "MatrixView: null data for a non-empty matrix");
    }
  }

  /// A read-only view of the same matrix.
  operator MatrixView<const T>() const  // NOLINT(google-explicit-constructor): like T* → const T*
    requires(!std::is_const_v<T>)
  {
    return MatrixView<const T>(data_, rows_, cols_, ld_, layout_, space_);
  }

  [[nodiscard]] T* data() const noexcept { return data_; }  ///< the element (0, 0)
  [[nodiscard]] index_t rows() const noexcept { return rows_; }  ///< number of rows
  [[nodiscard]] index_t cols() const noexcept { return cols_; }  ///< number of columns
  /// Distance between columns (column-major) or rows (row-major), in elements.
  [[nodiscard]] index_t ld() const noexcept { return ld_; }
  [[nodiscard]] Layout layout() const noexcept { return layout_; }  ///< column- or row-major
  [[nodiscard]] MemorySpace space() const noexcept { return space_; }  ///< host or device memory
  [[nodiscard]] bool empty() const noexcept { return rows_ == 0 || cols_ == 0; }  ///< no element
  /// Whether the layout is column-major.
  [[nodiscard]] bool is_col_major() const noexcept { return layout_ == Layout::col_major; }

  /// Element (i, j). Host views only; no bounds check.
  [[nodiscard]] T& operator()(index_t i, index_t j) const noexcept { return data_[offset(i, j)]; }

  /// The logical transpose, sharing the data (the layout flips).
  [[nodiscard]] MatrixView transposed() const noexcept {
    MatrixView t = *this;
    t.rows_ = cols_;
    t.cols_ = rows_;
    t.layout_ = layout_ == Layout::col_major ? Layout::row_major : Layout::col_major;
    return t;
  }

  /// The r × c block whose top-left element is (i, j). Throws if it does not fit.
  [[nodiscard]] MatrixView block(index_t i, index_t j, index_t r, index_t c) const {
    if (i < 0 || j < 0 || r < 0 || c < 0 || i + r > rows_ || j + c > cols_) {
      throw Error(ErrorCode::invalid_argument, "MatrixView::block: block does not fit the matrix");
    }
    MatrixView b = *this;
    b.data_ = (r == 0 || c == 0) ? data_ : data_ + offset(i, j);  // no access: may be device memory
    b.rows_ = r;
    b.cols_ = c;
    return b;
  }

  /// Column j as a rows × 1 view (column-major views only make it contiguous).
  [[nodiscard]] MatrixView col(index_t j) const { return block(0, j, rows_, 1); }

 private:
  [[nodiscard]] index_t offset(index_t i, index_t j) const noexcept {
    return layout_ == Layout::col_major ? i + j * ld_ : i * ld_ + j;
  }

  T* data_ = nullptr;
  index_t rows_ = 0;
  index_t cols_ = 0;
  index_t ld_ = 1;
  Layout layout_ = Layout::col_major;
  MemorySpace space_ = MemorySpace::host;
};

/// Column-major view of a contiguous-column array (blaspp/LAPACK convention).
template <class T>
MatrixView<T> col_major(T* data, index_t rows, index_t cols, index_t ld) {
  return MatrixView<T>(data, rows, cols, ld, Layout::col_major);
}

/// Row-major view (C arrays, NumPy default): element (i, j) at data[i * ld + j].
template <class T>
MatrixView<T> row_major(T* data, index_t rows, index_t cols, index_t ld) {
  return MatrixView<T>(data, rows, cols, ld, Layout::row_major);
}

}  // namespace polarkit
