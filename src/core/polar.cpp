// polar(): validation, scaling, the wide-to-tall transposition, solver dispatch, and what every
// solver shares afterwards (U written out, H = sym(UᵀA), backward error, ‖A‖_*).
#include "polarkit/polar.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "core/lanczos.hpp"
#include "core/schedule.hpp"
#include "core/solvers.hpp"

namespace polarkit {
namespace {

using detail::Backend;
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
}

// dst = src · 2^e exactly (two factors, each representable, for |e| up to the full exponent
// range: subnormal and near-overflow inputs alike).
template <class T>
void copy_scaled_by_power_of_two(Backend<T>& be, MatrixView<const T> src, MatrixView<T> dst, int e) {
  const int half = e / 2;
  be.copy(std::ldexp(1.0, half), src, dst);
  be.copy(std::ldexp(1.0, e - half), dst, dst);
}

// σ_max estimate of X by Lanczos on XᵀX.
template <class T>
double sigma_max_estimate(Ops<T>& ops, MatrixView<const T> X) {
  detail::Lanczos<T> lanczos(ops, X.cols());
  Matrix<T> t = ops.allocate(X.rows(), 1);
  const auto ext = lanczos.extremes([&](MatrixView<const T> x, MatrixView<T> y) {
    ops.gemm(1.0, X, x, 0.0, t.view());
    ops.gemm(1.0, X.transposed(), std::as_const(t).view(), 0.0, y);
  });
  return std::sqrt(std::max(ext.max, 0.0));
}

// X = A/α with α ≥ σ_max(A) (Frobenius) or ≈ σ_max(A) (spectral), times the method's safety.
// Returns α. A power of two first brings the largest entry to [1/2, 1), so no square overflows
// or underflows, whatever the magnitude of A.
template <class T>
double normalise(Ops<T>& ops, MatrixView<const T> A, MatrixView<T> X, double amax, Scaling scaling,
                 double safety) {
  Backend<T>& be = ops.backend();
  int exponent = 0;
  std::frexp(amax, &exponent);
  copy_scaled_by_power_of_two(be, A, X, -exponent);
  double norm = be.norm_fro(X);
  if (scaling == Scaling::spectral) {
    // Lanczos approaches σ_max from below: the 2% margin makes the estimate an upper bound in
    // practice, and the Frobenius norm caps it where that is tighter.
    norm = std::min(norm, 1.02 * sigma_max_estimate(ops, MatrixView<const T>(X)));
  }
  const double divisor = norm * safety;
  be.copy(1.0 / divisor, X, X);
  return std::ldexp(divisor, exponent);
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
  if (options.method == Method::svd) {
    info.scale = normalise(ops, At, X.view(), amax, Scaling::frobenius, 1.0);
    detail::solve_svd(ops, X, info);
  } else {
    const auto schedule = detail::make_schedule(options.method, options);
    info.scale = normalise(ops, At, X.view(), amax, options.scaling, schedule->normalisation_safety());
    PolarOptions run = options;
    if (run.method == Method::muon && run.steps == 0) run.steps = 5;
    detail::solve_newton_schulz(ops, X, *schedule, run, info);
  }
  be.copy(1.0, wide ? std::as_const(X).view().transposed() : std::as_const(X).view(), U);
  if (want_h) finish_with_h(ops, A, MatrixView<const T>(U), H, info);
  info.flops = ops.flops();
  info.products = ops.products();
  return info;
}

template <class T>
PolarResult<T> polar(MatrixView<const T> A, const PolarOptions& options) {
  PolarResult<T> result;
  result.U = Matrix<T>(A.rows(), A.cols());
  if (options.compute_h) result.H = Matrix<T>(A.cols(), A.cols());
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
