// The argument checks of scalapack::polar, made collectively: each process checks what it can
// see (its descriptors against its place in the grid, its local arrays), the processes compare
// what must agree (descriptors but for LLD, options), and all of them throw the same Error —
// the one found on the first process in the grid's row-major order — or none does.
#pragma once

#include <string>

#include "mpi/scalapack/distributed.hpp"
#include "polarkit/options.hpp"
#include "polarkit/scalapack.hpp"

namespace polarkit::scalapack::detail {

/// The grid of A's context; throws Error(invalid_argument) at once (no communication) where A's
/// descriptor is null or this process is not in that grid.
Grid grid_of(const int* desc);

/// Operands and options, collectively over the grid (see above).
template <class T>
void validate(const Grid& grid, DistributedMatrix<const T> A, DistributedMatrix<T> U,
              DistributedMatrix<T> H, const PolarOptions& options);

/// Error(non_finite_input) on every process where any process's part of A holds NaN or Inf.
template <class T>
void require_finite(const Grid& grid, DistributedMatrix<const T> A);

/// Every process throws Error(code, message) of the first process (row-major) with a non-empty
/// message; returns where no process has one.
void agree_on_error(const Grid& grid, ErrorCode code, const std::string& message);

}  // namespace polarkit::scalapack::detail
