#include "polarkit/condition.hpp"

#include <cmath>
#include <limits>
#include <utility>

#include "core/linalg/normalise.hpp"
#include "core/linalg/reduction.hpp"

namespace polarkit {
namespace detail {

template <class T>
ConditionBound condition_bound(Ops<T>& ops, MatrixView<const T> A, double amax) {
  Matrix<T> X = ops.allocate(A.rows(), A.cols());
  ConditionBound out;
  // Frobenius scaling: the spectral one would run the Lanczos estimate below a second time.
  out.alpha = normalise(ops, A, X.view(), amax, Scaling::frobenius, 1.0);
  out.sigma_max = sigma_max_estimate(ops, std::as_const(X).view());
  const Reduction<T> r = reduce_to_square(ops, X);
  out.ell0 = r.ell0;
  out.kappa = std::isfinite(r.cond_estimate) && r.cond_estimate > 0.0
                  ? r.cond_estimate * out.sigma_max  // 1/σ̂_min(A/α) times σ_max(A/α)
                  : std::numeric_limits<double>::infinity();
  return out;
}

template ConditionBound condition_bound<float>(Ops<float>&, MatrixView<const float>, double);
template ConditionBound condition_bound<double>(Ops<double>&, MatrixView<const double>, double);

}  // namespace detail

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
  const detail::ConditionBound bound =
      detail::condition_bound(ops, A.rows() < A.cols() ? A.transposed() : A, amax);
  out.sigma_max = bound.alpha * bound.sigma_max;
  out.sigma_min_bound = bound.alpha * bound.ell0;
  if (bound.ell0 > 0.0) out.kappa = bound.sigma_max / bound.ell0;
  return out;
}

template ConditionEstimate estimate_condition<float>(MatrixView<const float>);
template ConditionEstimate estimate_condition<double>(MatrixView<const double>);

}  // namespace polarkit
