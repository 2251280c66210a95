// auto: adaptive Polar Express or QDWH, from the spectrum of X₀ that a Newton–Schulz run
// measures first anyway (its Gram matrix G and a Lanczos run: κ̂ = √(λ_max/λ_min)). Where Polar
// Express is chosen the choice cost at most one Cholesky factorisation (n³/3; O(n) where the
// spectrum is tight); where QDWH is, one Gram matrix (n³ of its 20–30n³). Lanczos approaches λ_min from above, and an isolated small
// singular value (one near-zero σ among well-spread ones) can stay unseen for more steps than it
// takes: κ̂ alone would send such a matrix down the Newton–Schulz path, whose backward error
// grows with κ. So a small κ̂ is certified: G − τI must have a Cholesky factor, τ = λ_max/κ²
// for the κ the path allows (×1.5), raised to 8× G's rounding floor where that is larger
// (below it a computed G cannot tell; in float that caps the certified κ near 130 at n = 256).
// The limits on κ, measured with bench/compare_cpu.py (docs/performance.md, "auto"):
//  - accuracy: adaptive Polar Express keeps orthogonality and backward error within the 13ε
//    bar up to κ ≈ 250 (f64, n = 1024) and 500+ (n ≤ 512), in float up to κ ≈ 250 for n ≥ 512
//    and ≈ 1e3 for n ≤ 256; QDWH keeps it for every κ. The limits stay 2× or more below;
//  - speed on the CPU, where a QDWH Cholesky step (≈ 3.3n³) replaces a quintic step (4n³) and
//    QDWH needs 3 (float) or 4 (double) of them at κ = 10 against Polar Express's 5: Polar
//    Express is faster for well-conditioned inputs and small n (κ = 1: 49 against 77 ms, float,
//    n = 1024), QDWH from κ ≈ 10 at n ≥ 1024 in float (2048: 0.78 against 1.03 s). On a GPU,
//    where products are the fastest kind of flop, the accuracy limits alone decide (the speed
//    there is not measured yet).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/orthogonality.hpp"
#include "core/solvers.hpp"

namespace polarkit::detail {

template <class T>
double newton_schulz_kappa_limit(index_t n, MemorySpace space) {
  constexpr bool single = std::is_same_v<T, float>;
  const double accurate = single ? (n <= 256 ? 2e3 : 50.0) : (n <= 512 ? 100.0 : 50.0);
  if (space != MemorySpace::host) return accurate;
  const double fast = single ? (n <= 256 ? 2e3 : n <= 512 ? 50.0 : 3.0) : (n <= 512 ? 100.0 : 10.0);
  return std::min(accurate, fast);
}

template <class T>
bool certify_condition(Ops<T>& ops, MatrixView<const T> G, double e_fro, double lambda_max,
                       double kappa) {
  const double floor = gram_rounding_floor(G.rows(), ops.rounding());
  const double allowed = 1.5 * kappa;  // the limits keep 2× or more from a failure
  const double tau = lambda_max * std::max(1.0 / (allowed * allowed), 8.0 * floor);
  if (!(tau > 0.0) || !std::isfinite(tau)) return false;
  Backend<T>& be = ops.backend();
  // First the O(n) bound of a tight spectrum (κ near 1, where the Cholesky factorisation would
  // cost as much as the one or two steps that follow): with c = tr(G)/n, Weyl's inequality gives
  // λ_min ≥ c − ‖G − cI‖₂ ≥ c − ‖G − cI‖_F, and ‖G − cI‖_F² = ‖G − I‖_F² − (tr G − n)²/n.
  const double n = static_cast<double>(G.rows());
  const double trace = be.trace(G);
  const double mean = trace / n;
  const double spread = std::sqrt(std::max(0.0, e_fro * e_fro - (trace - n) * (trace - n) / n));
  if (mean - spread >= tau) return true;
  Matrix<T> Z = ops.allocate(G.rows(), G.cols());
  be.copy(1.0, G, Z.view());
  be.add_diagonal(-tau, Z.view());
  const bool positive = be.cholesky(Z.view());
  ops.add_flops(n * n * n / 3.0);
  return positive;
}

template double newton_schulz_kappa_limit<float>(index_t, MemorySpace);
template double newton_schulz_kappa_limit<double>(index_t, MemorySpace);
template bool certify_condition<float>(Ops<float>&, MatrixView<const float>, double, double,
                                      double);
template bool certify_condition<double>(Ops<double>&, MatrixView<const double>, double, double,
                                       double);

}  // namespace polarkit::detail
