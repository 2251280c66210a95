// Coefficient schedules of the Newton–Schulz family: which odd polynomial the next step applies.
// One solver loop (newton_schulz.cpp) serves every schedule.
#pragma once

#include <memory>
#include <vector>

#include "polarkit/coefficients.hpp"
#include "polarkit/options.hpp"

namespace polarkit::detail {

/// What the Gram matrix G = XⱼᵀXⱼ of the current iterate shows.
struct GramSpectrum {
  double e_fro;       ///< ‖G − I‖_F (exact up to rounding: a guaranteed bound on ‖G − I‖₂)
  double e_two;       ///< Lanczos estimate of ‖G − I‖₂
  double lambda_min;  ///< Lanczos estimate of λ_min(G) = σ_min(Xⱼ)² (from above)
  double lambda_max;  ///< Lanczos estimate of λ_max(G) = σ_max(Xⱼ)² (from below)
  /// n·u·λ_max: eigenvalues of the computed G below this are rounding noise, so singular values
  /// below its square root are invisible in G (zero or not).
  double lambda_floor;
  double unit_roundoff;  ///< u of the scalar type the iteration runs in
};

class Schedule {
 public:
  Schedule() = default;
  Schedule(const Schedule&) = delete;
  Schedule& operator=(const Schedule&) = delete;
  virtual ~Schedule() = default;

  /// Coefficients of the next step, given the spectrum of the current iterate.
  virtual Quintic next(const GramSpectrum& spectrum) = 0;

  /// Order of convergence near σ = 1 (2: cubic, 3: quintic) or 0 when the schedule does not
  /// converge to an orthogonal matrix (Muon's). The stopping rule uses it.
  [[nodiscard]] virtual int order() const = 0;

  /// The fixed budget used when the caller asks for none (Muon's 5 steps); 0: iterate to
  /// tolerance.
  [[nodiscard]] virtual int default_steps() const { return 0; }

  /// X₀ = A / (‖A‖ · safety).
  [[nodiscard]] virtual double normalisation_safety() const { return 1.0; }

  /// The lower bound on σ_min(X₀) the first step is designed for (NaN when none).
  [[nodiscard]] virtual double design_lower_bound() const = 0;

  /// Whether next() reads the Lanczos estimates of the spectrum (an adaptive design) or only
  /// counts its steps (a fixed table).
  [[nodiscard]] virtual bool steers_by_spectrum() const = 0;
};

/// The schedules of the Newton–Schulz family, one per method (the method table,
/// core/solvers/methods.hpp, says which is whose; make_schedule there picks by Method).
/// default_steps: the fixed budget where the caller sets none (Muon's), from the same table.
std::unique_ptr<Schedule> newton_schulz_schedule(const PolarOptions& options, int default_steps);
std::unique_ptr<Schedule> quintic_schedule(const PolarOptions& options, int default_steps);
/// Jordan's quintic, or the caller's coefficient table (one row: repeated for the default budget).
std::unique_ptr<Schedule> muon_schedule(const PolarOptions& options, int default_steps);
std::unique_ptr<Schedule> polar_express_schedule(const PolarOptions& options, int default_steps);
/// Adaptive Polar Express from options.lower_bound (0: Lanczos's estimate of the first iterate).
std::unique_ptr<Schedule> adaptive_schedule(const PolarOptions& options, int default_steps);

/// The options of a refinement in working precision (after a reduced-precision iteration or
/// LAPACK's SVD): adaptive Polar Express to tolerance from the current iterate — no fixed budget,
/// and no caller's lower bound, which was for X₀ (Lanczos sees the current spectrum).
inline PolarOptions refinement_options(const PolarOptions& options) {
  PolarOptions o = options;
  o.steps = 0;
  o.lower_bound = 0.0;
  return o;
}

}  // namespace polarkit::detail
