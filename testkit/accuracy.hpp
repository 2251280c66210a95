// accuracy.hpp — accuracy measures of a computed polar decomposition (and a few other checks),
// evaluated independently of the library: plain loops, long double accumulation, no BLAS. The
// tests hold results to bars with them; `polarkit sweep` reports them in units of ε.
#pragma once

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "polarkit/matrix.hpp"

namespace polarkit::testkit {

/// Machine epsilon ε of T (2u).
template <class T>
constexpr double eps = std::numeric_limits<T>::epsilon();

/// ‖UᵀU − I‖_F for m ≥ n, ‖UUᵀ − I‖_F for m < n.
template <class T>
double orthogonality_fro(MatrixView<const T> U);

/// ‖A − U·H‖_F / ‖A‖_F (0 when A = 0 and U·H = 0).
template <class T>
double backward_error(MatrixView<const T> A, MatrixView<const T> U, MatrixView<const T> H);

/// ‖X − Y‖_F / ‖Y‖_F: the forward error of X against a reference Y (∞ where Y = 0 ≠ X), for
/// views or matrices of any layouts and element types (a float result against a double
/// reference), accumulated in long double.
template <class MX, class MY>
double relative_difference(const MX& X, const MY& Y) {
  long double num = 0;
  long double den = 0;
  for (index_t j = 0; j < X.cols(); ++j) {
    for (index_t i = 0; i < X.rows(); ++i) {
      const long double y = static_cast<long double>(Y(i, j));
      const long double d = static_cast<long double>(X(i, j)) - y;
      num += d * d;
      den += y * y;
    }
  }
  if (den == 0) return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return static_cast<double>(std::sqrt(num / den));
}

template <class T>
double orthogonality_fro(const Matrix<T>& U) {
  return orthogonality_fro(U.view());
}
template <class T>
double backward_error(const Matrix<T>& A, const Matrix<T>& U, const Matrix<T>& H) {
  return backward_error(A.view(), U.view(), H.view());
}

/// max |H − Hᵀ| / max |H|.
template <class T>
double asymmetry(MatrixView<const T> H);

/// Eigenvalues of the symmetric part of a small square matrix, ascending (cyclic Jacobi).
template <class T>
std::vector<double> symmetric_eigenvalues(MatrixView<const T> S);

/// Whether X and Y are equal bit for bit: the same shape, and every element the same bytes (a
/// NaN equals the same NaN; −0 and +0 differ), whatever the layouts. For results that must be
/// identical, not close (a batch against single calls, many ranks against one process).
template <class T>
bool identical(MatrixView<const T> X, MatrixView<const T> Y) {
  if (X.rows() != Y.rows() || X.cols() != Y.cols()) return false;
  for (index_t j = 0; j < X.cols(); ++j) {
    for (index_t i = 0; i < X.rows(); ++i) {
      if (std::memcmp(&X(i, j), &Y(i, j), sizeof(T)) != 0) return false;
    }
  }
  return true;
}

/// A column-major host copy of a host view (Matrix is move-only), by plain loops.
template <class T>
Matrix<T> clone(MatrixView<const T> A) {
  Matrix<T> B(A.rows(), A.cols());
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) B(i, j) = A(i, j);
  }
  return B;
}
template <class T>
Matrix<T> clone(const Matrix<T>& A) {
  return clone(A.view());
}

}  // namespace polarkit::testkit
