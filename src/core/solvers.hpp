// The solvers. Each takes X = A/α (tall, column-major, in the backend's memory), overwrites it
// with the polar factor U of A and fills in its part of the PolarInfo. Scaling, transposition of
// wide inputs, H and the backward error are the caller's (polar.cpp), shared by every solver.
#pragma once

#include "core/ops.hpp"
#include "polarkit/info.hpp"
#include "polarkit/options.hpp"

namespace polarkit::detail {

class Schedule;

template <class T>
void solve_svd(Ops<T>& ops, Matrix<T>& X, PolarInfo& info);

template <class T>
void solve_newton_schulz(Ops<T>& ops, Matrix<T>& X, Schedule& schedule,
                         const PolarOptions& options, PolarInfo& info);

}  // namespace polarkit::detail
