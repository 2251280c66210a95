#include "polarkit/condition.hpp"

#include <limits>
#include <utility>

#include "core/normalise.hpp"
#include "core/reduction.hpp"

namespace polarkit {

template <class T>
ConditionEstimate estimate_condition(MatrixView<const T> A) {
  detail::Backend<T>& be = detail::backend_for<T>(A.space());
  if (!be.all_finite(A)) {
    throw Error(ErrorCode::non_finite_input, "estimate_condition: the matrix contains NaN or Inf");
  }
  ConditionEstimate out;
  out.kappa = std::numeric_limits<double>::infinity();
  const double amax = be.max_abs(A);
  if (amax == 0.0) return out;
  detail::Ops<T> ops(be);
  const MatrixView<const T> At = A.rows() < A.cols() ? A.transposed() : A;
  Matrix<T> X = ops.allocate(At.rows(), At.cols());
  // Frobenius scaling: the spectral one would run the Lanczos estimate below a second time.
  const double alpha = detail::normalise(ops, At, X.view(), amax, Scaling::frobenius, 1.0);
  const double sigma_max = detail::sigma_max_estimate(ops, std::as_const(X).view());
  const double ell0 = detail::reduce_to_square(ops, X).ell0;
  out.sigma_max = alpha * sigma_max;
  out.sigma_min_bound = alpha * ell0;
  if (ell0 > 0.0) out.kappa = sigma_max / ell0;
  return out;
}

template ConditionEstimate estimate_condition<float>(MatrixView<const float>);
template ConditionEstimate estimate_condition<double>(MatrixView<const double>);

}  // namespace polarkit
