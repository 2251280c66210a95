// X₀ = A/α: the scaling every iterative solver starts from, safe for any magnitude of A.
#pragma once

#include "core/kernels/ops.hpp"
#include "polarkit/options.hpp"

namespace polarkit::detail {

/// The margin of the spectral scaling: Lanczos approaches σ_max from below, and α = 1.02·σ̂_max
/// (capped by ‖A‖_F) is an upper bound on σ_max in practice.
inline constexpr double spectral_margin = 1.02;

/// X = A/α with α ≥ σ_max(A) (Frobenius) or ≈ σ_max(A) (spectral: a Lanczos estimate with a 2%
/// margin, capped by ‖A‖_F), times safety; amax = max |a_ij| > 0. Returns α. A power of two
/// first brings the largest entry to [1/2, 1), so no square overflows or underflows, whatever
/// the magnitude of A.
template <class T>
double normalise(Ops<T>& ops, MatrixView<const T> A, MatrixView<T> X, double amax, Scaling scaling,
                 double safety);

/// Lanczos estimate (from below) of σ_max(X), computed on X·2^-exponent (exactly scaled) so
/// that a large X does not overflow its Gram products.
template <class T>
double sigma_max_estimate(Ops<T>& ops, MatrixView<const T> X, int exponent = 0);

}  // namespace polarkit::detail
