// polarkit/matrix.hpp — an owning, column-major matrix (host memory, or a backend's memory).
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "polarkit/matrix_view.hpp"

namespace polarkit {

namespace detail {

/// rows · cols for a host matrix of T, checked: rows · cols · sizeof(T) must fit a ptrdiff_t
/// (unchecked, 2^32 × 2^32 wrapped to 0 and left a non-empty matrix without storage). Throws
/// Error(invalid_argument) naming `who` and the sizes. Non-negative sizes expected.
template <class T>
std::size_t checked_element_count(index_t rows, index_t cols, const char* who) {
  if (rows == 0 || cols == 0) return 0;
  constexpr auto max_bytes = static_cast<index_t>(std::numeric_limits<std::ptrdiff_t>::max());
  if (cols > max_bytes / static_cast<index_t>(sizeof(T)) / rows) {
    throw Error(ErrorCode::invalid_argument,
                std::string(who) + ": a " + std::to_string(rows) + "x" + std::to_string(cols) +
                    " matrix of " + std::to_string(sizeof(T)) +
                    "-byte elements overflows the address space");
  }
  return static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
}

/// Error(out_of_memory) for a rows × cols matrix of `bytes` that could not be had.
[[noreturn]] inline void throw_out_of_memory(const char* who, index_t rows, index_t cols,
                                             std::size_t bytes) {
  throw Error(ErrorCode::out_of_memory, std::string(who) + ": out of memory for a " +
                                            std::to_string(rows) + "x" + std::to_string(cols) +
                                            " matrix (" + std::to_string(bytes) + " bytes)");
}

/// The memory of this machine, physical and swap (0 where it cannot be read).
std::size_t host_memory_bytes() noexcept;

/// Error(out_of_memory) before a host matrix of `bytes` larger than this machine's memory and
/// swap is requested: where the system would grant it anyway (overcommit), zero-filling it would
/// exhaust the machine instead of failing.
inline void require_host_memory(const char* who, index_t rows, index_t cols, std::size_t bytes) {
  const std::size_t limit = host_memory_bytes();
  if (limit > 0 && bytes > limit) {
    throw Error(ErrorCode::out_of_memory,
                std::string(who) + ": out of memory for a " + std::to_string(rows) + "x" +
                    std::to_string(cols) + " matrix (" + std::to_string(bytes) +
                    " bytes; this machine has " + std::to_string(limit) +
                    " bytes of memory and swap)");
  }
}

}  // namespace detail

/// An owning column-major rows × cols matrix in host or device memory (leading dimension
/// max(1, rows)); view() gives the MatrixView the algorithms take.
template <class T>
class Matrix {
 public:
  /// Releases storage obtained from a backend; a plain function pointer keeps Matrix movable
  /// and free of backend headers.
  using Deleter = void (*)(T*);

  Matrix() = default;

  /// A zero-initialised rows × cols host matrix with ld = max(1, rows). Throws
  /// Error(invalid_argument) for a negative size or one whose bytes overflow the address space,
  /// Error(out_of_memory) when the memory cannot be had; both name the sizes.
  Matrix(index_t rows, index_t cols)
      : Matrix(allocate_host(rows, cols), rows, cols, MemorySpace::host, &delete_host) {}

  /// Adopts storage of rows × cols elements (column-major, ld = max(1, rows)) from a backend.
  Matrix(T* storage, index_t rows, index_t cols, MemorySpace space, Deleter deleter)
      : data_(storage, deleter), rows_(rows), cols_(cols), space_(space) {}

  [[nodiscard]] index_t rows() const noexcept { return rows_; }  ///< number of rows
  [[nodiscard]] index_t cols() const noexcept { return cols_; }  ///< number of columns
  /// Leading dimension: max(1, rows) (the storage is contiguous).
  [[nodiscard]] index_t ld() const noexcept { return rows_ > 1 ? rows_ : 1; }
  [[nodiscard]] MemorySpace space() const noexcept { return space_; }  ///< host or device memory
  [[nodiscard]] bool empty() const noexcept { return rows_ == 0 || cols_ == 0; }  ///< no element
  [[nodiscard]] T* data() noexcept { return data_.get(); }  ///< the first element (NULL if empty)
  [[nodiscard]] const T* data() const noexcept { return data_.get(); }  ///< as data()

  /// A mutable view of the whole matrix (column-major, same memory space).
  [[nodiscard]] MatrixView<T> view() noexcept {
    return MatrixView<T>(data_.get(), rows_, cols_, ld(), Layout::col_major, space_);
  }
  /// A read-only view of the whole matrix.
  [[nodiscard]] MatrixView<const T> view() const noexcept {
    return MatrixView<const T>(data_.get(), rows_, cols_, ld(), Layout::col_major, space_);
  }

  /// Element access for host matrices.
  T& operator()(index_t i, index_t j) noexcept { return data_.get()[i + j * ld()]; }
  /// Element access for host matrices (read-only).
  const T& operator()(index_t i, index_t j) const noexcept { return data_.get()[i + j * ld()]; }

 private:
  static void delete_host(T* p) { delete[] p; }
  static T* allocate_host(index_t rows, index_t cols) {
    if (rows < 0 || cols < 0) {
      throw Error(ErrorCode::invalid_argument, "Matrix: negative size " + std::to_string(rows) +
                                                   "x" + std::to_string(cols));
    }
    const std::size_t count = detail::checked_element_count<T>(rows, cols, "Matrix");
    if (count == 0) return nullptr;
    detail::require_host_memory("Matrix", rows, cols, count * sizeof(T));
    try {
      return new T[count]();
    } catch (const std::bad_alloc&) {
      detail::throw_out_of_memory("Matrix", rows, cols, count * sizeof(T));
    }
  }

  std::unique_ptr<T, Deleter> data_{nullptr, &delete_host};
  index_t rows_ = 0;
  index_t cols_ = 0;
  MemorySpace space_ = MemorySpace::host;
};

}  // namespace polarkit
