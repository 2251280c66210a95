// polarkit/scalapack.hpp — the polar decomposition A = U·H of one large matrix distributed 2-D
// block-cyclically over a BLACS process grid, as ScaLAPACK holds it (library polarkit::mpi, built
// where ScaLAPACK is found).
//
//   // every process of the grid, with its local arrays and the descriptors (descinit):
//   polarkit::scalapack::DistributedMatrix<const double> A{a_local, desc_a};   // m × n
//   polarkit::scalapack::DistributedMatrix<double> U{u_local, desc_u};         // m × n
//   polarkit::scalapack::DistributedMatrix<double> H{h_local, desc_h};         // n × n
//   polarkit::PolarOptions options;
//   options.method = polarkit::Method::qdwh;
//   polarkit::PolarInfo info = polarkit::scalapack::polar(A, U, H, options);
//   // info is the same on every process: iterations, step letters, e_j, backward error, ...
//
// For m ≥ n, U has orthonormal columns and H = (AᵀA)^{1/2} is symmetric positive semidefinite.
// For m < n the problem is solved for Aᵀ (pdtran into the solver's own copy) and transposed back:
// U has orthonormal rows (UUᵀ = I) and H = UᵀA is still the n × n factor with A = U·H, as
// polarkit::polar() returns it.
#pragma once

#include "polarkit/info.hpp"
#include "polarkit/options.hpp"

