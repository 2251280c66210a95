#include "core/linalg/normalise.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/linalg/lanczos.hpp"

namespace polarkit::detail {
namespace {

// dst = src · 2^e exactly (two factors, each representable, for |e| up to the full exponent
// range: subnormal and near-overflow inputs alike).
template <class T>
void copy_scaled_by_power_of_two(Backend<T>& be, MatrixView<const T> src, MatrixView<T> dst, int e) {
  const int half = e / 2;
  be.copy(std::ldexp(1.0, half), src, dst);
  be.copy(std::ldexp(1.0, e - half), dst, dst);
}

}  // namespace

template <class T>
double sigma_max_estimate(Ops<T>& ops, MatrixView<const T> X, int exponent) {
  detail::Lanczos<T> lanczos(ops, X.cols());
  Matrix<T> t = ops.allocate(X.rows(), 1);
  const double scale = std::ldexp(1.0, -exponent);  // exact: a power of two
  const auto ext = lanczos.extremes([&](MatrixView<const T> x, MatrixView<T> y) {
    ops.gemm(scale, X, x, 0.0, t.view());
    ops.gemm(scale, X.transposed(), std::as_const(t).view(), 0.0, y);
  });
  return std::ldexp(std::sqrt(std::max(ext.max, 0.0)), exponent);
}

template <class T>
double normalise(Ops<T>& ops, MatrixView<const T> A, MatrixView<T> X, double amax, Scaling scaling,
                 double safety) {
  Backend<T>& be = ops.backend();
  int exponent = 0;
  std::frexp(amax, &exponent);
  copy_scaled_by_power_of_two(be, A, X, -exponent);
  double norm = be.norm_fro(X);
  if (scaling == Scaling::spectral) {
    // The Frobenius norm caps the estimate (with its margin) where that is tighter.
    norm = std::min(norm, spectral_margin * sigma_max_estimate(ops, MatrixView<const T>(X)));
  }
  const double divisor = norm * safety;
  be.copy(1.0 / divisor, X, X);
  return std::ldexp(divisor, exponent);
}

#define POLARKIT_INSTANTIATE(T)                                                                 \
  template double normalise<T>(Ops<T>&, MatrixView<const T>, MatrixView<T>, double, Scaling,   \
                               double);                                                         \
  template double sigma_max_estimate<T>(Ops<T>&, MatrixView<const T>, int);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::detail
