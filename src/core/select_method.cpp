// auto: which method to run, from the κ bound the QR gives (κ(X₀) ≤ 1/ℓ₀, usually within a
// factor 1–6 of the true κ) and the precision. The reasons, measured by `polarkit sweep`,
// are in docs/accuracy.md:
//  - the Newton–Schulz family is matrix products only (the fastest kind of flop, on a GPU
//    above all) and reaches the best orthogonality, but its backward error grows with κ and its
//    step count with log κ;
//  - QDWH keeps the backward error at a few ε for every κ up to 1/u in ≤ 6 iterations.
// The bound is measured 1.02–5.4× κ (docs/accuracy.md). In float, adaptive Polar Express keeps
// orthogonality and backward error within 13ε up to κ ≈ 1e3 but not at 1e4 (16ε), and on this
// CPU it is no faster than QDWH from κ ≈ 500: a limit of 1e4 on the bound picks it for κ ≲ 1e3.
// In double its backward error exceeds QDWH's from κ ≈ 1e2 on.
#include <type_traits>

#include "core/solvers.hpp"

namespace polarkit::detail {

template <class T>
Method select_method(double ell0) {
  const double kappa_bound = ell0 > 0.0 ? 1.0 / ell0 : std::numeric_limits<double>::infinity();
  const double newton_schulz_limit = std::is_same_v<T, float> ? 1e4 : 1e2;
  return kappa_bound <= newton_schulz_limit ? Method::polar_express_adaptive : Method::qdwh;
}

template Method select_method<float>(double);
template Method select_method<double>(double);

}  // namespace polarkit::detail
