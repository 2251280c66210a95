// The one Newton–Schulz loop: X ← X·(aI + bG + cG²) with G = XᵀX, for every schedule, scalar
// type and backend. Per quintic step: SYRK for G (mn²), SYRK for G² (n³), one GEMM (2mn²);
// the cubic skips G². e_j comes from the G each step forms anyway.
#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "core/linalg/orthogonality.hpp"
#include "core/design/schedule.hpp"
#include "core/solvers/solvers.hpp"

namespace polarkit::detail {
namespace {

// What the report holds for an iterate that was not measured.
GramSpectrum unmeasured_spectrum() {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  return {nan, nan, nan, nan, nan, nan};
}

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
        accept_(acceptance_level(n, rounding, options.tol)) {}

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
  [[nodiscard]] bool met(double e) const { return e <= accept_; }

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
  Step(Ops<T, Be>& ops, index_t n, std::size_t batch) : ops_(ops) {
    for (std::size_t i = 0; i < batch; ++i) D_.push_back(ops.allocate(n, n));
  }

  /// Y[k] = X[k]·p[k](G[k]) for the items items[k], written as in the class comment, where
  /// near[k]: ‖G[k] − I‖_F < 1. G is consumed: near convergence it is turned into E in place (the
  /// next measurement forms G anew).
  void apply(Items items, std::span<const Quintic> p, Views<const T> X,
             const std::vector<MatrixView<T>>& G,
             const std::vector<bool>& near, Views<T> Y) {
    std::vector<Quintic> q(p.begin(), p.end());  // the coefficients in S: G, or E = G − I
    std::vector<MatrixView<T>> D;
    Group plain;  // Y = X·D
    Group close;  // Y = X + X·D, and G turned into E
    for (std::size_t k = 0; k < items.size(); ++k) {
      D.push_back(D_[items[k]].view());
      Group& g = near[k] ? close : plain;
      g.items.push_back(items[k]);
      g.X.push_back(X[k]);
      g.D.push_back(std::as_const(D_[items[k]]).view());
      g.Y.push_back(Y[k]);
      if (near[k]) {
        close.G.push_back(G[k]);
        q[k] = {p[k].a + p[k].b + p[k].c - 1.0, p[k].b + 2.0 * p[k].c, p[k].c};
      }
    }
    Be& be = ops_.backend();
    be.add_diagonal_batched(-1.0, close.G);
    ops_.polynomial_batched(items, q, const_views(G), D);
    be.copy_batched(std::vector<double>(close.X.size(), 1.0), close.X, close.Y);
    ops_.gemm_batched(plain.items, 1.0, plain.X, plain.D, 0.0, plain.Y);
    ops_.gemm_batched(close.items, 1.0, close.X, close.D, 1.0, close.Y);
  }

 private:
  struct Group {
    std::vector<std::size_t> items;
    std::vector<MatrixView<const T>> X;
    std::vector<MatrixView<const T>> D;
    std::vector<MatrixView<T>> Y;
    std::vector<MatrixView<T>> G;
  };

  Ops<T, Be>& ops_;
  std::vector<Matrix<T>> D_;
};

template <class T>
std::vector<MatrixView<const T>> views_of(Items items, std::span<const NsItem<T>> batch) {
  std::vector<MatrixView<const T>> v;
  for (const std::size_t i : items) v.push_back(std::as_const(*batch[i].X).view());
  return v;
}

// A fixed budget of a fixed table whose caller asked for no measurement of the result
// (PolarOptions::measure_result): the Gram matrices the steps need are formed, nothing else.
template <class T>
bool unmeasured(std::span<const NsItem<T>> batch, const PolarOptions& options) {
  const int steps = options.steps > 0 ? options.steps : batch[0].schedule->default_steps();
  return !options.measure_result && steps > 0 && !options.refine &&
         !batch[0].schedule->steers_by_spectrum();
}

}  // namespace

template <class T, class Be>
void solve_newton_schulz(Ops<T, Be>& ops, std::span<const NsItem<T>> batch,
                         const PolarOptions& options) {
  OrthogonalityMeter<T, Be> meter(ops, batch[0].X->cols(), batch.size());
  std::vector<std::size_t> all(batch.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  const std::vector<GramSpectrum> s =
      meter.measure_batched(all, views_of<T>(all, batch), !unmeasured(batch, options));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Report& report = *batch[i].report;
    report.measured(s[i]);
    report.condition(kappa_estimate(s[i]));
  }
  continue_newton_schulz(ops, batch, options, meter, s);
  for (const NsItem<T>& item : batch) {
    item.report->lower_bound(item.schedule->design_lower_bound());
  }
}

