// polarkit/polar.hpp — the polar decomposition A = U·H and the matrix sign function msign(A) = U.
//
//   polarkit::Matrix<double> A = ...;                         // m × n, any shape
//   auto [U, H, info] = polarkit::polar(A.view());            // U: m × n, H: n × n
//   // info.ortho_error, info.backward_error, info.iterations, ...
//
// For m ≥ n, U has orthonormal columns (UᵀU = I) and H = (AᵀA)^{1/2} is symmetric positive
// semidefinite. For m < n, U has orthonormal rows (UUᵀ = I): the problem is solved for Aᵀ and
// transposed back, and H = UᵀA is still the n × n factor with A = U·H.
#pragma once

#include <span>
#include <vector>

#include "polarkit/info.hpp"
#include "polarkit/matrix.hpp"
#include "polarkit/matrix_view.hpp"
#include "polarkit/options.hpp"

namespace polarkit {

/// U, H and the report of polar() on an owning matrix.
template <class T>
struct PolarResult {
  Matrix<T> U;  ///< m × n polar factor
  Matrix<T> H;  ///< n × n symmetric PSD factor (empty unless options.compute_h)
  PolarInfo info;  ///< what the solve did
};

/// Polar decomposition of A (float or double, any layout). U and H are allocated in A's memory
/// space (host, or CUDA device memory for a device view). Throws Error for invalid arguments
/// (codes invalid_argument, non_finite_input) and for backend failures; an iteration that does
/// not reach the tolerance returns with info.converged = false.
template <class T>
PolarResult<T> polar(MatrixView<const T> A, const PolarOptions& options = {});

/// Writes U into the caller's m × n view and, when H is not empty and options.compute_h is set,
/// H into the caller's n × n view. U and H may have any layout; neither may share memory with A
/// or with the other (blocks of one array may, where they share no element). Throws
/// Error(invalid_argument) "polar: U and A overlap in memory (...)" otherwise.
template <class T>
PolarInfo polar(MatrixView<const T> A, MatrixView<T> U, MatrixView<T> H,
                const PolarOptions& options = {});

/// Polar decompositions of a batch of matrices of one shape in one memory space: U[i] (and H[i]
/// when H is not empty and options.compute_h is set) of A[i], with one report per matrix,
/// exactly as polar() reports it. The Newton–Schulz methods iterate the whole batch together:
/// each step is one batched product per stage for the matrices still iterating, and each matrix
/// stops on its own (its own e_j, its own adaptive schedule), so a batch returns what separate
/// calls return (bit for bit on the CPU). The other methods solve the matrices one after
/// another. Throws as polar() does, before any output is written; messages name the item.
///
///   std::vector<polarkit::MatrixView<const float>> A = ...;   // e.g. one layer's heads
///   std::vector<polarkit::MatrixView<float>> U = ...;         // same shapes
///   auto infos = polarkit::polar_batched<float>(A, U, {}, options);
template <class T>
std::vector<PolarInfo> polar_batched(std::span<const MatrixView<const T>> A,
                                     std::span<const MatrixView<T>> U,
                                     std::span<const MatrixView<T>> H,
                                     const PolarOptions& options = {});

/// The same, with U[i] (and H[i] when options.compute_h) allocated in A's memory space.
template <class T>
std::vector<PolarResult<T>> polar_batched(std::span<const MatrixView<const T>> A,
                                          const PolarOptions& options = {});

/// msign(A) = U alone (H, backward error and nuclear norm are not computed).
template <class T>
PolarResult<T> msign(MatrixView<const T> A, const PolarOptions& options = {});

// Overloads so that a mutable view or an owning Matrix can be passed directly as A: T is deduced
// from the argument's type, and deduction does not see through the conversion of MatrixView<T>
// to MatrixView<const T> (nor through Matrix::view()).
template <class T>
PolarResult<T> polar(MatrixView<T> A, const PolarOptions& options = {}) {
  return polar(MatrixView<const T>(A), options);
}
template <class T>
PolarResult<T> polar(const Matrix<T>& A, const PolarOptions& options = {}) {
  return polar(A.view(), options);
}
template <class T>
PolarResult<T> msign(MatrixView<T> A, const PolarOptions& options = {}) {
  return msign(MatrixView<const T>(A), options);
}
template <class T>
PolarResult<T> msign(const Matrix<T>& A, const PolarOptions& options = {}) {
  return msign(A.view(), options);
}
template <class T>
PolarInfo polar(MatrixView<T> A, MatrixView<T> U, MatrixView<T> H,
                const PolarOptions& options = {}) {
  return polar(MatrixView<const T>(A), U, H, options);
}
template <class T>
PolarInfo polar(const Matrix<T>& A, MatrixView<T> U, MatrixView<T> H,
                const PolarOptions& options = {}) {
  return polar(A.view(), U, H, options);
}

}  // namespace polarkit
