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
  StopRule(const PolarOptions& options, int order, Rounding rounding, index_t n)
      : tol_(options.tol),
        // One step of an order-r iteration from e ≤ u^{1/r} lands at rounding level.
        finishing_(order > 0 ? std::pow(rounding.unit_roundoff, 1.0 / order) : 0.0),
        floor_(gram_rounding_floor(n, rounding)),
        // "Close" for the stall test: 0.1, or the floor where that is larger (16-bit formats
        // from n ≈ 200 on). Not more: the published Polar Express steps take e from ≈ 1 to
        // ≈ 50 and back on purpose.
        close_(std::max(0.1, floor_)),
        accept_(rounding.wide_accumulation ? 4.0 * floor_ : 100.0 * floor_) {}

  /// Whether the iterate Xⱼ with spectrum s is final, given e_F of Xⱼ₋₁, ‖Xⱼ − Xⱼ₋₁‖_F and
  /// where the polynomials applied so far have taken a singular value that started at u·σ_max.
  [[nodiscard]] bool done(const GramSpectrum& s, double previous, double change,
                          double lifted) const {
    const double e = s.e_fro;
    if (tol_ > 0.0 && e <= tol_) return true;
    // No progress although already close: rounding dominates (or the schedule stalls).
    if (previous < close_ && e > 0.9 * previous) return true;
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
  double close_;
  double accept_;
};

// The step X ← X·(aI + bG + cG²), G = XᵀX, in one of two equal forms. Near convergence
// (‖G − I‖ < 1) it is X + X·D with D = (a + b + c − 1)·I + (b + 2c)·E + c·E², E = G − I: D is
// small, so the product adds only its own rounding to X, where X·(aI + bG + cG²) would round the
// O(1) terms that cancel to I (float results 1.5–2× closer to orthogonal). Far from it, D's
// coefficients grow like 1/σ⁵ (they overflow binary16 for σ ≈ 1/16), so the plain form is used.
template <class T, class Be>
class Step {
 public:
  Step(Ops<T, Be>& ops, index_t n) : ops_(ops), D_(ops.allocate(n, n)) {}

  /// Y = X·p(G) written as in the class comment; near: ‖G − I‖_F < 1. G is consumed: near
  /// convergence it is turned into E in place (the next measurement forms G anew).
  void apply(const Quintic& p, MatrixView<const T> X, MatrixView<T> G, bool near,
             MatrixView<T> Y) {
    Be& be = ops_.backend();
    const MatrixView<T> D = D_.view();
    const MatrixView<const T> S = G;  // the matrix the polynomial is written in: G, or E = G − I
    Quintic q = p;                    // its coefficients in S
    if (near) {
      be.add_diagonal(-1.0, G);
      q = {p.a + p.b + p.c - 1.0, p.b + 2.0 * p.c, p.c};
    }
    if (q.c != 0.0) {
      ops_.gram(q.c, S, 0.0, D);
      be.add(q.b, S, 1.0, D);
    } else {
      be.copy(q.b, S, D);
    }
    be.add_diagonal(q.a, D);
    if (near) be.copy(1.0, X, Y);
    ops_.gemm(1.0, X, std::as_const(D_).view(), near ? 1.0 : 0.0, Y);
  }

 private:
  Ops<T, Be>& ops_;
  Matrix<T> D_;
};

}  // namespace

template <class T, class Be>
void solve_newton_schulz(Ops<T, Be>& ops, Matrix<T>& X, Schedule& schedule,
                         const PolarOptions& options, PolarInfo& info) {
  OrthogonalityMeter<T, Be> meter(ops, X.cols());
  const GramSpectrum s = meter.measure(std::as_const(X).view());
  OrthogonalityMeter<T, Be>::record(s, info);
  // Lanczos approaches λ_min from above; below G's rounding floor its value is noise (often ≤ 0
  // in the 16-bit formats), so the floor stands in: a lower estimate of κ either way.
  info.cond_estimate = std::sqrt(s.lambda_max / std::max(s.lambda_min, s.lambda_floor));
  continue_newton_schulz(ops, X, schedule, options, info, meter, s);
  info.lower_bound = schedule.design_lower_bound();
}

template <class T, class Be>
void continue_newton_schulz(Ops<T, Be>& ops, Matrix<T>& X, Schedule& schedule,
                            const PolarOptions& options, PolarInfo& info,
                            OrthogonalityMeter<T, Be>& meter, GramSpectrum s) {
  const index_t m = X.rows();
  const index_t n = X.cols();
  Matrix<T> Y = ops.allocate(m, n);
  Step<T, Be> step(ops, n);
  const StopRule rule(options, schedule.order(), ops.rounding(), n);
  const auto& history = info.ortho_error_history;
  double previous = history.size() >= 2 ? history[history.size() - 2]
                                        : std::numeric_limits<double>::quiet_NaN();
  double change = std::numeric_limits<double>::infinity();
  double lifted = ops.rounding().unit_roundoff;
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
    step.apply(p, std::as_const(X).view(), meter.gram().view(), s.e_fro < 1.0,
               Y.view());
    change = ops.backend().norm_fro_difference(std::as_const(Y).view(), std::as_const(X).view());
    std::swap(X, Y);
    ++info.iterations;
    info.steps.push_back(StepKind::polynomial);
    previous = s.e_fro;
    s = meter.measure(std::as_const(X).view());
    OrthogonalityMeter<T, Be>::record(s, info);
  }
}

#define POLARKIT_INSTANTIATE(T, Be)                                                              \
  template void solve_newton_schulz<T, Be>(Ops<T, Be>&, Matrix<T>&, Schedule&, const PolarOptions&, \
                                          PolarInfo&);                                            \
  template void continue_newton_schulz<T, Be>(Ops<T, Be>&, Matrix<T>&, Schedule&,                   \
                                             const PolarOptions&, PolarInfo&,                     \
                                             OrthogonalityMeter<T, Be>&, GramSpectrum);
POLARKIT_INSTANTIATE(float, Backend<float>)
POLARKIT_INSTANTIATE(double, Backend<double>)
POLARKIT_INSTANTIATE(float, ProductBackend<float>)  // TF32 products
POLARKIT_INSTANTIATE(bfloat16, ProductBackend<bfloat16>)
POLARKIT_INSTANTIATE(float16, ProductBackend<float16>)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::detail
