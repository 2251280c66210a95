#include "support/matrices.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace polarkit::testing {
namespace {

using real = long double;

double sq(double x) { return x * x; }

}  // namespace

std::vector<double> geometric_spectrum(index_t n, double kappa) {
  std::vector<double> s(static_cast<std::size_t>(n), 1.0);
  for (index_t i = 1; i < n; ++i) {
    s[static_cast<std::size_t>(i)] =
        std::pow(kappa, -static_cast<double>(i) / static_cast<double>(n - 1));
  }
  return s;
}

std::vector<double> linear_spectrum(index_t n, double kappa) {
  std::vector<double> s(static_cast<std::size_t>(n), 1.0);
  for (index_t i = 1; i < n; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(n - 1);
    s[static_cast<std::size_t>(i)] = (1.0 - t) + t / kappa;
  }
  return s;
}

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
Matrix<T> gaussian(index_t m, index_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<T> A(m, n);
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) A(i, j) = static_cast<T>(normal(rng));
  }
  return A;
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
      for (index_t p = 0; p < k; ++p) {
        s += static_cast<real>(P(i, p)) * sigma[static_cast<std::size_t>(p)] * Q(j, p);
      }
      A(i, j) = static_cast<T>(s);
    }
  }
  return A;
}

template <class T>
double orthogonality_fro(MatrixView<const T> U) {
  const bool tall = U.rows() >= U.cols();
  const index_t k = tall ? U.cols() : U.rows();
  const index_t len = tall ? U.rows() : U.cols();
  const auto at = [&](index_t vec, index_t e) { return tall ? U(e, vec) : U(vec, e); };
  real sum = 0;
  for (index_t a = 0; a < k; ++a) {
    for (index_t b = 0; b < k; ++b) {
      real d = 0;
      for (index_t e = 0; e < len; ++e) d += static_cast<real>(at(a, e)) * at(b, e);
      const real r = d - (a == b ? 1 : 0);
      sum += r * r;
    }
  }
  return std::sqrt(static_cast<double>(sum));
}

template <class T>
double backward_error(MatrixView<const T> A, MatrixView<const T> U, MatrixView<const T> H) {
  real num = 0;
  real den = 0;
  for (index_t i = 0; i < A.rows(); ++i) {
    for (index_t j = 0; j < A.cols(); ++j) {
      real uh = 0;
      for (index_t p = 0; p < U.cols(); ++p) uh += static_cast<real>(U(i, p)) * H(p, j);
      const real r = static_cast<real>(A(i, j)) - uh;
      num += r * r;
      den += static_cast<real>(A(i, j)) * A(i, j);
    }
  }
  return std::sqrt(static_cast<double>(num / den));
}

template <class T>
double relative_difference(MatrixView<const T> X, MatrixView<const T> Y) {
  real num = 0;
  real den = 0;
  for (index_t i = 0; i < X.rows(); ++i) {
    for (index_t j = 0; j < X.cols(); ++j) {
      const real d = static_cast<real>(X(i, j)) - Y(i, j);
      num += d * d;
      den += static_cast<real>(Y(i, j)) * Y(i, j);
    }
  }
  return std::sqrt(static_cast<double>(num / den));
}

template <class T>
double asymmetry(MatrixView<const T> H) {
  double diff = 0.0;
  double size = 0.0;
  for (index_t i = 0; i < H.rows(); ++i) {
    for (index_t j = 0; j < H.cols(); ++j) {
      diff = std::max(diff, static_cast<double>(std::abs(H(i, j) - H(j, i))));
      size = std::max(size, static_cast<double>(std::abs(H(i, j))));
    }
  }
  return size > 0 ? diff / size : diff;
}

template <class T>
std::vector<double> symmetric_eigenvalues(MatrixView<const T> S) {
  const index_t n = S.rows();
  std::vector<double> a(static_cast<std::size_t>(n * n));
  const auto at = [&](index_t i, index_t j) -> double& { return a[static_cast<std::size_t>(i + j * n)]; };
  double norm = 0.0;
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n; ++i) {
      at(i, j) = 0.5 * (static_cast<double>(S(i, j)) + static_cast<double>(S(j, i)));
      norm += sq(at(i, j));
    }
  }
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0;
    for (index_t p = 0; p < n; ++p) {
      for (index_t q = p + 1; q < n; ++q) off += sq(at(p, q));
    }
    if (off <= 1e-34 * norm) break;
    for (index_t p = 0; p < n; ++p) {
      for (index_t q = p + 1; q < n; ++q) {
        if (at(p, q) == 0.0) continue;
        const double theta = (at(q, q) - at(p, p)) / (2.0 * at(p, q));
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0);
        const double s = t * c;
        for (index_t k = 0; k < n; ++k) {
          const double akp = at(k, p);
          const double akq = at(k, q);
          at(k, p) = c * akp - s * akq;
          at(k, q) = s * akp + c * akq;
        }
        for (index_t k = 0; k < n; ++k) {
          const double apk = at(p, k);
          const double aqk = at(q, k);
          at(p, k) = c * apk - s * aqk;
          at(q, k) = s * apk + c * aqk;
        }
      }
    }
  }
  std::vector<double> eig(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) eig[static_cast<std::size_t>(i)] = at(i, i);
  std::sort(eig.begin(), eig.end());
  return eig;
}

#define INSTANTIATE(T)                                                                          \
  template Matrix<T> with_singular_values<T>(index_t, index_t, const std::vector<double>&,      \
                                             std::uint64_t);                                     \
  template Matrix<T> gaussian<T>(index_t, index_t, std::uint64_t);                              \
  template double orthogonality_fro<T>(MatrixView<const T>);                                    \
  template double backward_error<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<const T>); \
  template double relative_difference<T>(MatrixView<const T>, MatrixView<const T>);            \
  template double asymmetry<T>(MatrixView<const T>);                                             \
  template std::vector<double> symmetric_eigenvalues<T>(MatrixView<const T>);
INSTANTIATE(float)
INSTANTIATE(double)
#undef INSTANTIATE

}  // namespace polarkit::testing
