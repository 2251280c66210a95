// QDWH's dynamically weighted Halley step X ← X(aI + bXᵀX)(I + cXᵀX)⁻¹ (Nakatsukasa, Bai & Gygi
// 2010): its weights for σ ∈ [ℓ, 1] and the limit on c below which a step may go through a
// Cholesky factor. Shared by the CPU solver (src/core/solvers/qdwh.cpp) and the ScaLAPACK one
// (src/mpi/scalapack/), so that both design the same steps from the same ℓ.
#pragma once

#include <algorithm>
#include <cmath>

namespace polarkit::detail {

struct Halley {
  double a, b, c;
  double ell_next;
};

// The optimal weights for σ ∈ [ℓ, 1] (long double: for ℓ ≈ 1e-16 the terms span 40 decades).
inline Halley dynamic_weights(double ell) {
  using real = long double;
  const real l = ell;
  const real l2 = l * l;
  const real gamma = std::cbrt(4 * (1 - l2) / (l2 * l2));
  const real root = std::sqrt(1 + gamma);
  const real a = root + std::sqrt(8 - 4 * gamma + 8 * (2 - l2) / (l2 * root)) / 2;
  const real b = (a - 1) * (a - 1) / 4;
  const real c = a + b - 1;
  const real next = l * (a + b * l2) / (1 + c * l2);
  return {static_cast<double>(a), static_cast<double>(b), static_cast<double>(c),
          static_cast<double>(std::min(next, real(1)))};
}

// Cholesky steps are stable while κ(Z) ≤ 1 + c ≤ 101 (Nakatsukasa & Higham 2013).
constexpr double cholesky_limit = 100.0;

}  // namespace polarkit::detail
