// auto: adaptive Polar Express, QDWH or (on the CPU) the SVD refined by Newton–Schulz steps,
// from the spectrum of X₀ that a Newton–Schulz run measures first anyway (its Gram matrix G and
// a Lanczos run: κ̂ = √(λ_max/λ_min)), and where that cannot tell, from the ℓ₀ that QDWH's
// reduction finds (refined_svd_suits below). Where Polar
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

#include "core/linalg/orthogonality.hpp"
#include "core/solvers/solvers.hpp"

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
bool refined_svd_suits(double ell, double kappa, index_t m, index_t n, MemorySpace space) {
  // Measured on the CPU only (a GPU's SVD is slow next to its products).
  if (space != MemorySpace::host) return false;
  // κ ≥ 1/(max(m, n)·ε): numerically singular, and the rank check after QDWH would take an SVD
  // of A on top (settle_rank); the SVD route gets the rank from its own singular values.
  // Its backward error grows like √n·u — measured 11–17.5u in double up to n = 2048, in float
  // 11–22u up to n = 1024 and 21–27u at 2048 — against QDWH's 10–17u: it is taken only where it
  // stays within the 13ε (26u) bar that auto is held to.
  constexpr index_t largest = std::is_same_v<T, float> ? 1024 : 2048;
  if (std::max(m, n) > largest) return false;
  const double epsilon = 2.0 * unit_roundoff<T>;
  if (kappa >= 1.0 / (static_cast<double>(std::max(m, n)) * epsilon)) return true;
  // A Householder QR step runs its panels at BLAS-2 speed: one costs as much as 2–3 Cholesky
  // steps in double (0.72–0.75 s at n = 2048) and, in float, where the Cholesky QR route is
  // closed for n ≥ 27, 0.09–0.11 s at n = 1024 against 0.02 for a Cholesky step. Measured on
  // the CPU (docs/performance.md, "auto"): with one such step QDWH is slower than the refined
  // SVD in double (n = 512–2048, κ = 1e4: 86/502/3698 ms against 79/425/3606) and faster in
  // float (κ = 1e3: 59/235/1503 against 61/279/1670); with two, 2× slower in float.
  const int allowed = std::is_same_v<T, float> ? 1 : 0;
  return qdwh_householder_steps(ell, n, unit_roundoff<T>) > allowed;
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
  return ops.cholesky(Z.view());
}

template double newton_schulz_kappa_limit<float>(index_t, MemorySpace);
template double newton_schulz_kappa_limit<double>(index_t, MemorySpace);
template bool refined_svd_suits<float>(double, double, index_t, index_t, MemorySpace);
template bool refined_svd_suits<double>(double, double, index_t, index_t, MemorySpace);
template bool certify_condition<float>(Ops<float>&, MatrixView<const float>, double, double,
                                      double);
template bool certify_condition<double>(Ops<double>&, MatrixView<const double>, double, double,
                                       double);

}  // namespace polarkit::detail
