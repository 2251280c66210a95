// Argument checks shared by the optimizer layer: shapes, memory spaces, overlapping storage.
#pragma once

#include <cstdint>
#include <string>

#include "polarkit/matrix_view.hpp"

namespace polarkit::optim::detail {

[[noreturn]] inline void invalid(const std::string& message) {
  throw Error(ErrorCode::invalid_argument, message);
}

inline std::string shape(index_t rows, index_t cols) {
  return std::to_string(rows) + "x" + std::to_string(cols);
}

/// The byte range [lo, hi) spanned by a view's elements (empty for an empty view).
struct Extent {
  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;
};

template <class T>
Extent extent(MatrixView<T> A) {
  if (A.empty()) return {};
  const index_t contiguous = A.is_col_major() ? A.rows() : A.cols();
  const index_t strided = A.is_col_major() ? A.cols() : A.rows();
  const auto elements = static_cast<std::uintptr_t>((strided - 1) * A.ld() + contiguous);
  const auto lo = reinterpret_cast<std::uintptr_t>(A.data());
  return {lo, lo + elements * sizeof(T)};
}

/// Whether two views share storage. Conservative: views whose address ranges interleave without
/// sharing an element (row blocks of one column-major array) count as overlapping.
template <class A, class B>
bool overlap(MatrixView<A> a, MatrixView<B> b) {
  const Extent x = extent(a);
  const Extent y = extent(b);
  return x.lo < x.hi && y.lo < y.hi && x.lo < y.hi && y.lo < x.hi;
}

template <class A, class B>
void require_same_shape(const char* what, MatrixView<A> a, const char* a_name, MatrixView<B> b,
                        const char* b_name) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) {
    invalid(std::string(what) + ": " + b_name + " is " + shape(b.rows(), b.cols()) + ", " + a_name +
            " is " + shape(a.rows(), a.cols()) + "; they must have the same shape");
  }
  if (a.space() != b.space()) {
    invalid(std::string(what) + ": " + a_name + " and " + b_name +
            " must live in the same memory space");
  }
}

}  // namespace polarkit::optim::detail
