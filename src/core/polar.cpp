// polar(): validation, scaling, the wide-to-tall transposition, solver dispatch, and what every
// solver shares afterwards (U written out, H = sym(UᵀA), backward error, ‖A‖_*).
#include "polarkit/polar.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include "core/normalise.hpp"
#include "core/reduced_precision.hpp"
#include "core/reduction.hpp"
#include "core/schedule.hpp"
#include "core/solvers.hpp"

namespace polarkit {
namespace {

using detail::Backend;
using detail::normalise;
using detail::Ops;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string shape(index_t r, index_t c) { return std::to_string(r) + "x" + std::to_string(c); }

void invalid(const std::string& message) { throw Error(ErrorCode::invalid_argument, message); }


template <class T>
void validate(MatrixView<const T> A, MatrixView<T> U, MatrixView<T> H, const PolarOptions& o) {
  if (U.rows() != A.rows() || U.cols() != A.cols()) {
    invalid("polar: U is " + shape(U.rows(), U.cols()) + ", expected " + shape(A.rows(), A.cols()));
  }
  if (!H.empty() && (H.rows() != A.cols() || H.cols() != A.cols())) {
    invalid("polar: H is " + shape(H.rows(), H.cols()) + ", expected " + shape(A.cols(), A.cols()));
  }
  if (U.space() != A.space() || (!H.empty() && H.space() != A.space())) {
    invalid("polar: A, U and H must live in the same memory space");
  }
  if (!U.empty() && static_cast<const void*>(U.data()) == static_cast<const void*>(A.data())) {
    invalid("polar: U must not alias A");
  }
  if (!(o.tol >= 0.0 && o.tol < 1.0)) invalid("polar: tol must be in [0, 1), got " + std::to_string(o.tol));
  if (o.max_iter < 1) invalid("polar: max_iter must be at least 1, got " + std::to_string(o.max_iter));
  if (o.steps < 0) invalid("polar: steps must be non-negative, got " + std::to_string(o.steps));
  if (!(o.lower_bound >= 0.0 && o.lower_bound < 1.0)) {
    invalid("polar: lower_bound must be in [0, 1), got " + std::to_string(o.lower_bound));
  }
  if (o.precision != Precision::working) {
    const std::string precision(precision_name(o.precision));
    if (!is_newton_schulz(o.method)) {
      invalid("polar: precision '" + precision +
              "' applies to the Newton-Schulz methods (newton-schulz, quintic, muon, "
              "polar-express, polar-express-adaptive), not to '" +
              std::string(method_name(o.method)) + "'");
    }
    if (o.precision == Precision::tf32 && !std::is_same_v<T, float>) {
      invalid("polar: precision 'tf32' needs float input");
    }
  }
}

template <class T>
void finish_with_h(Ops<T>& ops, MatrixView<const T> A, MatrixView<const T> U, MatrixView<T> H,
                   PolarInfo& info) {
  Backend<T>& be = ops.backend();
  ops.gemm(1.0, U.transposed(), A, 0.0, H);
  be.symmetrize(H);
  info.nuclear_norm = be.trace(H);
  Matrix<T> R = ops.allocate(A.rows(), A.cols());
  be.copy(1.0, A, R.view());
  ops.gemm(-1.0, U, MatrixView<const T>(H), 1.0, R.view());
  info.backward_error = be.norm_fro(std::as_const(R).view()) / be.norm_fro(A);
}

// Normalises X = At/α and runs the method (for auto, the one the κ estimate selects).
template <class T>
void solve(Ops<T>& ops, MatrixView<const T> At, double amax, Matrix<T>& X,
           const PolarOptions& options, PolarInfo& info) {
  const Method requested = options.method;
  info.method_used = requested;
  if (requested == Method::svd) {
    info.scale = normalise(ops, At, X.view(), amax, Scaling::frobenius, 1.0);
    detail::solve_svd(ops, X, info);
    return;
  }
  if (is_newton_schulz(requested)) {
    const auto schedule = detail::make_schedule(requested, options);
    info.scale =
        normalise(ops, At, X.view(), amax, options.scaling, schedule->normalisation_safety());
    detail::solve_reduced_precision(ops, X, *schedule, options, info);
    return;
  }
  // The rational methods (and auto) share one QR: ℓ₀, and the square problem for a tall A.
  // They converge for σ slightly above 1 too, so the tight Lanczos scale serves them best: the
  // smaller 1/ℓ₀, the fewer steps (QDWH) or the lower the order (Zolo-PD).
  info.scale = normalise(ops, At, X.view(), amax, Scaling::spectral, 1.0);
  const detail::Reduction<T> reduction = detail::reduce_to_square(ops, X);
  const Method method =
      requested == Method::automatic ? detail::select_method<T>(reduction.ell0) : requested;
  info.method_used = method;
  switch (method) {
    case Method::qdwh:
      detail::solve_qdwh(ops, X, reduction.ell0, options, info);
      break;
    case Method::newton:
      detail::solve_newton(ops, X, reduction.ell0, options, info);
      break;
    case Method::zolo:
      detail::solve_zolo(ops, X, reduction.ell0, options, info);
      break;
    default: {  // auto's Newton–Schulz choice, designed for the ℓ₀ the QR certified
      PolarOptions o = options;
      o.lower_bound = std::max(o.lower_bound, reduction.ell0);
      const auto schedule = detail::make_schedule(method, o);
      detail::solve_newton_schulz(ops, X, *schedule, o, info);
    }
  }
  detail::expand(ops, reduction, X);
}

}  // namespace

template <class T>
PolarInfo polar(MatrixView<const T> A, MatrixView<T> U, MatrixView<T> H,
                const PolarOptions& options) {
  validate(A, U, H, options);
  Backend<T>& be = detail::backend_for<T>(A.space());
  if (!be.all_finite(A)) {
    throw Error(ErrorCode::non_finite_input, "polar: the input matrix contains NaN or Inf");
  }
  Ops<T> ops(be);
  PolarInfo info;
  info.method = options.method;
  const bool want_h = options.compute_h && !H.empty();
  info.backward_error = nan;
  info.nuclear_norm = nan;

  const double amax = be.max_abs(A);
  if (amax == 0.0) {  // msign(0) = 0: U = 0, H = 0, exactly
    be.copy(0.0, A, U);
    if (want_h) be.copy(0.0, MatrixView<const T>(H), H);
    info.zero_input = true;
    info.converged = true;
    info.scale = 0.0;
    info.cond_estimate = std::numeric_limits<double>::infinity();
    if (want_h) {
      info.backward_error = 0.0;
      info.nuclear_norm = 0.0;
    }
    return info;
  }

  // Work on the tall orientation: the Gram matrices are then the small n × n side.
  const bool wide = A.rows() < A.cols();
  const MatrixView<const T> At = wide ? A.transposed() : A;
  Matrix<T> X = ops.allocate(At.rows(), At.cols());
  solve(ops, At, amax, X, options, info);
  be.copy(1.0, wide ? std::as_const(X).view().transposed() : std::as_const(X).view(), U);
  if (want_h) finish_with_h(ops, A, MatrixView<const T>(U), H, info);
  info.flops = ops.flops();
  info.products = ops.products();
  return info;
}

template <class T>
PolarResult<T> polar(MatrixView<const T> A, const PolarOptions& options) {
  Backend<T>& be = detail::backend_for<T>(A.space());  // U and H live where A does
  PolarResult<T> result;
  result.U = be.allocate(A.rows(), A.cols());
  if (options.compute_h) result.H = be.allocate(A.cols(), A.cols());
  result.info = polar(A, result.U.view(), result.H.view(), options);
  return result;
}

template <class T>
PolarResult<T> msign(MatrixView<const T> A, const PolarOptions& options) {
  PolarOptions o = options;
  o.compute_h = false;
  return polar(A, o);
}

#define POLARKIT_INSTANTIATE(T)                                                             \
  template PolarInfo polar<T>(MatrixView<const T>, MatrixView<T>, MatrixView<T>,            \
                              const PolarOptions&);                                         \
  template PolarResult<T> polar<T>(MatrixView<const T>, const PolarOptions&);               \
  template PolarResult<T> msign<T>(MatrixView<const T>, const PolarOptions&);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit
