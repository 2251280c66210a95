// polarkit/info.hpp — the report every solver returns.
#pragma once

#include <cstdint>
#include <vector>

#include "polarkit/options.hpp"

namespace polarkit {

/// The kind of each iteration a solver took.
enum class StepKind : char {
  polynomial = 'P',  ///< a Newton–Schulz-family step (matrix products only)
  qr = 'Q',          ///< a QDWH step through the QR of [√c·X; I]
  cholesky = 'C',    ///< a QDWH step through the Cholesky factor of I + c·XᵀX
  newton = 'N',      ///< a scaled Newton step (explicit inverse)
  zolotarev = 'Z',   ///< a Zolo-PD step (r QRs)
  reduced = 'L',     ///< a Newton–Schulz-family step in reduced precision (options.precision)
};

/// What a polar solve did and how good its result is. Quantities that were not computed are NaN.
struct PolarInfo {
  Method method = Method::svd;
  int iterations = 0;
  /// True when the final orthogonality error meets the tolerance. A fixed budget that falls
  /// short reports false; it is a result, not an error.
  bool converged = false;
  /// True when A = 0: U = 0 and H = 0 are returned (the polar factor is not unique; msign(0) = 0).
  bool zero_input = false;

  /// The method that ran (differs from `method` for auto) and the kind of each iteration.
  Method method_used = Method::svd;
  std::vector<StepKind> steps;

  /// e_j = ‖XⱼᵀXⱼ − I‖_F for j = 0..iterations: a guaranteed upper bound on the 2-norm.
  std::vector<double> ortho_error_history;
  /// Lanczos estimate of ‖XⱼᵀXⱼ − I‖₂ for the same iterates (a lower estimate, usually tight);
  /// NaN for the iterates PolarOptions::two_norm_each_iterate = false leaves unestimated.
  std::vector<double> ortho_error_2_history;
  /// Final ‖UᵀU − I‖₂ (Lanczos estimate) and ‖UᵀU − I‖_F.
  double ortho_error = 0.0;
  double ortho_error_fro = 0.0;

  /// α: X₀ = A/α.
  double scale = 0.0;
  /// ℓ₀: the lower bound on σ_min(A/α) the solver designed its first step for.
  double lower_bound = 0.0;
  /// Estimate of κ₂(A) = σ_max/σ_min (exact for svd; from the first Gram matrix otherwise).
  double cond_estimate = 0.0;
  /// ‖A − UH‖_F / ‖A‖_F (NaN unless H was computed).
  double backward_error = 0.0;
  /// ‖A‖_* = tr(H) (NaN unless H was computed).
  double nuclear_norm = 0.0;

  /// Floating-point operations performed (GEMM counted as 2mnk, SYRK as mnk) and the number of
  /// matrix–matrix products (GEMM or SYRK calls) among them.
  double flops = 0.0;
  std::int64_t products = 0;
};

}  // namespace polarkit
