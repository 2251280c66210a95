// Newton–Schulz iterations in a reduced precision (PolarOptions::precision).
#pragma once

#include <span>

#include "core/design/schedule.hpp"
#include "core/solvers/solvers.hpp"

namespace polarkit::detail {

/// Runs each item's schedule on its X = A/α in options.precision: X is rounded once to the 16-bit storage
/// format (or kept in float with TF32 products), iterated there and widened back into X; with
/// options.refine the iteration then continues in T (adaptive Polar Express steps) to working
/// precision. The reduced steps are reported as StepKind::reduced. Precision::working runs the
/// plain iteration in T. The items iterate as one batch (solve_newton_schulz).
template <class T>
void solve_newton_schulz_in_precision(Ops<T>& ops, std::span<const NsItem<T>> batch,
                             const PolarOptions& options);

}  // namespace polarkit::detail
