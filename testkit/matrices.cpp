#include "testkit/matrices.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <stdexcept>
#include <utility>

#include "blas/blas.hpp"  // the library's typed BLAS/LAPACK wrappers, for bench_matrix
#include "polarkit/error.hpp"
#include "testkit/random.hpp"

namespace polarkit::testkit {
namespace {

using real = long double;

std::size_t at(index_t i) { return static_cast<std::size_t>(i); }

}  // namespace

// --- spectra -------------------------------------------------------------------------------------

std::vector<double> geometric_spectrum(index_t n, double kappa) {
  std::vector<double> s(at(n), 1.0);
  for (index_t i = 1; i < n; ++i) {
    s[at(i)] = std::pow(kappa, -static_cast<double>(i) / static_cast<double>(n - 1));
  }
  return s;
}

std::vector<double> linear_spectrum(index_t n, double kappa) {
  std::vector<double> s(at(n), 1.0);
  for (index_t i = 1; i < n; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(n - 1);
    s[at(i)] = (1.0 - t) + t / kappa;
  }
  return s;
}

const std::vector<std::string>& spectrum_names() {
  static const std::vector<std::string> names{"geometric", "linear", "one-small"};
  return names;
}

std::vector<double> spectrum(const std::string& name, index_t k, double kappa) {
  if (k < 1) throw Error(ErrorCode::invalid_argument, "spectrum: size must be positive");
  if (!(kappa >= 1.0) || !std::isfinite(kappa)) {
    throw Error(ErrorCode::invalid_argument,
                "kappa must be finite and at least 1, got " + std::to_string(kappa));
  }
  if (k == 1) return {1.0};
  std::vector<double> s;
  if (name == "geometric") {
    s = geometric_spectrum(k, kappa);
  } else if (name == "linear") {
    s = linear_spectrum(k, kappa);
  } else if (name == "one-small") {
    s.assign(at(k), 1.0);
  } else {
    throw Error(ErrorCode::invalid_argument,
                "unknown spectrum '" + name + "' (accepted: geometric, linear, one-small)");
  }
  s[at(k - 1)] = 1.0 / kappa;  // exactly, whatever rounding pow and the interpolation did
  return s;
}

// --- the test suite's generator -------------------------------------------------------------------

Matrix<double> haar_orthonormal(index_t m, index_t k, std::uint64_t seed) {
  Matrix<double> Q = gaussian<double>(m, k, seed);
  for (index_t j = 0; j < k; ++j) {
    for (int pass = 0; pass < 2; ++pass) {
      for (index_t p = 0; p < j; ++p) {
        real d = 0;
        for (index_t i = 0; i < m; ++i) d += static_cast<real>(Q(i, p)) * Q(i, j);
        for (index_t i = 0; i < m; ++i) Q(i, j) -= static_cast<double>(d) * Q(i, p);
      }
    }
    real norm = 0;
    for (index_t i = 0; i < m; ++i) norm += static_cast<real>(Q(i, j)) * Q(i, j);
    const double inv = 1.0 / std::sqrt(static_cast<double>(norm));
    for (index_t i = 0; i < m; ++i) Q(i, j) *= inv;
  }
  return Q;
}

template <class T>
Matrix<T> with_singular_values(index_t m, index_t n, const std::vector<double>& sigma,
                               std::uint64_t seed) {
  const index_t k = std::min(m, n);
  const Matrix<double> P = haar_orthonormal(m, k, seed);
  const Matrix<double> Q = haar_orthonormal(n, k, seed + 1);
  Matrix<T> A(m, n);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) {
      real s = 0;
      for (index_t p = 0; p < k; ++p) s += static_cast<real>(P(i, p)) * sigma[at(p)] * Q(j, p);
      A(i, j) = static_cast<T>(s);
    }
  }
  return A;
}

// --- the sweep's generator ------------------------------------------------------------------------

namespace {

// m × k, orthonormal columns: classical Gram–Schmidt applied twice ("twice is enough") to a
// Gaussian matrix, column by column, each column normalised after its two passes.
Matrix<double> haar_orthonormal_cgs2(index_t m, index_t k, std::uint64_t seed) {
  Matrix<double> Q = gaussian<double>(m, k, seed);
  std::vector<double> coef(at(k));
  for (index_t j = 0; j < k; ++j) {
    double* qj = &Q(0, j);
    for (int pass = 0; pass < 2; ++pass) {
      for (index_t p = 0; p < j; ++p) {
        const double* qp = &Q(0, p);
        double d = 0.0;
        for (index_t i = 0; i < m; ++i) d += qp[i] * qj[i];
        coef[at(p)] = d;
      }
      for (index_t p = 0; p < j; ++p) {
        const double* qp = &Q(0, p);
        const double d = coef[at(p)];
        for (index_t i = 0; i < m; ++i) qj[i] -= d * qp[i];
      }
    }
    double norm = 0.0;
    for (index_t i = 0; i < m; ++i) norm += qj[i] * qj[i];
    const double inv = 1.0 / std::sqrt(norm);
    for (index_t i = 0; i < m; ++i) qj[i] *= inv;
  }
  return Q;
}

}  // namespace

SingularVectors::SingularVectors(index_t m, index_t n, std::uint64_t seed)
    : P_(haar_orthonormal_cgs2(m, std::min(m, n), seed)),
      Q_(haar_orthonormal_cgs2(n, std::min(m, n), seed + 0x9e3779b97f4a7c15ULL)) {}

