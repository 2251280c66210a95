#include "core/design/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace polarkit::detail {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// A fixed list of coefficients, the last one repeated once the list runs out.
class TableSchedule final : public Schedule {
 public:
  TableSchedule(std::vector<Quintic> table, int order, double safety, double lower_bound,
                int default_steps = 0)
      : table_(std::move(table)),
        order_(order),
        safety_(safety),
        lower_bound_(lower_bound),
        default_steps_(default_steps) {}

  Quintic next(const GramSpectrum& /*spectrum*/) override {
    const Quintic p = table_[std::min(step_, table_.size() - 1)];
    ++step_;
    return p;
  }
  [[nodiscard]] int order() const override { return order_; }
  [[nodiscard]] double normalisation_safety() const override { return safety_; }
  [[nodiscard]] double design_lower_bound() const override { return lower_bound_; }
  [[nodiscard]] int default_steps() const override { return default_steps_; }
  [[nodiscard]] bool steers_by_spectrum() const override { return false; }

 private:
  std::vector<Quintic> table_;
  std::size_t step_ = 0;
  int order_;
  double safety_;
  double lower_bound_;
  int default_steps_;
};

// Polar Express with each step's minimax quintic designed for the interval the current Gram
// matrix shows (docs/algorithms.md). The upper end is the Lanczos λ_max estimate with a margin
// of up to 1% (p grows quickly above the interval it was built for). The lower end is the largest of
// - √λ_min from Lanczos, when λ_min is above the rounding level of G (an over-estimate, which
//   only costs speed thanks to the cushion);
// - the guaranteed √(1 − e_F) once e_F < 1;
// - a carried bound: the caller's lower bound, or else u (the worst case that still matters),
//   pushed through every polynomial applied so far. It is what the exact-arithmetic
//   composition of §3.2 tracks, and it keeps the design moving when G shows (numerically) zero
//   singular values: designing for ℓ ≈ 0 forever would keep rescaling the top of the spectrum
//   to 2 and never converge.
class AdaptiveSchedule final : public Schedule {
 public:
  explicit AdaptiveSchedule(double lower_bound) : carried_lo_(lower_bound) {}

  Quintic next(const GramSpectrum& s) override {
    // Lanczos approaches λ_max from below by at most the spread of the top of the spectrum, so
    // the margin shrinks with |λ_max − 1| as the iteration converges; a fixed margin would make
    // 1 + margin the design point and stall the error there.
    const double margin = std::min(0.01, 2.0 * std::abs(s.lambda_max - 1.0) + s.lambda_floor);
    double hi = s.lambda_max > 0.0 ? (1.0 + margin) * std::sqrt(s.lambda_max) : 1.0;
    double lo = s.lambda_min > s.lambda_floor ? std::sqrt(s.lambda_min) : 0.0;
    if (s.e_fro < 1.0) {
      hi = std::min(hi, std::sqrt(1.0 + s.e_fro));
      lo = std::max(lo, std::sqrt(1.0 - s.e_fro));
    }
    if (std::isnan(first_lo_)) carried_lo_ = std::max(carried_lo_, s.unit_roundoff);
    lo = std::clamp(std::max(lo, carried_lo_), min_ratio * hi, hi * (1.0 - 1e-15));
    if (std::isnan(first_lo_)) first_lo_ = lo;
    // Close to 1 the Newton–Schulz cubic finishes as well as any quintic: it takes σ = 1 + x to
    // 1 − 1.5x² − 0.5x³, below the rounding of the iterate once 1.5x² ≤ u/16, and it needs no
    // G² (a third fewer flops for the step). The next measurement checks the step's result;
    // were the estimates behind x too optimistic, the stopping rule asks for one more step.
    const double x = std::max(hi - 1.0, 1.0 - lo);
    if (1.5 * x * x <= s.unit_roundoff / 16.0) {
      const Quintic cubic{1.5, -0.5, 0.0};
      carried_lo_ = std::min(cubic(carried_lo_), 1.0);
      return cubic;
    }
    const PolarExpressStep step = polar_express_step(lo, hi, polar_express_cushion);
    carried_lo_ = std::min(step.p(carried_lo_), 1.0);
    return step.p;
  }
  [[nodiscard]] int order() const override { return 3; }
  [[nodiscard]] double design_lower_bound() const override { return first_lo_; }
  [[nodiscard]] bool steers_by_spectrum() const override { return true; }

 private:
  // Below this ratio the cushion decides the polynomial anyway; it keeps Remez well posed.
  static constexpr double min_ratio = 1e-20;
  double carried_lo_;
  double first_lo_ = nan;
};

std::vector<Quintic> polar_express_with_safety() {
  const auto table = polar_express_table();
  std::vector<Quintic> out(table.begin(), table.end());
  for (std::size_t i = 0; i + 1 < out.size(); ++i) out[i] = with_safety(out[i], 1.01);
  return out;
}

}  // namespace

std::unique_ptr<Schedule> newton_schulz_schedule(const PolarOptions& /*options*/, int /*steps*/) {
  return std::make_unique<TableSchedule>(std::vector<Quintic>{{1.5, -0.5, 0.0}}, 2, 1.0, nan);
}

std::unique_ptr<Schedule> quintic_schedule(const PolarOptions& /*options*/, int /*steps*/) {
  return std::make_unique<TableSchedule>(std::vector<Quintic>{{15.0 / 8, -10.0 / 8, 3.0 / 8}}, 3,
                                         1.0, nan);
}

std::unique_ptr<Schedule> muon_schedule(const PolarOptions& options, int default_steps) {
  if (options.coefficients.empty()) {
    return std::make_unique<TableSchedule>(std::vector<Quintic>{{3.4445, -4.7750, 2.0315}}, 0, 1.0,
                                           nan, default_steps);
  }
  const auto size = static_cast<int>(options.coefficients.size());
  return std::make_unique<TableSchedule>(options.coefficients, 0, 1.0, nan,
                                         size == 1 ? default_steps : size);
}

std::unique_ptr<Schedule> polar_express_schedule(const PolarOptions& /*options*/, int /*steps*/) {
  return std::make_unique<TableSchedule>(polar_express_with_safety(), 3, 1.01, 1e-3);
}

std::unique_ptr<Schedule> adaptive_schedule(const PolarOptions& options, int /*steps*/) {
  return std::make_unique<AdaptiveSchedule>(options.lower_bound);
}

}  // namespace polarkit::detail
