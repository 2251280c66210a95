// The one Newton–Schulz loop: X ← X·(aI + bG + cG²) with G = XᵀX, for every schedule, scalar
// type and backend. Per quintic step: SYRK for G (mn²), SYRK for G² (n³), one GEMM (2mn²);
// the cubic skips G². e_j comes from the G each step forms anyway.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/orthogonality.hpp"
#include "core/schedule.hpp"
#include "core/solvers.hpp"

namespace polarkit::detail {
namespace {

// When to stop iterating to tolerance (options.steps == 0).
class StopRule {
 public:
  StopRule(const PolarOptions& options, int order, double unit_roundoff, index_t n)
      : tol_(options.tol),
        // One step of an order-r iteration from e ≤ u^{1/r} lands at rounding level.
        finishing_(order > 0 ? std::pow(unit_roundoff, 1.0 / order) : 0.0),
        // ‖fl(XᵀX) − I‖_F of an orthogonal X: about one unit roundoff per entry.
        floor_(static_cast<double>(n) * unit_roundoff),
        accept_(100.0 * static_cast<double>(n) * unit_roundoff) {}

  /// Whether the iterate Xⱼ with spectrum s is final, given e_F of Xⱼ₋₁, ‖Xⱼ − Xⱼ₋₁‖_F and
  /// where the polynomials applied so far have taken a singular value that started at u·σ_max.
  [[nodiscard]] bool done(const GramSpectrum& s, double previous, double change,
                          double lifted) const {
    const double e = s.e_fro;
    if (tol_ > 0.0 && e <= tol_) return true;
    // No progress although already close: rounding dominates (or the schedule stalls).
    if (previous < 0.1 && e > 0.9 * previous) return true;
    // Exactly zero singular values stay zero under odd polynomials and keep e_F ≥ 1 for good.
    // G cannot tell them from tiny nonzero ones, so wait until even σ = u·σ_max would have
    // been lifted to 1/2; then whatever G still cannot resolve is zero to working precision,
    // and the rest has converged once the last step moved X by less than u^{1/r} (QDWH's test).
    if (s.lambda_min <= s.lambda_floor && e >= 1.0 && lifted >= 0.5 && change <= finishing_) {
      return true;
    }
    // The finishing test trusts the order r only when the step delivered it: the published
    // Polar Express polynomials are minimax on an interval, not of order r at 1, and in float
    // one of them lands at 6·n·u from e = 2e-3.
    return tol_ == 0.0 && (e <= floor_ || (previous <= finishing_ && e <= 2.0 * floor_));
  }

  /// Whether the final iterate counts as converged.
  [[nodiscard]] bool met(double e) const { return e <= (tol_ > 0.0 ? tol_ : accept_); }

 private:
  double tol_;
  double finishing_;
  double floor_;
  double accept_;
};

// B = aI + bG + cG² (G symmetric, so G² = GᵀG is a SYRK).
template <class T>
void step_matrix(Ops<T>& ops, const Quintic& p, MatrixView<const T> G, MatrixView<T> B) {
  Backend<T>& be = ops.backend();
  if (p.c != 0.0) {
    ops.gram(p.c, G, 0.0, B);
    be.add(p.b, G, 1.0, B);
  } else {
    be.copy(p.b, G, B);
  }
  be.add_diagonal(p.a, B);
}

}  // namespace

template <class T>
void solve_newton_schulz(Ops<T>& ops, Matrix<T>& X, Schedule& schedule,
                         const PolarOptions& options, PolarInfo& info) {
  OrthogonalityMeter<T> meter(ops, X.cols());
  const GramSpectrum s = meter.measure(std::as_const(X).view());
  OrthogonalityMeter<T>::record(s, info);
  info.cond_estimate = s.lambda_min > 0.0 ? std::sqrt(s.lambda_max / s.lambda_min)
                                          : std::numeric_limits<double>::infinity();
  continue_newton_schulz(ops, X, schedule, options, info, meter, s);
  info.lower_bound = schedule.design_lower_bound();
}

template <class T>
void continue_newton_schulz(Ops<T>& ops, Matrix<T>& X, Schedule& schedule,
                            const PolarOptions& options, PolarInfo& info,
                            OrthogonalityMeter<T>& meter, GramSpectrum s) {
  const index_t m = X.rows();
  const index_t n = X.cols();
  Matrix<T> Y = ops.allocate(m, n);
  Matrix<T> B = ops.allocate(n, n);
  const StopRule rule(options, schedule.order(), std::numeric_limits<T>::epsilon() / 2, n);
  const auto& history = info.ortho_error_history;
  double previous = history.size() >= 2 ? history[history.size() - 2]
                                        : std::numeric_limits<double>::quiet_NaN();
  double change = std::numeric_limits<double>::infinity();
  double lifted = std::numeric_limits<T>::epsilon() / 2;
  const int fixed_steps = options.steps > 0 ? options.steps : schedule.default_steps();
  for (int taken = 0;; ++taken) {
    const bool stop = fixed_steps > 0
                          ? taken == fixed_steps
                          : info.iterations >= options.max_iter || rule.done(s, previous, change, lifted);
    if (stop) {
      info.converged = rule.met(s.e_fro);
      return;
    }
    const Quintic p = schedule.next(s);
    lifted = std::min(p(lifted), 1.0);
    step_matrix(ops, p, std::as_const(meter.gram()).view(), B.view());
    ops.gemm(1.0, std::as_const(X).view(), std::as_const(B).view(), 0.0, Y.view());
    change = ops.backend().norm_fro_difference(std::as_const(Y).view(), std::as_const(X).view());
    std::swap(X, Y);
    ++info.iterations;
    info.steps.push_back(StepKind::polynomial);
    previous = s.e_fro;
    s = meter.measure(std::as_const(X).view());
    OrthogonalityMeter<T>::record(s, info);
  }
}

#define POLARKIT_INSTANTIATE(T)                                                                 \
  template void solve_newton_schulz<T>(Ops<T>&, Matrix<T>&, Schedule&, const PolarOptions&,    \
                                       PolarInfo&);                                             \
  template void continue_newton_schulz<T>(Ops<T>&, Matrix<T>&, Schedule&, const PolarOptions&, \
                                          PolarInfo&, OrthogonalityMeter<T>&, GramSpectrum);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::detail
