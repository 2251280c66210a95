#include "test_matrix.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "polarkit/error.hpp"

namespace polarkit::cli {
namespace {

std::size_t at(index_t i) { return static_cast<std::size_t>(i); }

}  // namespace

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
  std::vector<double> s(at(k), 1.0);
  if (k == 1) return s;
  const double last = static_cast<double>(k - 1);
  if (name == "geometric") {
    for (index_t i = 1; i < k; ++i) s[at(i)] = std::pow(kappa, -static_cast<double>(i) / last);
  } else if (name == "linear") {
    for (index_t i = 1; i < k; ++i) {
      const double t = static_cast<double>(i) / last;
      s[at(i)] = (1.0 - t) + t / kappa;
    }
  } else if (name == "one-small") {
    s[at(k - 1)] = 1.0 / kappa;
  } else {
    throw Error(ErrorCode::invalid_argument,
                "unknown spectrum '" + name + "' (accepted: geometric, linear, one-small)");
  }
  s[at(k - 1)] = 1.0 / kappa;  // exactly, whatever rounding pow and the interpolation did
  return s;
}

Matrix<double> haar_orthonormal(index_t m, index_t k, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<double> Q(m, k);
  for (index_t j = 0; j < k; ++j) {
    for (index_t i = 0; i < m; ++i) Q(i, j) = normal(rng);
  }
  // Classical Gram–Schmidt, twice ("twice is enough"), column by column; each column is
  // normalised after its two passes.
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

SingularVectors::SingularVectors(index_t m, index_t n, std::uint64_t seed)
    : P_(haar_orthonormal(m, std::min(m, n), seed)),
      Q_(haar_orthonormal(n, std::min(m, n), seed + 0x9e3779b97f4a7c15ULL)) {}

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

template Matrix<float> SingularVectors::with_singular_values<float>(const std::vector<double>&) const;
template Matrix<double> SingularVectors::with_singular_values<double>(const std::vector<double>&) const;

}  // namespace polarkit::cli
