// Extreme eigenvalues of a small symmetric tridiagonal matrix (the Lanczos projection), by
// Sturm-sequence bisection: exact to rounding, no LAPACK call, no host/device dependency.
#pragma once

#include <span>

namespace polarkit::detail {

struct Extremes {
  double min;
  double max;
};

/// diag has k entries, off the k − 1 sub-diagonal entries. k ≥ 1.
Extremes tridiagonal_extremes(std::span<const double> diag, std::span<const double> off);

}  // namespace polarkit::detail
