// accuracy.hpp — accuracy measures of a computed polar decomposition, evaluated independently
// of the library (plain loops, long double accumulation), for `polarkit sweep`.
#pragma once

#include "polarkit/matrix_view.hpp"

namespace polarkit::cli {

/// ‖UᵀU − I‖_F for m ≥ n, ‖UUᵀ − I‖_F for m < n.
template <class T>
double orthogonality_fro(MatrixView<const T> U);

/// ‖A − U·H‖_F / ‖A‖_F (0 when A = 0 and U·H = 0).
template <class T>
double backward_error(MatrixView<const T> A, MatrixView<const T> U, MatrixView<const T> H);

/// ‖X − Y‖_F / ‖Y‖_F.
template <class T>
double relative_difference(MatrixView<const T> X, MatrixView<const T> Y);

}  // namespace polarkit::cli
