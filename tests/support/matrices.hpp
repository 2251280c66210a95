// Test matrices with prescribed singular values, and reference accuracy measures computed
// independently of the library (plain loops, long double accumulation).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "polarkit/matrix.hpp"

namespace polarkit::testing {

/// Machine epsilon ε of T (2u).
template <class T>
constexpr double eps = std::numeric_limits<T>::epsilon();

/// σ_i = κ^{-i/(n-1)}: geometric from 1 down to 1/κ.
std::vector<double> geometric_spectrum(index_t n, double kappa);
/// σ_i linear from 1 down to 1/κ.
std::vector<double> linear_spectrum(index_t n, double kappa);

/// m × k matrix with orthonormal columns, Haar-distributed (Gram–Schmidt, twice, of a Gaussian).
Matrix<double> haar_orthonormal(index_t m, index_t k, std::uint64_t seed);

/// A = P · diag(σ) · Qᵀ (m × n, min(m, n) = σ.size()) with Haar P and Q, rounded to T.
template <class T>
Matrix<T> with_singular_values(index_t m, index_t n, const std::vector<double>& sigma,
                               std::uint64_t seed);

/// Gaussian m × n matrix.
template <class T>
Matrix<T> gaussian(index_t m, index_t n, std::uint64_t seed);

/// ‖UᵀU − I‖_F for m ≥ n, ‖UUᵀ − I‖_F for m < n.
template <class T>
double orthogonality_fro(MatrixView<const T> U);

/// ‖A − U·H‖_F / ‖A‖_F.
template <class T>
double backward_error(MatrixView<const T> A, MatrixView<const T> U, MatrixView<const T> H);

template <class T>
double orthogonality_fro(const Matrix<T>& U) {
  return orthogonality_fro(U.view());
}
template <class T>
double backward_error(const Matrix<T>& A, const Matrix<T>& U, const Matrix<T>& H) {
  return backward_error(A.view(), U.view(), H.view());
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

/// ‖X − Y‖_F / ‖Y‖_F.
template <class T>
double relative_difference(MatrixView<const T> X, MatrixView<const T> Y);

/// max |H − Hᵀ| / max |H|.
template <class T>
double asymmetry(MatrixView<const T> H);

/// Eigenvalues of the symmetric part of a small square matrix, ascending (cyclic Jacobi).
template <class T>
std::vector<double> symmetric_eigenvalues(MatrixView<const T> S);

}  // namespace polarkit::testing
