#include "testkit/random.hpp"

#include <cmath>
#include <cstddef>
#include <numbers>

namespace polarkit::testkit {

template <class T>
void fill_gaussian(Matrix<T>& A, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  for (index_t j = 0; j < A.cols(); ++j) {
    for (index_t i = 0; i < A.rows(); ++i) A(i, j) = static_cast<T>(normal(rng));
  }
}

template <class T>
Matrix<T> gaussian(index_t m, index_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Matrix<T> A(m, n);
  fill_gaussian(A, rng);
  return A;
}

Matrix<double> splitmix_gaussian(index_t rows, index_t cols, std::uint64_t seed) {
  Matrix<double> A(rows, cols);
  SplitMix64 rng(seed);
  double* a = A.data();
  const auto n = static_cast<std::size_t>(rows * cols);
  for (std::size_t i = 0; i < n; i += 2) {
    // Box–Muller: two independent N(0, 1) from two uniforms.
    const double r = std::sqrt(-2.0 * std::log(rng.open01()));
    const double t = 2.0 * std::numbers::pi * rng.open01();
    a[i] = r * std::cos(t);
    if (i + 1 < n) a[i + 1] = r * std::sin(t);
  }
  return A;
}

Matrix<double> splitmix_uniform(index_t rows, index_t cols, double lo, double hi,
                                std::uint64_t seed) {
  Matrix<double> A(rows, cols);
  SplitMix64 rng(seed);
  double* a = A.data();
  for (std::size_t i = 0, n = static_cast<std::size_t>(rows * cols); i < n; ++i) {
    a[i] = lo + (hi - lo) * rng.open01();
  }
  return A;
}

template void fill_gaussian<float>(Matrix<float>&, std::mt19937_64&);
template void fill_gaussian<double>(Matrix<double>&, std::mt19937_64&);
template Matrix<float> gaussian<float>(index_t, index_t, std::uint64_t);
template Matrix<double> gaussian<double>(index_t, index_t, std::uint64_t);

}  // namespace polarkit::testkit
