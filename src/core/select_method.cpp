// auto: which method to run, from the κ bound the QR gives (κ(X₀) ≤ 1/ℓ₀, usually within a
// factor 10–50 of the true κ) and the precision. The reasons, measured by `polarkit sweep`,
// are in docs/accuracy.md:
//  - the Newton–Schulz family is matrix products only (the fastest kind of flop, on a GPU
//    above all) and reaches the best orthogonality, but its backward error grows with κ and its
//    step count with log κ;
//  - QDWH keeps the backward error at a few ε for every κ up to 1/u in ≤ 6 iterations.
// In float, Newton–Schulz stays within the float bars over the whole usable range of κ bounds
// below 1e5; in double its backward error exceeds QDWH's from κ ≈ 1e2 on.
#include <type_traits>

#include "core/solvers.hpp"

namespace polarkit::detail {

template <class T>
Method select_method(double ell0) {
  const double kappa_bound = ell0 > 0.0 ? 1.0 / ell0 : std::numeric_limits<double>::infinity();
  const double newton_schulz_limit = std::is_same_v<T, float> ? 1e5 : 1e2;
  return kappa_bound <= newton_schulz_limit ? Method::polar_express_adaptive : Method::qdwh;
}

template Method select_method<float>(double);
template Method select_method<double>(double);

}  // namespace polarkit::detail
