#include "testkit/accuracy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace polarkit::testkit {
namespace {

using real = long double;

std::size_t at(index_t i) { return static_cast<std::size_t>(i); }

// The matrix as double (exact for float and double input), column-major, transposed when wide so
// that the vectors whose orthonormality is measured are its columns.
template <class T>
std::vector<double> tall_copy(MatrixView<const T> U, index_t& len, index_t& k) {
  const bool tall = U.rows() >= U.cols();
  len = tall ? U.rows() : U.cols();
  k = tall ? U.cols() : U.rows();
  std::vector<double> v(at(len * k));
  for (index_t c = 0; c < k; ++c) {
    for (index_t e = 0; e < len; ++e) {
      v[at(e + c * len)] = static_cast<double>(tall ? U(e, c) : U(c, e));
    }
  }
  return v;
}

// Σ x[e]·y[e] accumulated in long double. Products of two doubles are exact in long double
// only to 64 bits, which is ample: the measures are O(ε) quantities read to 2–3 digits. Four
// independent accumulators keep the x87 adder busy (one chain would wait on its latency).
real dot(const double* x, const double* y, index_t len) {
  real s0 = 0;
  real s1 = 0;
  real s2 = 0;
  real s3 = 0;
  index_t e = 0;
  for (; e + 4 <= len; e += 4) {
    s0 += static_cast<real>(x[e]) * static_cast<real>(y[e]);
    s1 += static_cast<real>(x[e + 1]) * static_cast<real>(y[e + 1]);
    s2 += static_cast<real>(x[e + 2]) * static_cast<real>(y[e + 2]);
    s3 += static_cast<real>(x[e + 3]) * static_cast<real>(y[e + 3]);
  }
  for (; e < len; ++e) s0 += static_cast<real>(x[e]) * static_cast<real>(y[e]);
  return (s0 + s1) + (s2 + s3);
}

double to_double(real x) { return static_cast<double>(x); }

double sq(double x) { return x * x; }

}  // namespace

template <class T>
double orthogonality_fro(MatrixView<const T> U) {
  index_t len = 0;
  index_t k = 0;
  const std::vector<double> v = tall_copy(U, len, k);
  real sum = 0;
  for (index_t a = 0; a < k; ++a) {
    const double* va = &v[at(a * len)];
    for (index_t b = a; b < k; ++b) {
      const real r = dot(va, &v[at(b * len)], len) - (a == b ? 1 : 0);
      sum += (a == b ? 1 : 2) * r * r;
    }
  }
  return to_double(std::sqrt(sum));
}

template <class T>
double backward_error(MatrixView<const T> A, MatrixView<const T> U, MatrixView<const T> H) {
  const index_t m = A.rows();
  const index_t n = A.cols();
  // Uᵀ (row i of U contiguous) and H as double, so that (UH)(i, j) is a contiguous dot product.
  std::vector<double> ut(at(n * m));
  for (index_t p = 0; p < n; ++p) {
    for (index_t i = 0; i < m; ++i) ut[at(p + i * n)] = static_cast<double>(U(i, p));
  }
  std::vector<double> h(at(n));
  real num = 0;
  real den = 0;
  for (index_t j = 0; j < n; ++j) {
    for (index_t p = 0; p < n; ++p) h[at(p)] = static_cast<double>(H(p, j));
    for (index_t i = 0; i < m; ++i) {
      const real a = static_cast<real>(A(i, j));
      const real r = a - dot(&ut[at(i * n)], h.data(), n);
      num += r * r;
      den += a * a;
    }
  }
  if (den == 0) return num == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return to_double(std::sqrt(num / den));
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
  std::vector<double> a(at(n * n));
  const auto el = [&](index_t i, index_t j) -> double& { return a[at(i + j * n)]; };
  double norm = 0.0;
  for (index_t j = 0; j < n; ++j) {
    for (index_t i = 0; i < n; ++i) {
      el(i, j) = 0.5 * (static_cast<double>(S(i, j)) + static_cast<double>(S(j, i)));
      norm += sq(el(i, j));
    }
  }
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0.0;
    for (index_t p = 0; p < n; ++p) {
      for (index_t q = p + 1; q < n; ++q) off += sq(el(p, q));
    }
    if (off <= 1e-34 * norm) break;
    for (index_t p = 0; p < n; ++p) {
      for (index_t q = p + 1; q < n; ++q) {
        if (el(p, q) == 0.0) continue;
        const double theta = (el(q, q) - el(p, p)) / (2.0 * el(p, q));
        const double t = (theta >= 0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0);
        const double s = t * c;
        for (index_t k = 0; k < n; ++k) {
          const double akp = el(k, p);
          const double akq = el(k, q);
          el(k, p) = c * akp - s * akq;
          el(k, q) = s * akp + c * akq;
        }
        for (index_t k = 0; k < n; ++k) {
          const double apk = el(p, k);
          const double aqk = el(q, k);
          el(p, k) = c * apk - s * aqk;
          el(q, k) = s * apk + c * aqk;
        }
      }
    }
  }
  std::vector<double> eig(at(n));
  for (index_t i = 0; i < n; ++i) eig[at(i)] = el(i, i);
  std::sort(eig.begin(), eig.end());
  return eig;
}

#define POLARKIT_TESTKIT_INSTANTIATE(T)                                                          \
  template double orthogonality_fro<T>(MatrixView<const T>);                                 \
  template double backward_error<T>(MatrixView<const T>, MatrixView<const T>, MatrixView<const T>); \
  template double asymmetry<T>(MatrixView<const T>);                                         \
  template std::vector<double> symmetric_eigenvalues<T>(MatrixView<const T>);
POLARKIT_TESTKIT_INSTANTIATE(float)
POLARKIT_TESTKIT_INSTANTIATE(double)
#undef POLARKIT_TESTKIT_INSTANTIATE

}  // namespace polarkit::testkit
