// The numerical rank of A and one behaviour for rank-deficient inputs across methods: U is
// orthonormal (m ≥ n: UᵀU = I) whatever the rank, as LAPACK's SVD gives it — on the null space
// of A an orthonormal completion, which is not unique, while H = sym(UᵀA) is. The iterations
// leave exactly zero singular values of X₀ at zero (odd polynomials and QDWH's rational map
// fix 0), so for a rank-deficient A they end with a partial isometry, 1 from orthonormal; the
// SVD completes it. Rank-deficient inputs are rare and the SVD is paid only for them — and where
// U is orthonormal already, only its singular values (LAPACK's job 'N', 2–2.5× cheaper).
#include <algorithm>
#include <cmath>

#include "core/linalg/reduction.hpp"
#include "core/solvers/solvers.hpp"

namespace polarkit::detail {

int numerical_rank(const std::vector<double>& sigma, index_t m, index_t n, double epsilon) {
  if (sigma.empty() || !(sigma.front() > 0.0)) return 0;
  const double threshold = static_cast<double>(std::max(m, n)) * epsilon * sigma.front();
  return static_cast<int>(std::count_if(sigma.begin(), sigma.end(),
                                        [&](double s) { return s > threshold; }));
}

namespace {

// Whether the solve iterated to tolerance in its own precision: only then is U meant to be
// orthonormal, and only then is the rank determined.
bool to_tolerance(const PolarOptions& o, const Report& report) {
  return o.steps == 0 && report.info().method_used != Method::muon && o.measure_result &&
         (o.precision == Precision::working || o.refine);
}

}  // namespace

template <class T>
void settle_rank(Ops<T>& ops, MatrixView<const T> A, Matrix<T>& X, const PolarOptions& options,
                 Report& report) {
  const PolarInfo& info = report.info();
  if (info.method_used == Method::svd) return;
  if (!to_tolerance(options, report)) {
    report.rank(-1);
    return;
  }
  Backend<T>& be = ops.backend();
  const index_t m = X.rows();
  const index_t n = X.cols();
  const double epsilon = 2.0 * unit_roundoff<T>;
  const double bar = acceptance_level(n, ops.rounding(), options.tol);
  const bool orthonormal = info.ortho_error_fro <= bar;
  // A is numerically singular where κ ≥ 1/(max(m, n)·ε). The κ estimates are Lanczos ones,
  // within a factor 1.5 of κ: within that factor of the threshold either rank may be reported,
  // as it may by any rank decision near its threshold.
  const double singular_kappa = 1.0 / (static_cast<double>(std::max(m, n)) * epsilon);
  if (orthonormal) {
    double kappa = info.cond_estimate;
    // A Gram matrix resolves κ only up to 1/√(its rounding floor) (‖X₀‖ ≤ 1 by the Frobenius
    // scaling): beyond that the Newton–Schulz methods' estimate is a floor, and a QR of A with
    // its Lanczos-sharpened σ_min estimate decides (4mn² flops against an SVD's ~14n³).
    const double resolution = 1.0 / std::sqrt(gram_rounding_floor(n, ops.rounding()));
    if (is_newton_schulz(info.method_used) && !(kappa < 0.5 * resolution)) {
      const typename Ops<T>::Phase phase(ops, "rank");
      kappa = condition_bound(ops, A, be.max_abs(A)).kappa;
    }
    if (kappa < singular_kappa) {
      report.rank(static_cast<int>(n));
      return;
    }
  }
  const typename Ops<T>::Phase phase(ops, "rank");
  if (orthonormal) {  // U stays: the count needs the singular values only
    report.rank(numerical_rank(ops.singular_values(A), m, n, epsilon));
    return;
  }
  Matrix<T> W = ops.allocate(m, n);
  Matrix<T> Vt = ops.allocate(n, n);
  const std::vector<double> sigma = ops.svd(A, W.view(), Vt.view());
  report.rank(numerical_rank(sigma, m, n, epsilon));
  const bool replace = info.rank < n || info.method == Method::automatic;
  if (replace) {
    ops.gemm(1.0, std::as_const(W).view(), std::as_const(Vt).view(), 0.0, X.view());
    report.ran(Method::svd);
    // U's own orthogonality; the history keeps the iterates' (the SVD has none).
    OrthogonalityMeter<T> meter(ops, n);
    const GramSpectrum s = meter.measure(std::as_const(X).view());
    report.final_measurement(s);
    report.converged(s.e_fro <= bar);
  } else {
    report.converged(info.converged && orthonormal);
  }
}

template void settle_rank<float>(Ops<float>&, MatrixView<const float>, Matrix<float>&,
                                 const PolarOptions&, Report&);
template void settle_rank<double>(Ops<double>&, MatrixView<const double>, Matrix<double>&,
                                  const PolarOptions&, Report&);

}  // namespace polarkit::detail
