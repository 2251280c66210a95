// QDWH (Nakatsukasa, Bai & Gygi 2010; Nakatsukasa & Higham 2013): the dynamically weighted
// Halley iteration X ← X(aI + bXᵀX)(I + cXᵀX)⁻¹, evaluated through a QR factorisation while c is
// large (backward stable for any κ) and through a Cholesky factor once c ≤ 100 (cheaper, and
// stable there).
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/design/halley.hpp"
#include "core/linalg/orthogonality.hpp"
#include "core/linalg/reduction.hpp"
#include "core/solvers/solvers.hpp"
#include "core/linalg/stacked_qr.hpp"

namespace polarkit::detail {
namespace {

// X_new = (b/c)X + (a − b/c)·X·Z⁻¹ with Z = I + c·XᵀX = RᵀR. G holds XᵀX already (e_j's).
// Returns false when Z is not numerically positive definite (the caller takes a QR step).
template <class T>
bool cholesky_step(Ops<T>& ops, const Halley& w, MatrixView<const T> X, MatrixView<const T> G,
                   MatrixView<T> Y, Matrix<T>& Z) {
  Backend<T>& be = ops.backend();
  be.copy(w.c, G, Z.view());
  be.add_diagonal(1.0, Z.view());
  if (!ops.cholesky(Z.view())) return false;
  be.copy(1.0, X, Y);
  ops.solve_upper_right(std::as_const(Z).view(), false, Y);
  ops.solve_upper_right(std::as_const(Z).view(), true, Y);
  be.add(w.b / w.c, X, w.a - w.b / w.c, Y);
  return true;
}

}  // namespace

int qdwh_householder_steps(double ell, index_t n, double u) {
  int steps = 0;
  for (int k = 0; k < max_iterations_limit && std::abs(1.0 - ell) > 5.0 * u; ++k) {
    const Halley w = dynamic_weights(std::max(ell, u));
    if (w.c > cholesky_limit && !cholesky_route_suits(std::sqrt(w.c), n, u)) ++steps;
    ell = w.ell_next;
  }
  return steps;
}

template <class T>
void solve_qdwh(Ops<T>& ops, Matrix<T>& X, double ell0, const PolarOptions& options,
                Report& report, Matrix<T>&& gram0) {
  Backend<T>& be = ops.backend();
  const index_t m = X.rows();
  const index_t n = X.cols();
  const double u = unit_roundoff<T>;
  double ell = design_lower_bound<T>(ell0, report);

  OrthogonalityMeter<T> meter(ops, n);
  Matrix<T> Y = ops.allocate(m, n);
  StackedQr<T> stacked(ops, m, n);
  Matrix<T> Z = ops.allocate(n, n);
  const double step_tol = std::cbrt(5.0 * u);
  const double floor = gram_rounding_floor(n, ops.rounding());
  double change = std::numeric_limits<double>::infinity();
  for (;;) {
    // The 2-norm estimate (a Lanczos run) is spent on X₀ and U; the iterates in between report
    // NaN, since the stopping rule reads ℓ, the step size and ‖XᵀX − I‖_F only.
    const bool first = report.info().iterations == 0;
    GramSpectrum s = first && !gram0.empty() ? meter.adopt(std::move(gram0), true)
                                             : meter.measure(std::as_const(X).view(), first);
    // Converged once ℓ — a lower bound on σ_min(X), and σ_max(X) ≤ 1 — is 1 to working
    // precision, and the iterate confirms it: either the last step was below ∛(5u) (Halley
    // steps converge cubically, so the next would move X by about 5u), or XᵀX is I to rounding
    // already — ‖XᵀX − I‖_F near its floor and the Lanczos estimate of ‖XᵀX − I‖₂ within
    // 16u (measured 4–6u for converged n = 2048 iterates), so that an error the ℓ bound missed
    // moves H by at most 8u. The step that would confirm it by its size could not improve X;
    // skipping it saves a Cholesky step and a Gram matrix (of 6 at κ = 1e3). A design ℓ above
    // the true σ_min (the Lanczos-sharpened one, rarely) shows in both tests.
    bool done = false;
    if (std::abs(1.0 - ell) <= 5.0 * u) {
      done = change <= step_tol;
      if (!done && s.e_fro <= 2.0 * floor) {
        s = meter.add_two_norm(s);
        done = s.e_two <= 16.0 * u;
      }
    }
    const bool last = done || report.info().iterations >= options.max_iter;
    if (last && std::isnan(s.e_two)) s = meter.add_two_norm(s);
    report.measured(s);
    if (last) {
      report.converged(done);
      return;
    }
    const Halley w = dynamic_weights(ell);
    const MatrixView<const T> Xc = std::as_const(X).view();
    bool cholesky = false;
    if (w.c <= cholesky_limit) {
      const typename Ops<T>::Phase phase(ops, "step:cholesky");
      cholesky = cholesky_step(ops, w, Xc, std::as_const(meter.gram()).view(), Y.view(), Z);
    }
    if (cholesky) {
      report.step(StepKind::cholesky);
    } else {
      // X_new = (b/c)X + ((a − b/c)/√c)·Q₁Q₂ᵀ with [√c X; I] = [Q₁; Q₂]R: by a Cholesky QR of
      // the stack where it is well enough conditioned (stacked_qr.hpp), else by Householder.
      const double rho = std::sqrt(w.c);
      const double alpha = (w.a - w.b / w.c) / rho;
      be.copy(w.b / w.c, Xc, Y.view());
      bool cholesky_qr = false;
      if (cholesky_route_suits(rho, n, u)) {
        const typename Ops<T>::Phase phase(ops, "step:cholesky_qr");
        cholesky_qr = stacked.accumulate_by_cholesky(rho, Xc, std::as_const(meter.gram()).view(),
                                                     alpha, Y.view());
      }
      if (!cholesky_qr) {
        const typename Ops<T>::Phase phase(ops, "step:qr");
        stacked.accumulate(rho, Xc, alpha, Y.view());
      }
      report.step(cholesky_qr ? StepKind::cholesky_qr : StepKind::qr);
    }
    // The step size only matters once ℓ has converged (an O(n²) pass that reads two matrices).
    if (std::abs(1.0 - w.ell_next) <= 5.0 * u) {
      const typename Ops<T>::Phase phase(ops, "step:difference");
      change = be.norm_fro_difference(std::as_const(Y).view(), Xc);
    }
    std::swap(X, Y);
    ell = w.ell_next;
  }
}

template void solve_qdwh<float>(Ops<float>&, Matrix<float>&, double, const PolarOptions&, Report&,
                                Matrix<float>&&);
template void solve_qdwh<double>(Ops<double>&, Matrix<double>&, double, const PolarOptions&,
                                 Report&, Matrix<double>&&);

}  // namespace polarkit::detail
