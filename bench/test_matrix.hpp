// test_matrix.hpp — the benchmarks' input matrix (bench_polar, bench_cuda): n × n,
// A = P·diag(σ)·Qᵀ with Haar-random P, Q and geometric singular values σ_i = κ^{-i/(n-1)},
// κ = 1e3, from a fixed seed; built once per n on the host (column-major) and cached.
// The f32 matrix is the f64 one rounded. Needs the library's typed BLAS/LAPACK wrappers
// (src/blas/blas.hpp): the bench targets have src/ on their include path and link BLAS/LAPACK.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "blas/blas.hpp"  // the library's typed BLAS/LAPACK wrappers
#include "polarkit/matrix.hpp"

namespace polarkit::bench {

inline constexpr double kappa = 1e3;
inline constexpr std::uint64_t seed = 0x706F6C61726B6974ULL;  // "polarkit"

inline void check_lapack(int info, const char* routine) {
  if (info != 0) {
    throw std::runtime_error(std::string(routine) + " failed, info = " + std::to_string(info));
  }
}

// A Haar-distributed orthogonal n × n matrix: the Q factor of a Gaussian matrix with the signs
// of diag(R) folded in.
inline Matrix<double> haar_orthogonal(index_t n, std::mt19937_64& rng) {
  Matrix<double> Q(n, n);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n; ++i) Q(i, j) = normal(rng);
  }
  std::vector<double> tau(static_cast<std::size_t>(n));
  check_lapack(blas::geqrf(n, n, Q.data(), n, tau.data()), "dgeqrf");
  std::vector<double> sign(static_cast<std::size_t>(n));
  for (index_t j = 0; j < n; ++j) sign[static_cast<std::size_t>(j)] = Q(j, j) < 0.0 ? -1.0 : 1.0;
  check_lapack(blas::orgqr(n, n, n, Q.data(), n, tau.data()), "dorgqr");
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n; ++i) Q(i, j) *= sign[static_cast<std::size_t>(j)];
  }
  return Q;
}

// A = P·diag(σ)·Qᵀ with σ_i = κ^{-i/(n-1)}: σ_max = 1, σ_min = 1/κ. Built once per n.
inline const Matrix<double>& test_matrix_f64(index_t n) {
  static std::map<index_t, Matrix<double>> cache;
  if (auto it = cache.find(n); it != cache.end()) return it->second;
  std::mt19937_64 rng(seed + static_cast<std::uint64_t>(n));
  Matrix<double> P = haar_orthogonal(n, rng);
  const Matrix<double> Q = haar_orthogonal(n, rng);
  for (index_t j = 0; j < n; ++j) {
    const double t = n > 1 ? static_cast<double>(j) / static_cast<double>(n - 1) : 0.0;
    const double sigma = std::pow(kappa, -t);
    for (index_t i = 0; i < n; ++i) P(i, j) *= sigma;
  }
  Matrix<double> A(n, n);
  blas::gemm(blas::Op::no_trans, blas::Op::trans, n, n, n, 1.0, P.data(), n, Q.data(), n, 0.0,
             A.data(), n);
  return cache.emplace(n, std::move(A)).first->second;
}

template <class T>
const Matrix<T>& test_matrix(index_t n) {
  if constexpr (sizeof(T) == sizeof(double)) {
    return test_matrix_f64(n);
  } else {
    static std::map<index_t, Matrix<T>> cache;
    if (auto it = cache.find(n); it != cache.end()) return it->second;
    const Matrix<double>& A = test_matrix_f64(n);
    Matrix<T> B(n, n);
    for (index_t j = 0; j < n; ++j) {
      for (index_t i = 0; i < n; ++i) B(i, j) = static_cast<T>(A(i, j));
    }
    return cache.emplace(n, std::move(B)).first->second;
  }
}

}  // namespace polarkit::bench
