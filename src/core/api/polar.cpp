// polar_batched() (polar() is a batch of one): validation, scaling, the wide-to-tall
// transposition, solver dispatch (the Newton–Schulz family per group of matrices, the other
// methods per matrix), and what every solver shares afterwards (U written out, H = sym(UᵀA),
// backward error, ‖A‖_*).
#include "polarkit/polar.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/api/checks.hpp"
#include "core/design/schedule.hpp"
#include "core/linalg/normalise.hpp"
#include "core/linalg/orthogonality.hpp"
#include "core/linalg/reduction.hpp"
#include "core/solvers/methods.hpp"
#include "core/solvers/precision.hpp"
#include "core/solvers/solvers.hpp"

namespace polarkit {
namespace {

using detail::Backend;
using detail::normalise;
using detail::Ops;


using detail::invalid;
using detail::shape;

template <class T>
void validate_operands(MatrixView<const T> A, MatrixView<T> U, MatrixView<T> H) {
  if (U.rows() != A.rows() || U.cols() != A.cols()) {
    invalid("polar: U is " + shape(U.rows(), U.cols()) + ", expected " + shape(A.rows(), A.cols()));
  }
  if (!H.empty() && (H.rows() != A.cols() || H.cols() != A.cols())) {
    invalid("polar: H is " + shape(H.rows(), H.cols()) + ", expected " + shape(A.cols(), A.cols()));
  }
  if (U.space() != A.space() || (!H.empty() && H.space() != A.space())) {
    invalid("polar: A, U and H must live in the same memory space");
  }
}


template <class T>
void finish_with_h(Ops<T>& ops, MatrixView<const T> A, MatrixView<const T> U, MatrixView<T> H,
                   bool backward_error, detail::Report& report) {
  Backend<T>& be = ops.backend();
  {
    const typename Ops<T>::Phase phase(ops, "h");
    ops.gemm(1.0, U.transposed(), A, 0.0, H);
    be.symmetrize(H);
    report.nuclear_norm(be.trace(H));
  }
  if (!backward_error) return;  // NaN, as set at the start
  const typename Ops<T>::Phase phase(ops, "backward_error");
  Matrix<T> R = ops.allocate(A.rows(), A.cols());
  be.copy(1.0, A, R.view());
  ops.gemm(-1.0, U, MatrixView<const T>(H), 1.0, R.view());
  report.backward_error(be.norm_fro(std::as_const(R).view()) / be.norm_fro(A));
}

// One matrix of a polar call: its operands, its report, the work done on it alone and its
// iterate X (the tall orientation of A/α, overwritten by U).
template <class T>
struct Problem {
  Problem(Backend<T>& be, MatrixView<const T> a, MatrixView<T> u, MatrixView<T> h)
      : A(a), U(u), H(h), ops(be) {}

  MatrixView<const T> A;
  MatrixView<T> U;
  MatrixView<T> H;
  Ops<T> ops;
  detail::Report report;
  double amax = 0.0;
  Matrix<T> X;

