// The reference solver: A = W Σ Vᵀ (LAPACK gesdd, gesvd if that fails), U = W Vᵀ.
// With `refine`, Newton–Schulz steps in working precision follow: gesdd's W and V are orthogonal
// to O(n·u) only (‖UᵀU − I‖_F/√n ≈ 25–45u at n = 256–2048 in f64), and one cubic step from there
// lands at rounding (7–9u). H = sym(UᵀA) from the refined U then has a backward error of about
// half the SVD's own (18 against 34u at n = 1024, κ = 1e12), since U is now the polar factor of
// A to rounding rather than that of the perturbed A the SVD solved. The cost is one Gram matrix
// and one product per step (3n³), against QDWH's 30n³ and more where it needs QR steps.
#include <limits>
#include <utility>

#include "core/solvers/methods.hpp"
#include "core/linalg/orthogonality.hpp"
#include "core/design/schedule.hpp"
#include "core/solvers/solvers.hpp"

namespace polarkit::detail {

template <class T>
void solve_svd(Ops<T>& ops, Matrix<T>& X, index_t rows, const PolarOptions& options,
               Report& report) {
  const index_t m = X.rows();
  const index_t n = X.cols();
  Matrix<T> W = ops.allocate(m, n);
  Matrix<T> Vt = ops.allocate(n, n);
  const std::vector<double> sigma = ops.svd(std::as_const(X).view(), W.view(), Vt.view());
  ops.gemm(1.0, std::as_const(W).view(), std::as_const(Vt).view(), 0.0, X.view());

  report.condition(sigma.back() > 0.0 ? sigma.front() / sigma.back()
                                      : std::numeric_limits<double>::infinity());
  report.lower_bound(sigma.back());
  report.rank(numerical_rank(sigma, rows, n, 2.0 * unit_roundoff<T>));
  OrthogonalityMeter<T> meter(ops, n);
  const GramSpectrum s = meter.measure(std::as_const(X).view());
  report.measured(s);
  report.converged(true);
  if (!options.refine) return;
  // Adaptive Polar Express from the measured spectrum: it takes the cubic where that lands below
  // rounding, and its stopping rule takes no step where U is orthogonal to rounding already.
  const PolarOptions o = refinement_options(options);
  const auto schedule = make_schedule(Method::polar_express_adaptive, o);
  continue_newton_schulz(ops, X, *schedule, o, report, meter, s);
}

template void solve_svd<float>(Ops<float>&, Matrix<float>&, index_t, const PolarOptions&,
                               Report&);
template void solve_svd<double>(Ops<double>&, Matrix<double>&, index_t, const PolarOptions&,
                                Report&);

}  // namespace polarkit::detail
