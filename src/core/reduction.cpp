#include "core/reduction.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace polarkit::detail {
namespace {

template <class T>
double lower_bound_from_r(Backend<T>& be, MatrixView<const T> R) {
  const auto [inv_one, inv_inf] = be.inverse_norms_upper(R);
  if (!std::isfinite(inv_one) || !std::isfinite(inv_inf)) return 0.0;
  const double n = static_cast<double>(R.rows());
  return std::max(1.0 / (std::sqrt(n) * inv_one), 1.0 / std::sqrt(inv_one * inv_inf));
}

}  // namespace

template <class T>
Reduction<T> reduce_to_square(Ops<T>& ops, Matrix<T>& X) {
  Backend<T>& be = ops.backend();
  const index_t m = X.rows();
  const index_t n = X.cols();
  Reduction<T> out;
  Matrix<T> tau = ops.allocate(n, 1);
  Matrix<T> R = ops.allocate(n, n);
  if (m == n) {
    be.copy(1.0, std::as_const(X).view(), R.view());
    be.qr(R.view(), tau.view());
  } else {
    be.qr(X.view(), tau.view());
    be.copy(1.0, std::as_const(X).view().block(0, 0, n, n), R.view());
  }
  ops.add_flops(qr_flops(m, n));
  be.zero_strict_lower(R.view());
  out.ell0 = lower_bound_from_r(be, std::as_const(R).view());
  if (m > n) {
    be.form_q(X.view(), std::as_const(tau).view());
    ops.add_flops(qr_flops(m, n));
    out.Q = std::move(X);
    X = std::move(R);
  }
  return out;
}

template <class T>
void expand(Ops<T>& ops, const Reduction<T>& reduction, Matrix<T>& X) {
  if (reduction.Q.empty()) return;
  Matrix<T> U = ops.allocate(reduction.Q.rows(), X.cols());
  ops.gemm(1.0, reduction.Q.view(), std::as_const(X).view(), 0.0, U.view());
  X = std::move(U);
}

template Reduction<float> reduce_to_square<float>(Ops<float>&, Matrix<float>&);
template Reduction<double> reduce_to_square<double>(Ops<double>&, Matrix<double>&);
template void expand<float>(Ops<float>&, const Reduction<float>&, Matrix<float>&);
template void expand<double>(Ops<double>&, const Reduction<double>&, Matrix<double>&);

}  // namespace polarkit::detail
