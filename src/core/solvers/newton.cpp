// Scaled Newton (Higham 1986) with the Byers–Xu (2008) scaling sequence, on a square X:
// X ← (ζX + X⁻ᵀ/ζ)/2. Once ‖XᵀX − I‖_F < 1e-2, the adaptive Newton–Schulz tail finishes with
// matrix products only (two steps take it to rounding level), avoiding the inverses whose
// rounding errors grow like κ·u in the last Newton steps.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/solvers/methods.hpp"
#include "core/design/schedule.hpp"
#include "core/linalg/normalise.hpp"
#include "core/linalg/reduction.hpp"
#include "core/solvers/solvers.hpp"

namespace polarkit::detail {
namespace {

// ζ₀ = 1/√(αβ), ζ₁ = √(2√(αβ)/(α + β)), ζ_{k+1} = 1/√((ζ_k + 1/ζ_k)/2), for α ≥ σ_max ≥
// σ_min ≥ β: the sequence Byers and Xu prove gives ≤ 9 steps for κ ≤ 1e16.
class ByersXu {
 public:
  ByersXu(double alpha, double beta) : alpha_(alpha), beta_(beta) {}
  /// Replaces β before the first step.
  void set_beta(double beta) {
    if (step_ == 0) beta_ = std::min(beta, alpha_);
  }
  double next() {
    const double ab = std::sqrt(alpha_ * beta_);
    zeta_ = step_ == 0   ? 1.0 / ab
            : step_ == 1 ? std::sqrt(2.0 * ab / (alpha_ + beta_))
                         : 1.0 / std::sqrt((zeta_ + 1.0 / zeta_) / 2.0);
    ++step_;
    return zeta_;
  }

 private:
  double alpha_;
  double beta_;
  double zeta_ = 1.0;
  int step_ = 0;
};

constexpr double tail_threshold = 1e-2;

}  // namespace

template <class T>
void solve_newton(Ops<T>& ops, Matrix<T>& X, double ell0, const PolarOptions& options,
                  Report& report) {
  Backend<T>& be = ops.backend();
  const index_t n = X.cols();
  ByersXu scaling(1.0, design_lower_bound<T>(ell0, report));  // X₀ = A/α has σ_max ≤ 1

  OrthogonalityMeter<T> meter(ops, n);
  Matrix<T> inverse = ops.allocate(n, n);
  GramSpectrum s = meter.measure(std::as_const(X).view());
  report.measured(s);
  while (s.e_fro >= tail_threshold) {
    if (report.info().iterations >= options.max_iter) return;  // converged stays false
    const typename Ops<T>::Phase phase(ops, "step:newton");
    be.copy(1.0, std::as_const(X).view(), inverse.view());
    if (!ops.invert(inverse.view())) return;  // exactly singular: Newton cannot go on
    if (report.info().iterations == 0) {
      // σ_min(X₀) = 1/‖X₀⁻¹‖₂ with the explicit inverse at hand (Lanczos, from below, so a 2%
      // margin). The QR bound ℓ₀ rests on trcon estimates, which are unreliable for κ near 1/u
      // — where rounding in A itself moves σ_min — and each factor β is off costs Byers–Xu
      // steps; the smaller of the two keeps β a lower bound in practice.
      // X₀⁻¹ reaches 1/σ_min: its Gram products would overflow from κ ≈ 1e150 (double) unless
      // scaled by the power of two of its largest entry.
      int exponent = 0;
      std::frexp(be.max_abs(std::as_const(inverse).view()), &exponent);
      const double inverse_norm = sigma_max_estimate(ops, std::as_const(inverse).view(), exponent);
      if (inverse_norm > 0.0) scaling.set_beta(std::min(report.info().lower_bound, 0.98 / inverse_norm));
    }
    const double zeta = scaling.next();
    be.add(0.5 / zeta, std::as_const(inverse).view().transposed(), 0.5 * zeta, X.view());
    report.step(StepKind::newton);
    s = meter.measure(std::as_const(X).view());
    report.measured(s);
  }
  const auto tail = make_schedule(Method::polar_express_adaptive, PolarOptions{});
  PolarOptions tail_options = options;
  tail_options.steps = 0;
  continue_newton_schulz(ops, X, *tail, tail_options, report, meter, s);
}

template void solve_newton<float>(Ops<float>&, Matrix<float>&, double, const PolarOptions&, Report&);
template void solve_newton<double>(Ops<double>&, Matrix<double>&, double, const PolarOptions&, Report&);

}  // namespace polarkit::detail