template <class T>
Matrix<T> SingularVectors::with_singular_values(const std::vector<double>& sigma) const {
  const index_t m = P_.rows();
  const index_t n = Q_.rows();
  const index_t k = P_.cols();
  if (static_cast<index_t>(sigma.size()) != k) {
    throw Error(ErrorCode::invalid_argument, "with_singular_values: expected " +
                                                 std::to_string(k) + " singular values");
  }
  std::vector<double> column(at(m));
  Matrix<T> A(m, n);
  for (index_t j = 0; j < n; ++j) {
    std::fill(column.begin(), column.end(), 0.0);
    for (index_t p = 0; p < k; ++p) {
      const double c = sigma[at(p)] * Q_(j, p);
      const double* pp = &P_(0, p);
      for (index_t i = 0; i < m; ++i) column[at(i)] += c * pp[i];
    }
    for (index_t i = 0; i < m; ++i) A(i, j) = static_cast<T>(column[at(i)]);
  }
  return A;
}

// --- the benchmarks' generator --------------------------------------------------------------------

namespace {

void check_lapack(int info, const char* routine) {
  if (info != 0) {
    throw std::runtime_error(std::string(routine) + " failed, info = " + std::to_string(info));
  }
}

// m × k with Haar-distributed orthonormal columns: the Q factor of a Gaussian matrix with the
// signs of diag(R) folded in.
Matrix<double> haar_orthonormal_qr(index_t m, index_t k, std::mt19937_64& rng) {
  Matrix<double> Q(m, k);
  fill_gaussian(Q, rng);
  std::vector<double> tau(at(k));
  check_lapack(blas::geqrf(m, k, Q.data(), m, tau.data()), "dgeqrf");
  std::vector<double> sign(at(k));
  for (index_t j = 0; j < k; ++j) sign[at(j)] = Q(j, j) < 0.0 ? -1.0 : 1.0;
  check_lapack(blas::orgqr(m, k, k, Q.data(), m, tau.data()), "dorgqr");
  for (index_t j = 0; j < k; ++j) {
    for (index_t i = 0; i < m; ++i) Q(i, j) *= sign[at(j)];
  }
  return Q;
}

// A = (P·diag(σ))·Qᵀ, m × n, with P (m × k) and then Q (n × k) drawn from rng.
Matrix<double> householder_product(index_t m, index_t n, const std::vector<double>& sigma,
                                   std::mt19937_64& rng) {
  const index_t k = std::min(m, n);
  if (static_cast<index_t>(sigma.size()) != k) {
    throw Error(ErrorCode::invalid_argument, "householder_with_singular_values: expected " +
                                                 std::to_string(k) + " singular values");
  }
  Matrix<double> P = haar_orthonormal_qr(m, k, rng);
  const Matrix<double> Q = haar_orthonormal_qr(n, k, rng);
  for (index_t j = 0; j < k; ++j) {
    for (index_t i = 0; i < m; ++i) P(i, j) *= sigma[at(j)];
  }
  Matrix<double> A(m, n);
  blas::gemm(blas::Op::no_trans, blas::Op::trans, m, n, k, 1.0, P.data(), m, Q.data(), n, 0.0,
             A.data(), m);
  return A;
}

const Matrix<double>& bench_matrix_f64(index_t n) {
  static std::map<index_t, Matrix<double>> cache;
  if (auto it = cache.find(n); it != cache.end()) return it->second;
  std::mt19937_64 rng(bench_seed + static_cast<std::uint64_t>(n));
  Matrix<double> A = householder_product(n, n, geometric_spectrum(n, bench_kappa), rng);
  return cache.emplace(n, std::move(A)).first->second;
}

}  // namespace

template <class T>
const Matrix<T>& bench_matrix(index_t n) {
  if constexpr (sizeof(T) == sizeof(double)) {
    return bench_matrix_f64(n);
  } else {
    static std::map<index_t, Matrix<T>> cache;
    if (auto it = cache.find(n); it != cache.end()) return it->second;
    const Matrix<double>& A = bench_matrix_f64(n);
    Matrix<T> B(n, n);
    for (index_t j = 0; j < n; ++j) {
      for (index_t i = 0; i < n; ++i) B(i, j) = static_cast<T>(A(i, j));
    }
    return cache.emplace(n, std::move(B)).first->second;
  }
}

template <class T>
Matrix<T> householder_with_singular_values(index_t m, index_t n, const std::vector<double>& sigma,
                                           std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const Matrix<double> A = householder_product(m, n, sigma, rng);
  Matrix<T> B(m, n);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) B(i, j) = static_cast<T>(A(i, j));
  }
  return B;
}

template Matrix<float> householder_with_singular_values<float>(index_t, index_t,
                                                               const std::vector<double>&,
                                                               std::uint64_t);
template Matrix<double> householder_with_singular_values<double>(index_t, index_t,
                                                                 const std::vector<double>&,
                                                                 std::uint64_t);
template Matrix<float> with_singular_values<float>(index_t, index_t, const std::vector<double>&,
                                                   std::uint64_t);
template Matrix<double> with_singular_values<double>(index_t, index_t, const std::vector<double>&,
                                                     std::uint64_t);
template Matrix<float> SingularVectors::with_singular_values<float>(const std::vector<double>&) const;
template Matrix<double> SingularVectors::with_singular_values<double>(const std::vector<double>&) const;
template const Matrix<float>& bench_matrix<float>(index_t);
template const Matrix<double>& bench_matrix<double>(index_t);

}  // namespace polarkit::testkit