  [[nodiscard]] bool wide() const { return A.rows() < A.cols(); }
  // Work on the tall orientation: the Gram matrices are then the small n × n side.
  [[nodiscard]] MatrixView<const T> tall() const { return wide() ? A.transposed() : A; }
};

// msign(0) = 0: U = 0, H = 0, exactly.
template <class T>
void solve_zero(Backend<T>& be, Problem<T>& p, bool want_h) {
  be.copy(0.0, p.A, p.U);
  if (want_h) be.copy(0.0, MatrixView<const T>(p.H), p.H);
  // No method ran: the report names the one asked for (not the svd its default would say).
  p.report.zero_input(want_h);
}

// auto, first half: normalises and measures X₀ exactly as adaptive Polar Express starts
// (Frobenius scaling, Gram matrix, Lanczos extremes) and, where select_method picks it from
// κ̂ = √(λ_max/λ_min), goes on from that measurement (true): the choice cost nothing. Otherwise
// (false) X₀ is rescaled to σ̂_max ≈ 1 for QDWH — the Lanczos estimate of λ_max with the 2%
// margin of the spectral scaling, the same operator XᵀX that scaling would estimate — so the
// measurement replaces that scaling's Lanczos run on A, and its Gram matrix, rescaled alike,
// goes to QDWH in gram0 (its ℓ₀ and its first Gram matrix), with its λ_min estimate.
template <class T>
bool solve_auto_by_newton_schulz(Problem<T>& p, const PolarOptions& options, Matrix<T>& gram0,
                                 double& lambda_min0) {
  Ops<T>& ops = p.ops;
  detail::Report& report = p.report;
  const auto schedule = detail::make_schedule(Method::polar_express_adaptive, options);
  {
    const typename Ops<T>::Phase phase(ops, "normalise");
    report.scaled(normalise(ops, p.tall(), p.X.view(), p.amax, Scaling::frobenius,
                            schedule->normalisation_safety()));
  }
  const index_t n = p.X.cols();
  detail::OrthogonalityMeter<T> meter(ops, n);
  const detail::GramSpectrum s = meter.measure(std::as_const(p.X).view());
  const double kappa = detail::kappa_estimate(s);
  const double limit = detail::newton_schulz_kappa_limit<T>(n, ops.backend().space());
  const bool newton_schulz =
      kappa <= limit && [&] {
        const typename Ops<T>::Phase phase(ops, "certify");
        return detail::certify_condition(ops, std::as_const(meter.gram()).view(), s.e_fro,
                                         s.lambda_max, limit);
      }();
  if (newton_schulz) {
    const Method method = Method::polar_express_adaptive;
    report.ran(method);
    report.measured(s);
    report.condition(kappa);
    detail::continue_newton_schulz(ops, p.X, *schedule, options, report, meter, s);
    report.lower_bound(schedule->design_lower_bound());
    return true;
  }
  // σ_max(X₀) ≤ ‖X₀‖_F ≤ 1 already; the margin keeps the estimate an upper bound in practice.
  const double sigma_max = std::min(1.0, 1.02 * std::sqrt(std::max(s.lambda_max, 0.0)));
  gram0 = std::move(meter.gram());
  lambda_min0 = s.lambda_min;
  if (sigma_max > 0.0 && sigma_max < 1.0) {
    lambda_min0 /= sigma_max * sigma_max;
    const typename Ops<T>::Phase phase(ops, "normalise");
    ops.backend().copy(1.0 / sigma_max, std::as_const(p.X).view(), p.X.view());
    ops.backend().copy(1.0 / (sigma_max * sigma_max), std::as_const(gram0).view(), gram0.view());
    report.scaled(report.info().scale * sigma_max);
  }
  return false;
}

// Normalises X = At/α and runs a method outside the Newton–Schulz family (for auto, the one the
// κ estimate selects).
template <class T>
void solve_single(Problem<T>& p, const PolarOptions& options) {
  Ops<T>& ops = p.ops;
  detail::Report& report = p.report;
  const Method requested = options.method;
  report.ran(requested);
  const index_t rows = p.X.rows();  // A's larger dimension: the rank threshold's
  // auto's other way: the SVD refined by Newton–Schulz steps, on X₀ or on its R factor.
  const auto refined_svd = [&] {
    PolarOptions o = options;
    o.refine = true;
    report.ran(Method::svd);
    const typename Ops<T>::Phase phase(ops, "svd");
    detail::solve_svd(ops, p.X, rows, o, report);
  };
  // Whether auto takes that way, for a lower estimate ell of σ_min(X₀) and the κ estimate the
  // rank check would read.
  const auto svd_suits = [&](double ell, double kappa) {
    return requested == Method::automatic &&
           detail::refined_svd_suits<T>(ell, kappa, rows, p.X.cols(), ops.backend().space());
  };
  if (requested == Method::svd) {
    {
      const typename Ops<T>::Phase phase(ops, "normalise");
      report.scaled(normalise(ops, p.tall(), p.X.view(), p.amax, Scaling::frobenius, 1.0));
    }
    const typename Ops<T>::Phase phase(ops, "svd");
    detail::solve_svd(ops, p.X, rows, options, report);
    return;
  }
  // The rational methods (and auto) share one QR: ℓ₀, and the square problem for a tall A.
  // They converge for σ slightly above 1 too, so the tight Lanczos scale serves them best: the
  // smaller 1/ℓ₀, the fewer steps (QDWH) or the lower the order (Zolo-PD).
  Matrix<T> gram0;  // auto's measurement of X₀ where it goes on to QDWH
  double lambda_min0 = 0.0;
  if (requested == Method::automatic) {
    if (solve_auto_by_newton_schulz(p, options, gram0, lambda_min0)) return;
    // The measurement's λ_min is an estimate from above, and below G's rounding floor a floor:
    // the plan it implies has the fewest QR steps QDWH may need, so the SVD is never chosen
    // for a cheaper QDWH than the one that would run.
    const double ell = std::sqrt(std::max(lambda_min0, detail::gram_rounding_floor(
                                                           p.X.cols(), ops.rounding())));
    if (svd_suits(ell, 1.0 / ell)) {
      refined_svd();
      return;
    }
  } else {
    const typename Ops<T>::Phase phase(ops, "normalise");
    report.scaled(normalise(ops, p.tall(), p.X.view(), p.amax, Scaling::spectral, 1.0));
  }
  std::optional<detail::Reduction<T>> from_gram;
  if (!gram0.empty() && p.X.rows() == p.X.cols()) {
    {
      const typename Ops<T>::Phase phase(ops, "reduce");
      from_gram = detail::reduce_from_gram(ops, std::as_const(gram0).view(), lambda_min0);
    }
    // Without a factor σ_min(X₀) is below the route's ceiling: in double far enough below for
    // a Householder step (κ ≳ 5e4 at n = 1024), which the QR need not confirm.
    const double ceiling = detail::gram_route_ceiling(ops, std::as_const(gram0).view());
    if (!from_gram && svd_suits(ceiling, 1.0 / ceiling)) {
      refined_svd();
      return;
    }
  }
  const detail::Reduction<T> reduction = [&] {
    if (from_gram) return std::move(*from_gram);
    const typename Ops<T>::Phase phase(ops, "reduce");
    return detail::reduce_to_square(ops, p.X);
  }();
  // The QR's ℓ₀ may show more QR steps ahead than the Gram matrix could (float resolves
  // κ ≈ 1/√(n·u) at most), or a numerically singular X₀ whose rank check would take an SVD.
  {
    // ℓ as QDWH would design for it (design_lower_bound), κ as it would report it.
    const double ell =
        reduction.ell > 0.0 ? std::min(reduction.ell, 1.0) : detail::unit_roundoff<T>;
    const double kappa =
        std::isfinite(reduction.cond_estimate) ? reduction.cond_estimate : 1.0 / ell;
    if (svd_suits(ell, kappa)) {
      refined_svd();
      const typename Ops<T>::Phase phase(ops, "expand");
      detail::expand(ops, reduction, p.X);
      return;
    }
  }
  const Method method = requested == Method::automatic ? Method::qdwh : requested;
  report.ran(method);
  const detail::MethodRow& row = detail::method_row(method);
  if (row.family != detail::Family::rational) {
    invalid("polar: no single-matrix solver for method " + std::string(row.name));
  }
  detail::RationalCall<T> call{ops, p.X, reduction, std::move(gram0), options, report};
  detail::rational_solver<T>(row)(call);
  const typename Ops<T>::Phase phase(ops, "expand");
  detail::expand(ops, reduction, p.X);
}

// U (and H) from the solved X, the report's totals; X's memory is released.
template <class T>
void finish(Backend<T>& be, Problem<T>& p, const PolarOptions& options) {
  detail::settle_rank(p.ops, p.tall(), p.X, options, p.report);
  {
    const typename Ops<T>::Phase phase(p.ops, "output");
    const MatrixView<const T> X = std::as_const(p.X).view();
    be.copy(1.0, p.wide() ? X.transposed() : X, p.U);
    p.X = Matrix<T>();
  }
  if (options.compute_h && !p.H.empty()) {
    finish_with_h(p.ops, p.A, MatrixView<const T>(p.U), p.H, options.backward_error, p.report);
  }
  p.report.totals(p.ops.flops(), p.ops.products(), p.ops.phases());
}

// The Newton–Schulz family: every X normalised on its own, then one batched iteration per group
// of options.batch_group matrices (or the backend's choice), whose memory is released when the
// group is done. Groups are independent: the backend may run them side by side.
template <class T>
void solve_newton_schulz_batch(Backend<T>& be, std::span<Problem<T>*> batch,
                               const PolarOptions& options) {
  if (batch.empty()) return;
  const auto limit =
      static_cast<std::size_t>(options.batch_group > 0 ? options.batch_group : be.batch_group());
  const std::size_t groups = (batch.size() + limit - 1) / limit;
  const MatrixView<const T> shape = batch.front()->tall();
  be.for_each_item(groups, shape.rows(), shape.cols(), [&](std::size_t g) {
    const std::size_t first = g * limit;
    const std::span<Problem<T>*> group = batch.subspan(first, std::min(limit, batch.size() - first));
    std::vector<std::unique_ptr<detail::Schedule>> schedules;
    std::vector<detail::NsItem<T>> items;
    for (Problem<T>* p : group) {
      p->X = p->ops.allocate(p->tall().rows(), p->tall().cols());
      schedules.push_back(detail::make_schedule(options.method, options));
      p->report.ran(options.method);
      const typename Ops<T>::Phase phase(p->ops, "normalise");
      double scale = normalise(p->ops, p->tall(), p->X.view(), p->amax, options.scaling,
                                schedules.back()->normalisation_safety());
      if (scale < options.scale_floor) {  // X₀ = A/floor = (A/α)·(α/floor)
        be.copy(scale / options.scale_floor, std::as_const(p->X).view(), p->X.view());
        scale = options.scale_floor;
      }
      p->report.scaled(scale);
      items.push_back({&p->X, schedules.back().get(), &p->report});
    }
    Ops<T> ops(be, group.size());
    detail::solve_newton_schulz_in_precision(ops, std::span<const detail::NsItem<T>>(items), options);
    for (std::size_t i = 0; i < group.size(); ++i) {
      group[i]->ops.add_work(ops, i);
      finish(be, *group[i], options);
    }
  });
}

}  // namespace

namespace detail {

template <class T>
void validate_polar_options(const PolarOptions& o) {
  if (!(o.tol >= 0.0 && o.tol < 1.0)) invalid("polar: tol must be in [0, 1), got " + std::to_string(o.tol));
  const std::string limit = std::to_string(max_iterations_limit);
  if (o.max_iter < 1 || o.max_iter > max_iterations_limit) {
    invalid("polar: max_iter must be in [1, " + limit + "], got " + std::to_string(o.max_iter));
  }
  if (o.steps < 0 || o.steps > max_iterations_limit) {
    invalid("polar: steps must be in [0, " + limit + "], got " + std::to_string(o.steps));
  }
  if (o.batch_group < 0) {
    invalid("polar: batch_group must be non-negative, got " + std::to_string(o.batch_group));
  }
  if (!(o.lower_bound >= 0.0 && o.lower_bound < 1.0)) {
    invalid("polar: lower_bound must be in [0, 1), got " + std::to_string(o.lower_bound));
  }
  if (!(std::isfinite(o.scale_floor) && o.scale_floor >= 0.0)) {
    invalid("polar: scale_floor must be finite and non-negative, got " +
            std::to_string(o.scale_floor));
  }
  if (!o.coefficients.empty()) {
    if (o.method != Method::muon) {
      invalid("polar: a coefficient table applies to method 'muon', not to '" +
              std::string(method_name(o.method)) + "'");
    }
    if (o.coefficients.size() > static_cast<std::size_t>(max_iterations_limit)) {
      invalid("polar: a coefficient table has at most " + limit + " entries, got " +
              std::to_string(o.coefficients.size()));
    }
    for (const Quintic& q : o.coefficients) {
      if (!(std::isfinite(q.a) && std::isfinite(q.b) && std::isfinite(q.c))) {
        invalid("polar: the coefficient table has a coefficient that is not finite");
      }
    }
  }
  if (o.precision != Precision::working) {
    const std::string precision(precision_name(o.precision));
    if (!is_newton_schulz(o.method)) {
      constexpr std::array family{Family::newton_schulz};
      invalid("polar: precision '" + precision + "' applies to the Newton-Schulz methods (" +
              method_names(family) + "), not to '" + std::string(method_name(o.method)) + "'");
    }
    if (o.precision == Precision::tf32 && !std::is_same_v<T, float>) {
      invalid("polar: precision 'tf32' needs float input");
    }
  }
}

template void validate_polar_options<float>(const PolarOptions&);
template void validate_polar_options<double>(const PolarOptions&);

template <class T>
void validate_polar_batch(std::string_view who, bool one_shape,
                          std::span<const MatrixView<const T>> A, std::span<const MatrixView<T>> U,
                          std::span<const MatrixView<T>> H, const PolarOptions& options) {
  const std::size_t count = A.size();
  const std::string prefix = std::string(who) + ": ";
  if (U.size() != count || (!H.empty() && H.size() != count)) {
    invalid(prefix + std::to_string(count) + " matrices A, " + std::to_string(U.size()) +
            " U and " + std::to_string(H.size()) + " H (H may be empty)");
  }
  if (count == 0) return;
  // A batch of one of polar_batched is polar()'s call, and speaks as polar() does.
  const bool as_polar = one_shape && count == 1;
  const auto none = MatrixView<T>();
  const auto h_of = [&](std::size_t i) { return H.empty() ? none : H[i]; };
  for (std::size_t i = 0; i < count; ++i) {
    if (one_shape && (A[i].rows() != A[0].rows() || A[i].cols() != A[0].cols() ||
                      A[i].space() != A[0].space())) {
      invalid(prefix + "A[" + std::to_string(i) + "] is " + shape(A[i].rows(), A[i].cols()) +
              ", A[0] is " + shape(A[0].rows(), A[0].cols()) +
              "; a batch holds matrices of one shape and memory space");
    }
    try {
      validate_operands(A[i], U[i], h_of(i));
    } catch (const Error& e) {
      if (as_polar) throw;
      throw Error(e.code(), prefix + "item " + std::to_string(i) + ": " + e.what());
    }
  }
  {
    // U and H are written: neither may share memory with any A or with another output.
    const auto named = [&](const char* name, std::size_t i) {
      return as_polar ? std::string(name) : std::string(name) + "[" + std::to_string(i) + "]";
    };
    std::vector<Operand> operands;
    for (std::size_t i = 0; i < count; ++i) {
      operands.push_back({extent(A[i]), false, named("A", i)});
      operands.push_back({extent(U[i]), true, named("U", i)});
      operands.push_back({extent(h_of(i)), true, named("H", i)});
    }
    require_disjoint(as_polar ? "polar" : who, std::move(operands));
  }
  validate_polar_options<T>(options);
}

#define POLARKIT_INSTANTIATE(T)                                                           \
  template void validate_polar_batch<T>(std::string_view, bool,                           \
                                        std::span<const MatrixView<const T>>,             \
                                        std::span<const MatrixView<T>>,                   \
                                        std::span<const MatrixView<T>>, const PolarOptions&);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace detail

template <class T>
std::vector<PolarInfo> polar_batched(std::span<const MatrixView<const T>> A,
                                     std::span<const MatrixView<T>> U,
                                     std::span<const MatrixView<T>> H,
                                     const PolarOptions& options) {
  detail::validate_polar_batch<T>("polar_batched", true, A, U, H, options);
  const std::size_t count = A.size();
  if (count == 0) return {};
  const auto none = MatrixView<T>();
  const auto h_of = [&](std::size_t i) { return H.empty() ? none : H[i]; };
  Backend<T>& be = detail::backend_for<T>(A[0].space());
  for (std::size_t i = 0; i < count; ++i) {
    if (!be.all_finite(A[i])) {
      throw Error(ErrorCode::non_finite_input,
                  count == 1 ? std::string("polar: the input matrix contains NaN or Inf")
                             : "polar_batched: A[" + std::to_string(i) + "] contains NaN or Inf");
    }
  }

  std::vector<std::unique_ptr<Problem<T>>> problems;
  std::vector<Problem<T>*> iterating;
  for (std::size_t i = 0; i < count; ++i) {
    problems.push_back(std::make_unique<Problem<T>>(be, A[i], U[i], h_of(i)));
    Problem<T>& p = *problems.back();
    p.report.asked(options.method);
    p.report.unmeasured_h();
    p.amax = be.max_abs(A[i]);
    if (p.amax == 0.0) {
      // An m × 0 input's H is 0 × 0 (an empty view): formed, trivially, when H is asked for.
      solve_zero(be, p, options.compute_h && (!p.H.empty() || p.A.cols() == 0));
      continue;
    }
    iterating.push_back(&p);
  }
  if (is_newton_schulz(options.method)) {
    solve_newton_schulz_batch(be, std::span<Problem<T>*>(iterating), options);
  } else if (!iterating.empty()) {
    const MatrixView<const T> shape = iterating.front()->tall();
    be.for_each_item(iterating.size(), shape.rows(), shape.cols(), [&](std::size_t k) {
      Problem<T>& p = *iterating[k];
      p.X = p.ops.allocate(p.tall().rows(), p.tall().cols());
      solve_single(p, options);
      finish(be, p, options);
    });
  }

  std::vector<PolarInfo> infos;
  for (const auto& p : problems) infos.push_back(p->report.release());
  return infos;
}

template <class T>
std::vector<PolarResult<T>> polar_batched(std::span<const MatrixView<const T>> A,
                                          const PolarOptions& options) {
  if (A.empty()) return {};
  Backend<T>& be = detail::backend_for<T>(A[0].space());  // U and H live where A does
  std::vector<PolarResult<T>> results(A.size());
  std::vector<MatrixView<T>> U;
  std::vector<MatrixView<T>> H;
  for (std::size_t i = 0; i < A.size(); ++i) {
    results[i].U = be.allocate(A[i].rows(), A[i].cols());
    if (options.compute_h) results[i].H = be.allocate(A[i].cols(), A[i].cols());
    U.push_back(results[i].U.view());
    H.push_back(results[i].H.view());
  }
  std::vector<PolarInfo> infos = polar_batched<T>(A, U, H, options);
  for (std::size_t i = 0; i < A.size(); ++i) results[i].info = std::move(infos[i]);
  return results;
}

template <class T>
PolarInfo polar(MatrixView<const T> A, MatrixView<T> U, MatrixView<T> H,
                const PolarOptions& options) {
  return polar_batched<T>(std::span(&A, 1), std::span(&U, 1), std::span(&H, 1), options)[0];
}

template <class T>
PolarResult<T> polar(MatrixView<const T> A, const PolarOptions& options) {
  return std::move(polar_batched<T>(std::span(&A, 1), options)[0]);
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
  template PolarResult<T> msign<T>(MatrixView<const T>, const PolarOptions&);                \
  template std::vector<PolarInfo> polar_batched<T>(                                         \
      std::span<const MatrixView<const T>>, std::span<const MatrixView<T>>,                 \
      std::span<const MatrixView<T>>, const PolarOptions&);                                 \
  template std::vector<PolarResult<T>> polar_batched<T>(std::span<const MatrixView<const T>>, \
                                                        const PolarOptions&);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit
