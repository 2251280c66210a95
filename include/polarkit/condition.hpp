// polarkit/condition.hpp — a cheap estimate of the 2-norm condition number κ₂(A) = σ_max/σ_min.
#pragma once

#include "polarkit/matrix.hpp"

namespace polarkit {

/// What estimate_condition() found: κ₂(A) from above and the values it came from.
struct ConditionEstimate {
  /// Lanczos estimate of σ_max(A): from below, typically within a few per cent.
  double sigma_max = 0.0;
  /// Lower bound on σ_min(A) from the R of a QR factorisation: max(1/(√n‖R⁻¹‖₁),
  /// 1/√(‖R⁻¹‖₁‖R⁻¹‖_∞)) with the norms estimated by LAPACK trcon; 0 when R is singular.
  double sigma_min_bound = 0.0;
  /// sigma_max / sigma_min_bound: an over-estimate of κ₂(A), measured 1–6× κ on random
  /// matrices of order 200–300 (docs/accuracy.md); +∞ for a singular or zero A.
  double kappa = 0.0;
};

/// Costs one QR of the tall orientation of A (≈ 2mn² − 2n³/3 flops) and 40 Lanczos steps.
/// Throws Error(non_finite_input) for NaN/Inf entries. `auto` uses the same bound.
template <class T>
ConditionEstimate estimate_condition(MatrixView<const T> A);

// A mutable view or an owning Matrix as A (deduction does not see through their conversions).
template <class T>
ConditionEstimate estimate_condition(MatrixView<T> A) {
  return estimate_condition(MatrixView<const T>(A));
}
template <class T>
ConditionEstimate estimate_condition(const Matrix<T>& A) {
  return estimate_condition(A.view());
}

}  // namespace polarkit
