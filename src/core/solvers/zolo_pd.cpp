// Zolo-PD (Nakatsukasa & Freund 2016): the best rational approximation of sign on [ℓ, 1] of
// type (2r+1, 2r), applied as X ← M̂·(X + Σ_j (a_j/√c_{2j−1})·Q₁ⱼQ₂ⱼᵀ) with
// [X; √c_{2j−1}·I] = [Q₁ⱼ; Q₂ⱼ]Rⱼ. With r from the κ table, two steps reach 1 − ℓ ≤ u for every
// κ up to 1/u. The r QRs are independent (batched on a GPU); here they run one after another.
#include <algorithm>
#include <cmath>
#include <utility>

#include "core/linalg/reduction.hpp"
#include "core/solvers/solvers.hpp"
#include "core/linalg/stacked_qr.hpp"
#include "core/design/zolotarev.hpp"

namespace polarkit::detail {

namespace {

// The table's r for κ = 1/ℓ, raised (up to the largest order) until the scalar model says two
// steps reach 1 − ℓ ≤ 5u: the table assumes κ ≤ 1e16, a QR bound can be smaller than 1e-16.
int two_step_order(double ell, double u) {
  int r = zolotarev_order(1.0 / ell);
  for (; r < zolotarev_max_order; ++r) {
    const double once = zolotarev_step(ell, r).ell_next;
    if (1.0 - zolotarev_step(once, r).ell_next <= 5.0 * u) break;
  }
  return r;
}

}  // namespace

template <class T>
void solve_zolo(Ops<T>& ops, Matrix<T>& X, double ell0, const PolarOptions& options,
                Report& report) {
  Backend<T>& be = ops.backend();
  const double u = unit_roundoff<T>;
  // The coefficients exist down to zolotarev_min_ell only. A certified ℓ₀ below it (far under
  // u·σ_max) is designed for as a singular X₀ is: those singular values are zero to working
  // precision, and a design for ℓ = zolotarev_min_ell leaves σ = 1 off by 1e-6 after two steps.
  double ell = design_lower_bound<T>(ell0 >= zolotarev_min_ell ? ell0 : 0.0, report);
  int r = two_step_order(ell, u);
  int max_steps = std::min(2, options.max_iter);
  // ℓ₀ bounds σ_min only where X₀ is not numerically singular: below n·u a singular value may
  // lie under it, and the designed steps leave it short of 1 (measured at κ = 1e16: 2 of 18
  // sampled inputs, orthogonality 1e6·ε and 1e10·ε). The measured e_F tells, since
  // σ_min² ≥ 1 − ‖G − I‖₂ ≥ 1 − e_F: once, the remaining steps are designed anew from it. Twice
  // the rounding floor of G marks a result short of convergence (converged ones measure up to
  // 0.7 of it); e_F ≥ 1 is an exactly singular X₀, which no step can mend.
  const double short_of_convergence = 2.0 * gram_rounding_floor(X.cols(), ops.rounding());
  bool redesigned = false;

  OrthogonalityMeter<T> meter(ops, X.cols());
  StackedQr<T> stacked(ops, X.rows(), X.cols());
  Matrix<T> Y = ops.allocate(X.rows(), X.cols());
  GramSpectrum s = meter.measure(std::as_const(X).view());
  report.measured(s);
  for (;;) {
    bool modelled = 1.0 - ell <= 5.0 * u;
    if (modelled && !redesigned && s.e_fro > short_of_convergence && s.e_fro < 1.0 &&
        report.info().iterations < options.max_iter) {
      redesigned = true;
      ell = std::sqrt(1.0 - s.e_fro);
      r = two_step_order(ell, u);
      max_steps = std::min(report.info().iterations + 2, options.max_iter);
      modelled = 1.0 - ell <= 5.0 * u;
    }
    if (modelled || report.info().iterations >= max_steps) {
      report.converged(modelled);
      return;
    }
    const typename Ops<T>::Phase phase(ops, "step:zolotarev");
    const ZolotarevStep z = zolotarev_step(ell, r);
    const MatrixView<const T> Xc = std::as_const(X).view();
    be.copy(1.0, Xc, Y.view());
    for (int j = 0; j < r; ++j) {
      // X(XᵀX + cI)⁻¹ = Q₁Q₂ᵀ/√c for [X/√c; I] = QR (see stacked_qr.hpp with ρ = 1/√c).
      const double c = z.c[static_cast<std::size_t>(2 * j)];
      stacked.accumulate(1.0 / std::sqrt(c), Xc, z.a[static_cast<std::size_t>(j)] / std::sqrt(c),
                         Y.view());
    }
    be.copy(z.mhat, std::as_const(Y).view(), Y.view());
    std::swap(X, Y);
    ell = z.ell_next;
    report.step(StepKind::zolotarev);
    // The 2-norm estimate is spent on X₀ and on what the model says is U.
    const bool last = 1.0 - ell <= 5.0 * u || report.info().iterations >= max_steps;
    s = meter.measure(std::as_const(X).view(), last);
    report.measured(s);
  }
}

template void solve_zolo<float>(Ops<float>&, Matrix<float>&, double, const PolarOptions&, Report&);
template void solve_zolo<double>(Ops<double>&, Matrix<double>&, double, const PolarOptions&, Report&);

}  // namespace polarkit::detail