template <class T, class Be>
void continue_newton_schulz(Ops<T, Be>& ops, std::span<const NsItem<T>> batch,
                            const PolarOptions& options, OrthogonalityMeter<T, Be>& meter,
                            std::vector<GramSpectrum> s) {
  const index_t m = batch[0].X->rows();
  const index_t n = batch[0].X->cols();
  const std::size_t size = batch.size();
  std::vector<Matrix<T>> Y;
  for (std::size_t i = 0; i < size; ++i) Y.push_back(ops.allocate(m, n));
  Step<T, Be> step(ops, n, size);
  const StopRule rule(options, batch[0].schedule->order(), ops.rounding(), n);
  // Per item: e_F of the previous iterate, ‖Xⱼ − Xⱼ₋₁‖_F, and where the polynomials applied so
  // far have taken a singular value that started at u·σ_max (StopRule::done).
  std::vector<double> previous(size, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> change(size, std::numeric_limits<double>::infinity());
  std::vector<double> lifted(size, ops.rounding().unit_roundoff);
  for (std::size_t i = 0; i < size; ++i) {
    const auto& history = batch[i].report->info().ortho_error_history;
    if (history.size() >= 2) previous[i] = history[history.size() - 2];
  }
  const int fixed_steps = options.steps > 0 ? options.steps : batch[0].schedule->default_steps();
  // A fixed budget of a fixed table reads no estimate between X₀ and the result: the Lanczos
  // run may be left out there (one schedule kind per batch: all items are of one method).
  // Nor, where the caller said so, is the result measured (PolarOptions::measure_result).
  const bool skip_result = unmeasured(batch, options);
  const bool lean = !options.two_norm_each_iterate && fixed_steps > 0 &&
                    !batch[0].schedule->steers_by_spectrum();
  std::vector<GramSpectrum> spectrum = std::move(s);  // by item
  std::vector<std::size_t> active(size);  // the items still iterating
  std::iota(active.begin(), active.end(), std::size_t{0});
  for (int taken = 0;; ++taken) {
    std::vector<std::size_t> going;
    for (const std::size_t i : active) {
      Report& report = *batch[i].report;
      const GramSpectrum& si = spectrum[i];
      const bool stop = fixed_steps > 0 ? taken == fixed_steps
                                        : report.info().iterations >= options.max_iter ||
                                              rule.done(si, previous[i], change[i], lifted[i]);
      if (stop) {
        report.converged(rule.met(si.e_fro));
      } else {
        going.push_back(i);
      }
    }
    active = std::move(going);
    if (active.empty()) return;
    std::vector<Quintic> p;
    std::vector<bool> near;
    std::vector<MatrixView<const T>> X;
    std::vector<MatrixView<T>> G, Ys;
    for (const std::size_t i : active) {
      p.push_back(batch[i].schedule->next(spectrum[i]));
      lifted[i] = std::min(p.back()(lifted[i]), 1.0);
      near.push_back(spectrum[i].e_fro < 1.0);
      X.push_back(std::as_const(*batch[i].X).view());
      G.push_back(meter.gram(i).view());
      Ys.push_back(Y[i].view());
    }
    {
      const typename Ops<T, Be>::Phase phase(ops, "step:polynomial");
      step.apply(active, p, X, G, near, Ys);
    }
    // ‖Xⱼ₊₁ − Xⱼ‖_F only feeds the stopping rule: a fixed budget does without it (one pass over
    // X and one read-back per step fewer).
    if (fixed_steps == 0) {
      const typename Ops<T, Be>::Phase phase(ops, "step:difference");
      const std::vector<double> moved =
          ops.backend().norm_fro_difference_batched(const_views(Ys), X);
      for (std::size_t k = 0; k < active.size(); ++k) change[active[k]] = moved[k];
    }
    for (std::size_t k = 0; k < active.size(); ++k) {
      const std::size_t i = active[k];
      std::swap(*batch[i].X, Y[i]);
      previous[i] = spectrum[i].e_fro;
      batch[i].report->step(StepKind::polynomial);
    }
    const bool result = taken + 1 == fixed_steps;
    if (result && skip_result) {
      for (const std::size_t i : active) {
        spectrum[i] = unmeasured_spectrum();
        batch[i].report->measured(spectrum[i]);
      }
      continue;
    }
    const std::vector<GramSpectrum> measured =
        meter.measure_batched(active, views_of<T>(active, batch), !lean || result);
    for (std::size_t k = 0; k < active.size(); ++k) {
      const std::size_t i = active[k];
      spectrum[i] = measured[k];
      batch[i].report->measured(spectrum[i]);
    }
  }
}

template <class T, class Be>
void solve_newton_schulz(Ops<T, Be>& ops, Matrix<T>& X, Schedule& schedule,
                         const PolarOptions& options, Report& report) {
  const NsItem<T> one{&X, &schedule, &report};
  solve_newton_schulz(ops, std::span<const NsItem<T>>(&one, 1), options);
}

template <class T, class Be>
void continue_newton_schulz(Ops<T, Be>& ops, Matrix<T>& X, Schedule& schedule,
                            const PolarOptions& options, Report& report,
                            OrthogonalityMeter<T, Be>& meter, GramSpectrum s) {
  const NsItem<T> one{&X, &schedule, &report};
  continue_newton_schulz(ops, std::span<const NsItem<T>>(&one, 1), options, meter, {s});
}

#define POLARKIT_INSTANTIATE(T, Be)                                                              \
  template void solve_newton_schulz<T, Be>(Ops<T, Be>&, std::span<const NsItem<T>>,             \
                                          const PolarOptions&);                                 \
  template void continue_newton_schulz<T, Be>(Ops<T, Be>&, std::span<const NsItem<T>>,          \
                                             const PolarOptions&, OrthogonalityMeter<T, Be>&,    \
                                             std::vector<GramSpectrum>);                         \
  template void solve_newton_schulz<T, Be>(Ops<T, Be>&, Matrix<T>&, Schedule&,                  \
                                          const PolarOptions&, Report&);                     \
  template void continue_newton_schulz<T, Be>(Ops<T, Be>&, Matrix<T>&, Schedule&,               \
                                             const PolarOptions&, Report&,                   \
                                             OrthogonalityMeter<T, Be>&, GramSpectrum);
POLARKIT_INSTANTIATE(float, Backend<float>)
POLARKIT_INSTANTIATE(double, Backend<double>)
POLARKIT_INSTANTIATE(float, ProductBackend<float>)  // TF32 products
POLARKIT_INSTANTIATE(bfloat16, ProductBackend<bfloat16>)
POLARKIT_INSTANTIATE(float16, ProductBackend<float16>)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::detail