namespace polarkit::scalapack {

/// A matrix distributed as ScaLAPACK distributes it: the calling process's local array
/// (column-major, leading dimension LLD) and the array descriptor, ScaLAPACK's 9 integers
/// {DTYPE = 1, CTXT, M, N, MB, NB, RSRC, CSRC, LLD} as descinit fills them in. `local` may be
/// null on a process that holds no element of the matrix. Neither is copied: both must stay
/// valid for the call.
template <class T>
struct DistributedMatrix {
  T* local = nullptr;        ///< this process's local array
  const int* desc = nullptr;  ///< the array descriptor (9 ints)
};

/// The options scalapack::polar takes by default: PolarOptions{} with method qdwh (PolarOptions's
/// own default method, polar_express_adaptive, is not one this solver has).
inline PolarOptions default_options() {
  PolarOptions o;
  o.method = Method::qdwh;
  return o;
}

/// Polar decomposition of the distributed m × n A (float or double) into the caller's U (m × n)
/// and, where H.desc is not null and options.compute_h is set, H (n × n). Collective: every
/// process of A's BLACS grid calls it with its own local arrays, the same descriptors (but for
/// LLD) and the same options, and every process returns the same report or throws the same
/// error. U and H may be distributed differently from A (any block sizes and source process),
/// in the same BLACS context. The solver works on its own nb × nb block-cyclic copies (nb = A's
/// column block size NB, from process (0, 0)), redistributing with pdgemr2d where A, U or H
/// are distributed otherwise; A is not written.
///
/// Methods (options.method; default_options() has qdwh):
/// - qdwh (and `auto`, which is qdwh here): the dynamically weighted Halley iteration with the
///   CPU solver's weights, steps and stopping rule (docs/algorithms.md), in ScaLAPACK and PBLAS
///   calls only. X₀ = A/α with α = min(‖A‖_F, 1.02·σ̂_max), σ̂_max a 40-step Lanczos estimate
///   of σ_max(A) (pdgemv): like polar()'s spectral scaling an upper bound in practice, not
///   certified — the iteration converges for σ_max(X₀) slightly above 1 too. For m > n one
///   pdgeqrf of X₀ = QR reduces the problem to the n × n R (U = Q·polar(R)); the same R gives
///   the lower bound ℓ₀ = max(1/(√n‖R⁻¹‖₁), 1/√(‖R⁻¹‖₁‖R⁻¹‖_∞)) ≤ σ_min(X₀), the norms those
///   of R's explicit inverse (pdtrtri, n³/3 flops: pdtrcon's estimates fell two decades short
///   of them, so that the bound was none), sharpened by 16 Lanczos steps on R⁻¹R⁻ᵀ (pdtrsv)
///   where X₀ is not numerically singular.
///   QR steps (pdgeqrf and pdorgqr of [√c·X; I], then pdgemm) while c > 100, Cholesky steps
///   (pdsyrk, pdpotrf, two pdtrsm) after, a QR step where pdpotrf fails; where the CPU solver
///   takes a Cholesky QR step ('K', moderate c) this one takes a Householder QR step.
/// - svd: the reference, pdgesvd of A/‖A‖_F: U = W·Vᵀ, H = V·Σ·Vᵀ (for m < n, H = W·Σ·Wᵀ
///   of Aᵀ = WΣVᵀ), symmetrised.
/// Any other method throws Error(invalid_argument) naming these. options.steps must be 0 (no
/// fixed budgets: max_iter bounds the iterations) and options.precision `working`; tol and
/// backward_error act as for polar().
///
/// The report has polar()'s fields: iterations and steps ('Q', 'C'); ortho_error_history
/// e_j = ‖XⱼᵀXⱼ − I‖_F of every iterate (from pdsyrk and pdlansy); ortho_error_2_history and
/// ortho_error, a 40-step Lanczos estimate of ‖XⱼᵀXⱼ − I‖₂ (pdsymv), at X₀ and at the result
/// (and where the stopping rule asks for it), NaN elsewhere; ortho_error_fro of the result;
/// scale α; lower_bound (the ℓ the first step was designed for) and cond_estimate (1/σ̂_min of
/// the Lanczos sharpening, else 1/ℓ; σ_max/σ_min for svd); rank: n where U is orthonormal and
/// the κ estimate below 1/(max(m, n)·ε), else counted from pdgesvd's singular values of A;
/// converged: the result meets polar()'s acceptance level; nuclear_norm tr(H) (pdlatra) when H
/// is computed, backward_error ‖A − UH‖_F/‖A‖_F (pdgemm, pdlange) when options.backward_error
/// is set too (NaN otherwise); flops and products, the whole grid's (GEMM 2mnk, SYRK mnk, QR
/// 2mn² − 2n³/3, as polar() counts them); phases with their calls, flops and the slowest
/// process's seconds. A = 0 returns U = 0, H = 0 and zero_input.
///
/// Errors, on every process alike (agreed over the grid before anything is written):
/// Error(invalid_argument) for a descriptor that is not acceptable on any one process (DTYPE
/// not 1, a context other than A's, M or N negative, MB or NB not positive, RSRC or CSRC outside
/// the grid, LLD below max(1, local rows)), a descriptor that differs between processes, U not
/// m × n, H not n × n, a null local array that holds elements, differing options, an unsupported
/// method or option; Error(non_finite_input) where A holds NaN or Inf on any process;
/// Error(backend_failure) where ScaLAPACK reports one (pdgesvd not converging). A process
/// whose A.desc is null or names a grid it is not in gets Error(invalid_argument) at once,
/// without communicating: A's context is what the processes agree through, so it must be the
/// grid's on every process. As ScaLAPACK's own estimators, the Lanczos runs assume processes
/// alike (the same BLAS and thread count): each runs them on the same numbers, and their
/// results are broadcast from process (0, 0).
template <class T>
PolarInfo polar(DistributedMatrix<const T> A, DistributedMatrix<T> U, DistributedMatrix<T> H,
                const PolarOptions& options = default_options());

/// U alone (no H): msign(A) for a distributed A.
template <class T>
PolarInfo polar(DistributedMatrix<const T> A, DistributedMatrix<T> U,
                const PolarOptions& options = default_options()) {
  return polar(A, U, DistributedMatrix<T>{}, options);
}

/// A mutable A (T is deduced from it; deduction does not see through the conversion).
template <class T>
PolarInfo polar(DistributedMatrix<T> A, DistributedMatrix<T> U, DistributedMatrix<T> H,
                const PolarOptions& options = default_options()) {
  return polar(DistributedMatrix<const T>{A.local, A.desc}, U, H, options);
}

}  // namespace polarkit::scalapack
