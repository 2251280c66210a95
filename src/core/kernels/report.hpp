// Report: the one writer of a problem's PolarInfo. Solvers, building blocks and polar() change
// the report through its named operations only — a measurement of the iterate, a step, the
// bound a design is for, a replaced last measurement — so that what each field means is decided
// here once (e.g. a measurement sets both the history and the final e_j, a step both the count
// and its kind) instead of at every place that ran something.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "core/design/schedule.hpp"
#include "polarkit/info.hpp"

namespace polarkit::detail {

class Report {
 public:
  Report() = default;

  /// What the caller gets; read-only for everyone else.
  [[nodiscard]] const PolarInfo& info() const noexcept { return info_; }
  /// The finished report (the Report is empty afterwards).
  PolarInfo release() { return std::move(info_); }

  // --- the problem (polar()) ---
  /// The method asked for.
  void asked(Method method) { info_.method = method; }
  /// The method that produced U (auto's choice, the SVD that replaced a rank-deficient U).
  void ran(Method method) { info_.method_used = method; }
  /// α of X₀ = A/α.
  void scaled(double alpha) { info_.scale = alpha; }
  /// The zero matrix: U = 0 of rank 0 (no iteration), H = 0 where formed.
  void zero_input(bool h_formed) {
    info_.zero_input = true;
    info_.rank = 0;
    info_.converged = true;
    info_.scale = 0.0;
    info_.cond_estimate = std::numeric_limits<double>::infinity();
    info_.method_used = info_.method;
    if (h_formed) {
      info_.backward_error = 0.0;
      info_.nuclear_norm = 0.0;
    }
  }
  /// Not measured (yet): NaN, as the report says of anything not measured.
  void unmeasured_h() {
    info_.backward_error = std::numeric_limits<double>::quiet_NaN();
    info_.nuclear_norm = std::numeric_limits<double>::quiet_NaN();
  }
  /// ‖A‖_* = tr H, and ‖A − UH‖_F/‖A‖_F where measured.
  void nuclear_norm(double value) { info_.nuclear_norm = value; }
  void backward_error(double value) { info_.backward_error = value; }
  /// The work counts and phase times of the whole solve.
  void totals(double flops, std::int64_t products, std::vector<PhaseTime> phases) {
    info_.flops = flops;
    info_.products = products;
    info_.phases = std::move(phases);
  }

  // --- the solvers ---
  /// e_j of the current iterate: appended to the history and the final e_j until the next one.
  void measured(const GramSpectrum& s) {
    info_.ortho_error_history.push_back(s.e_fro);
    info_.ortho_error_2_history.push_back(s.e_two);
    final_measurement(s);
  }
  /// The last measurement replaced by s (an iterate widened to working precision, measured again).
  void replace_last(const GramSpectrum& s) {
    info_.ortho_error_history.pop_back();
    info_.ortho_error_2_history.pop_back();
    measured(s);
  }
  /// U's e_j measured after the solve without a step of its own (U replaced by the SVD's).
  void final_measurement(const GramSpectrum& s) {
    info_.ortho_error_fro = s.e_fro;
    info_.ortho_error = s.e_two;
  }
  /// One iteration of the given kind.
  void step(StepKind kind) {
    ++info_.iterations;
    info_.steps.push_back(kind);
  }
  /// The steps from the first-th on were of another kind (a reduced-precision phase's).
  void relabel_steps(std::size_t first, StepKind kind) {
    for (std::size_t k = first; k < info_.steps.size(); ++k) info_.steps[k] = kind;
  }
  /// The lower bound ℓ on σ_min(X₀) the iteration is designed for, and the κ ≤ 1/ℓ it implies.
  void designed_for(double ell) {
    info_.lower_bound = ell;
    info_.cond_estimate = 1.0 / ell;
  }
  /// The lower bound a schedule designed for, without a κ (a Newton–Schulz schedule's).
  void lower_bound(double ell) { info_.lower_bound = ell; }
  /// An estimate of κ(A) (Lanczos, or the singular values).
  void condition(double kappa) { info_.cond_estimate = kappa; }
  /// Whether U meets the acceptance level.
  void converged(bool met) { info_.converged = met; }
  /// The numerical rank (−1: not determined).
  void rank(int r) { info_.rank = r; }

 private:
  PolarInfo info_;
};

}  // namespace polarkit::detail
