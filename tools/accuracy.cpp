#include "accuracy.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace polarkit::cli {
namespace {

using real = long double;

std::size_t at(index_t i) { return static_cast<std::size_t>(i); }

// The matrix as long double, column-major, transposed when wide so that the vectors whose
// orthonormality is measured are its columns.
template <class T>
std::vector<real> tall_copy(MatrixView<const T> U, index_t& len, index_t& k) {
  const bool tall = U.rows() >= U.cols();
  len = tall ? U.rows() : U.cols();
  k = tall ? U.cols() : U.rows();
  std::vector<real> v(at(len * k));
  for (index_t c = 0; c < k; ++c) {
    for (index_t e = 0; e < len; ++e) {
      v[at(e + c * len)] = static_cast<real>(tall ? U(e, c) : U(c, e));
    }
  }
  return v;
}

double to_double(real x) { return static_cast<double>(x); }

}  // namespace

template <class T>
double orthogonality_fro(MatrixView<const T> U) {
  index_t len = 0;
  index_t k = 0;
  const std::vector<real> v = tall_copy(U, len, k);
  real sum = 0;
  for (index_t a = 0; a < k; ++a) {
    const real* va = &v[at(a * len)];
    for (index_t b = a; b < k; ++b) {
      const real* vb = &v[at(b * len)];
      real d = 0;
      for (index_t e = 0; e < len; ++e) d += va[e] * vb[e];
      const real r = d - (a == b ? 1 : 0);
      sum += (a == b ? 1 : 2) * r * r;
    }
  }
  return to_double(std::sqrt(sum));
}

template <class T>
double backward_error(MatrixView<const T> A, MatrixView<const T> U, MatrixView<const T> H) {
  const index_t m = A.rows();
  const index_t n = A.cols();
  std::vector<real> column(at(m));
  real num = 0;
  real den = 0;
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < m; ++i) column[at(i)] = static_cast<real>(A(i, j));
    for (index_t p = 0; p < n; ++p) {
      const real h = static_cast<real>(H(p, j));
      for (index_t i = 0; i < m; ++i) column[at(i)] -= static_cast<real>(U(i, p)) * h;
    }
    for (index_t i = 0; i < m; ++i) {
      const real a = static_cast<real>(A(i, j));
      num += column[at(i)] * column[at(i)];
      den += a * a;
    }
  }
  if (den == 0) return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return to_double(std::sqrt(num / den));
}

template <class T>
double relative_difference(MatrixView<const T> X, MatrixView<const T> Y) {
  real num = 0;
  real den = 0;
  for (index_t j = 0; j < X.cols(); ++j) {
    for (index_t i = 0; i < X.rows(); ++i) {
      const real d = static_cast<real>(X(i, j)) - static_cast<real>(Y(i, j));
      num += d * d;
      den += static_cast<real>(Y(i, j)) * static_cast<real>(Y(i, j));
    }
  }
  if (den == 0) return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return to_double(std::sqrt(num / den));
}

#define POLARKIT_CLI_INSTANTIATE(T)                                                          \
  template double orthogonality_fro<T>(MatrixView<const T>);                                 \
  template double backward_error<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<const T>); \
  template double relative_difference<T>(MatrixView<const T>, MatrixView<const T>);
POLARKIT_CLI_INSTANTIATE(float)
POLARKIT_CLI_INSTANTIATE(double)
#undef POLARKIT_CLI_INSTANTIATE

}  // namespace polarkit::cli
