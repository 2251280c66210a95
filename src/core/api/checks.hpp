// The argument checks every entry point shares — polar(), the optimizer steps and the C ABI —
// so that the same arguments get the same verdict and the same words wherever they come in:
// invalid_argument errors, shapes in messages, and the one overlap rule (no written operand may
// share a byte with any other operand; read-only operands may share).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "polarkit/error.hpp"
#include "polarkit/matrix_view.hpp"

namespace polarkit::detail {

/// Throws Error(invalid_argument, message).
[[noreturn]] void invalid(const std::string& message);

/// Throws Error(invalid_argument, who + ": " + what).
[[noreturn]] void invalid(std::string_view who, const std::string& what);

/// Throws Error(invalid_argument, who + ": " + what) unless ok.
void require(bool ok, std::string_view who, std::string_view what);

/// "rows x cols" as messages write a shape ("3x4").
std::string shape(index_t rows, index_t cols);

/// Where a matrix lies in memory: `lines` lines of `length` contiguous elements, `ld` elements
/// apart (lines: the columns of column-major storage, the rows of row-major storage), from byte
/// lo to hi. Empty for an empty matrix or a null pointer: it occupies no memory.
struct Extent {
  std::uintptr_t lo = 0;
  std::uintptr_t hi = 0;
  index_t length = 0;
  index_t lines = 0;
  index_t ld = 0;
  std::size_t element_size = 0;
  [[nodiscard]] bool empty() const { return lo >= hi; }
};

Extent extent(const void* data, index_t rows, index_t cols, index_t ld, bool col_major,
              std::size_t element_size);

template <class T>
Extent extent(MatrixView<T> A) {
  return extent(A.data(), A.rows(), A.cols(), A.ld(), A.is_col_major(), sizeof(T));
}

/// Whether two matrices share memory. Exact for two blocks of one array (the same leading
/// dimension and element size, elements aligned: disjoint row blocks of a column-major array
/// interleave in address but share nothing); otherwise whether their byte ranges intersect.
bool overlap(Extent a, Extent b);

template <class A, class B>
bool overlap(MatrixView<A> a, MatrixView<B> b) {
  return overlap(extent(a), extent(b));
}

/// One operand of a call, for require_disjoint.
struct Operand {
  Extent extent;
  bool written;
  std::string name;
};

/// The overlap rule: throws invalid_argument "<who>: X and Y overlap in memory (X must not
/// alias Y)" when a written operand shares memory with any other operand (X is the written one,
/// or of two written ones the later in `operands`; who empty: no prefix). O(k log k) in the
/// number of operands.
void require_disjoint(std::string_view who, std::vector<Operand> operands);

/// a and b of one shape and memory space ("<who>: b is 3x4, a is 4x4; they must have the same
/// shape").
template <class A, class B>
void require_same_shape(std::string_view who, MatrixView<A> a, std::string_view a_name,
                        MatrixView<B> b, std::string_view b_name) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) {
    invalid(std::string(who) + ": " + std::string(b_name) + " is " + shape(b.rows(), b.cols()) +
            ", " + std::string(a_name) + " is " + shape(a.rows(), a.cols()) +
            "; they must have the same shape");
  }
  if (a.space() != b.space()) {
    invalid(std::string(who) + ": " + std::string(a_name) + " and " + std::string(b_name) +
            " must live in the same memory space");
  }
}

}  // namespace polarkit::detail
