#include "core/linalg/tridiagonal.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

namespace polarkit::detail {
namespace {

// Number of eigenvalues below x (Sturm count of the LDLᵀ pivots of T − xI).
std::size_t count_below(std::span<const double> diag, std::span<const double> off, double x) {
  const double tiny = std::numeric_limits<double>::min();
  std::size_t count = 0;
  double q = 1.0;
  for (std::size_t i = 0; i < diag.size(); ++i) {
    const double coupling = i == 0 ? 0.0 : off[i - 1] * off[i - 1] / q;
    q = diag[i] - x - coupling;
    if (q == 0.0) q = -tiny;  // a zero pivot counts as an eigenvalue at x
    if (q < 0.0) ++count;
  }
  return count;
}

// The k-th smallest eigenvalue (0-based) inside the Gershgorin interval [lo, hi].
double bisect(std::span<const double> diag, std::span<const double> off, std::size_t k, double lo,
              double hi) {
  const double eps = std::numeric_limits<double>::epsilon();
  const double width = std::max(std::abs(lo), std::abs(hi));
  for (int it = 0; it < 200 && hi - lo > 2.0 * eps * width; ++it) {
    const double mid = 0.5 * (lo + hi);
    if (count_below(diag, off, mid) > k) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return 0.5 * (lo + hi);
}

}  // namespace

Extremes tridiagonal_extremes(std::span<const double> diag, std::span<const double> off) {
  double lo = diag[0];
  double hi = diag[0];
  for (std::size_t i = 0; i < diag.size(); ++i) {
    const double radius = (i > 0 ? std::abs(off[i - 1]) : 0.0) +
                          (i + 1 < diag.size() ? std::abs(off[i]) : 0.0);
    lo = std::min(lo, diag[i] - radius);
    hi = std::max(hi, diag[i] + radius);
  }
  return {bisect(diag, off, 0, lo, hi), bisect(diag, off, diag.size() - 1, lo, hi)};
}

}  // namespace polarkit::detail
