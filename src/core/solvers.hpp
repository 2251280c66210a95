// The solvers. Each takes X = A/α (tall, column-major, in the backend's memory), overwrites it
// with the polar factor U of A and fills in its part of the PolarInfo. Scaling, transposition of
// wide inputs, H and the backward error are the caller's (polar.cpp), shared by every solver.
#pragma once

#include "core/orthogonality.hpp"
#include "polarkit/info.hpp"
#include "polarkit/options.hpp"

namespace polarkit::detail {

template <class T>
void solve_svd(Ops<T>& ops, Matrix<T>& X, PolarInfo& info);

/// Be: Backend<T>, or ProductBackend<T> for the reduced-precision formats (reduced_precision.hpp).
template <class T, class Be>
void solve_newton_schulz(Ops<T, Be>& ops, Matrix<T>& X, Schedule& schedule,
                         const PolarOptions& options, PolarInfo& info);

/// Newton–Schulz steps from an iterate that `meter` has just measured as `s` (and that is
/// already recorded in info): the tail other solvers hand over to once X is nearly orthogonal.
template <class T, class Be>
void continue_newton_schulz(Ops<T, Be>& ops, Matrix<T>& X, Schedule& schedule,
                            const PolarOptions& options, PolarInfo& info,
                            OrthogonalityMeter<T, Be>& meter, GramSpectrum s);

/// The rational iterations work on a square, nonsingular-in-practice X (see reduction.hpp);
/// ell0 is a lower bound on σ_min(X), σ_max(X) ≲ 1.
template <class T>
void solve_qdwh(Ops<T>& ops, Matrix<T>& X, double ell0, const PolarOptions& options,
                PolarInfo& info);

template <class T>
void solve_newton(Ops<T>& ops, Matrix<T>& X, double ell0, const PolarOptions& options,
                  PolarInfo& info);

template <class T>
void solve_zolo(Ops<T>& ops, Matrix<T>& X, double ell0, const PolarOptions& options,
                PolarInfo& info);

/// auto's choice for a normalised X₀ with σ_min(X₀) ≥ ell0 (src/core/select_method.cpp).
template <class T>
Method select_method(double ell0);

}  // namespace polarkit::detail
