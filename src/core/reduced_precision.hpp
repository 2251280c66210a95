// Newton–Schulz iterations in a reduced precision (PolarOptions::precision).
#pragma once

#include "core/schedule.hpp"
#include "core/solvers.hpp"

namespace polarkit::detail {

/// Runs `schedule` on X = A/α in options.precision: X is rounded once to the 16-bit storage
/// format (or kept in float with TF32 products), iterated there and widened back into X; with
/// options.refine the iteration then continues in T (adaptive Polar Express steps) to working
/// precision. The reduced steps are reported as StepKind::reduced. Precision::working runs the
/// plain iteration in T.
template <class T>
void solve_reduced_precision(Ops<T>& ops, Matrix<T>& X, Schedule& schedule,
                             const PolarOptions& options, PolarInfo& info);

}  // namespace polarkit::detail
