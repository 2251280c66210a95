// The solvers. Each takes X = A/α (tall, column-major, in the backend's memory), overwrites it
// with the polar factor U of A and fills in its part of the PolarInfo. Scaling, transposition of
// wide inputs, H and the backward error are the caller's (polar.cpp), shared by every solver.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/linalg/orthogonality.hpp"
#include "core/kernels/report.hpp"
#include "polarkit/info.hpp"
#include "polarkit/options.hpp"

namespace polarkit::detail {

/// U = W·Vᵀ from LAPACK's SVD; with options.refine, Newton–Schulz steps in working precision
/// until U is orthogonal to rounding (the SVD's own U is orthogonal to O(n·u) only). rows: A's
/// larger dimension, for the rank threshold (X may be the R factor of a tall X₀).
template <class T>
void solve_svd(Ops<T>& ops, Matrix<T>& X, index_t rows, const PolarOptions& options,
               Report& report);

/// One matrix of a batched Newton–Schulz solve: its iterate (overwritten by the result), its
/// own schedule (adaptive ones follow each iterate's spectrum) and its report.
template <class T>
struct NsItem {
  Matrix<T>* X;
  Schedule* schedule;
  Report* report;
};

/// The Newton–Schulz loop over a batch of iterates of one shape, in lockstep: each step is one
/// batched kernel call per stage for the items still iterating; an item stops on its own
/// (the stopping rule on its own e_j) or all together (a fixed budget). The items' schedules are
/// of one method: the same order and fixed budget. Ops counts each item's work apart
/// (ops.items() ≥ batch.size()).
/// Be: Backend<T>, or ProductBackend<T> for the reduced-precision formats (precision.hpp).
template <class T, class Be>
void solve_newton_schulz(Ops<T, Be>& ops, std::span<const NsItem<T>> batch,
                         const PolarOptions& options);

/// Newton–Schulz steps from iterates that `meter` has just measured as s[i] (and that are
/// already recorded in the items' reports).
template <class T, class Be>
void continue_newton_schulz(Ops<T, Be>& ops, std::span<const NsItem<T>> batch,
                            const PolarOptions& options, OrthogonalityMeter<T, Be>& meter,
                            std::vector<GramSpectrum> s);

/// A batch of one.
template <class T, class Be>
void solve_newton_schulz(Ops<T, Be>& ops, Matrix<T>& X, Schedule& schedule,
                         const PolarOptions& options, Report& report);

/// Newton–Schulz steps from an iterate that `meter` has just measured as `s` (and that is
/// already recorded in info): the tail other solvers hand over to once X is nearly orthogonal.
template <class T, class Be>
void continue_newton_schulz(Ops<T, Be>& ops, Matrix<T>& X, Schedule& schedule,
                            const PolarOptions& options, Report& report,
                            OrthogonalityMeter<T, Be>& meter, GramSpectrum s);

/// The rational iterations work on a square, nonsingular-in-practice X (see reduction.hpp);
/// ell0 is a lower bound on σ_min(X), σ_max(X) ≲ 1. gram0, where not empty, is XᵀX already
/// formed (auto measured it), used in place of the first Gram matrix.
template <class T>
void solve_qdwh(Ops<T>& ops, Matrix<T>& X, double ell0, const PolarOptions& options,
                Report& report, Matrix<T>&& gram0 = Matrix<T>());

template <class T>
void solve_newton(Ops<T>& ops, Matrix<T>& X, double ell0, const PolarOptions& options,
                  Report& report);

/// How many Householder QR steps QDWH plans from a lower bound ℓ on σ_min(X) (σ_max ≤ 1) for
/// n columns at unit roundoff u: steps whose weight c exceeds the Cholesky-step limit and the
/// Cholesky QR route's (stacked_qr.hpp). A plan: a failed Cholesky step adds one at run time.
int qdwh_householder_steps(double ell, index_t n, double u);

template <class T>
void solve_zolo(Ops<T>& ops, Matrix<T>& X, double ell0, const PolarOptions& options,
                Report& report);

/// auto (src/core/solvers/select_method.cpp): the largest κ(X₀) of an n-column X₀ for which adaptive
/// Polar Express is both accurate (13ε) and the faster choice on a backend in `space`.
template <class T>
double newton_schulz_kappa_limit(index_t n, MemorySpace space);

/// Whether G = X₀ᵀX₀ (with e_fro = ‖G − I‖_F) certifies κ(X₀) ≤ 1.5·kappa: λ_min(G) ≥ τ =
/// λ_max/(1.5·kappa)², or 8× G's rounding floor·λ_max where that is larger (then a smaller κ),
/// by Weyl's bound from tr G and e_fro where the spectrum is tight, else by a Cholesky factor of
/// G − τI.
/// auto, where Polar Express is not taken: whether the SVD with Newton–Schulz refinement
/// (solve_svd with refine) is the faster way to the accuracy bar than QDWH on a backend in
/// `space`, for an m × n X₀ with σ_max ≤ 1, a lower estimate ell of σ_min and the condition
/// estimate kappa that the rank check would read.
template <class T>
bool refined_svd_suits(double ell, double kappa, index_t m, index_t n, MemorySpace space);

template <class T>
bool certify_condition(Ops<T>& ops, MatrixView<const T> G, double e_fro, double lambda_max,
                       double kappa);

/// The number of singular values above max(m, n)·ε·σ_max (σ descending): NumPy's matrix_rank.
int numerical_rank(const std::vector<double>& sigma, index_t m, index_t n, double epsilon);

/// After the solver, for every method but svd (which counts it from its own σ): PolarInfo::rank
/// and what it implies. A is the tall A, X the solver's U. A solve iterating to tolerance whose
/// U meets the acceptance level and whose κ estimate certifies A numerically nonsingular has
/// rank n at no cost. Otherwise an SVD of A counts the rank (a QR bound first, where only the
/// Gram matrix's resolution left κ open); where U falls short of orthonormal and A is
/// rank-deficient (or the method was auto), U becomes the SVD's orthonormal W·Vᵀ and the report
/// says svd ran. `converged` is true exactly when the returned U meets the acceptance level.
template <class T>
void settle_rank(Ops<T>& ops, MatrixView<const T> A, Matrix<T>& X, const PolarOptions& options,
                 Report& report);

/// The checks polar() makes of its options before any work (invalid_argument naming the
/// option); the C ABI runs them before it allocates anything the options place.
template <class T>
void validate_polar_options(const PolarOptions& options);

/// polar_batched's checks before any work: the counts of U and H, each item's operands (U of
/// A's shape, H n × n or empty, one memory space), the overlap rule across the whole batch, and
/// the options (Error(invalid_argument), messages prefixed by `who`). one_shape: every A must
/// have A[0]'s shape and memory space (polarkit::polar_batched; mpi::polar_batched mixes shapes),
/// and a batch of one then speaks as polar() does. An empty batch is accepted as it is.
template <class T>
void validate_polar_batch(std::string_view who, bool one_shape,
                          std::span<const MatrixView<const T>> A, std::span<const MatrixView<T>> U,
                          std::span<const MatrixView<T>> H, const PolarOptions& options);

}  // namespace polarkit::detail
