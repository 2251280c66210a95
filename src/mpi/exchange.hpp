// How the results of a distributed call reach every rank: each rank packs the outputs of the
// matrices it solved (column-major, whatever the callers' layouts) and their reports into one
// byte segment, and one MPI_Allgatherv of the segments, in place, gives every rank all of them.
#pragma once

#include <mpi.h>

#include <array>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "mpi/agreement.hpp"
#include "polarkit/info.hpp"
#include "polarkit/matrix_view.hpp"
#include "polarkit/mpi.hpp"
#include "polarkit/optim.hpp"

namespace polarkit::mpi::detail {

// --- reports as bytes ---------------------------------------------------------------------------

/// Appends every field of a report to out (the ranks share one data representation).
void write(std::vector<std::byte>& out, const PolarInfo& info);
void write(std::vector<std::byte>& out, const polarkit::optim::StepReport& report);

/// Reads a report written by write from the front of in, and drops its bytes from in. Throws
/// Error(backend_failure) if in ends first.
void read(std::span<const std::byte>& in, PolarInfo& info);
void read(std::span<const std::byte>& in, polarkit::optim::StepReport& report);

/// How many fields of PolarInfo write() carries: the tests hold it to for_each_field's count, so
/// that a new field cannot be left behind.
int serialised_fields();

// --- matrices as bytes --------------------------------------------------------------------------

/// A's elements, column-major, into out (rows·cols·sizeof(T) bytes), whatever A's layout.
template <class T>
void pack(MatrixView<const T> A, std::byte* out);

/// The reverse: A's elements from the column-major bytes at in.
template <class T>
void unpack(const std::byte* in, MatrixView<T> A);

// --- the all-gather -----------------------------------------------------------------------------

/// Where each rank's segment lies in the gathered buffer. MPI's counts and displacements are
/// ints: segments are counted in units of `unit` bytes (a power of two, 1 while the whole buffer
/// holds at most `limit` bytes), each segment padded to a whole number of units.
struct GatherLayout {
  std::size_t unit = 1;
  std::vector<int> counts;           ///< per rank, in units
  std::vector<int> displacements;    ///< per rank, in units
  std::vector<std::size_t> offset;   ///< per rank, in bytes
  std::size_t bytes = 0;             ///< the whole buffer
};

/// The layout of segments of the given sizes (bytes, one per rank), at most `limit` units in all.
/// Throws Error(invalid_argument) if no unit MPI can describe fits (beyond 2^61 bytes).
GatherLayout gather_layout(std::span<const std::int64_t> sizes, std::int64_t limit = INT_MAX);

/// MPI_Allgatherv in place: each rank's segment is already at its offset in buffer (layout.bytes
/// long); afterwards every segment is. Collective.
void allgather_in_place(MPI_Comm comm, std::byte* buffer, const GatherLayout& layout);

// --- the exchange of a call ----------------------------------------------------------------------

/// The matrices of one list item that every rank receives from its owner (empty views: none).
template <class T>
using Outputs = std::array<MatrixView<T>, 2>;

/// Bytes this rank sent (its segment) and received (the other segments).
struct Moved {
  std::size_t sent = 0;
  std::size_t received = 0;
};

/// After the solve: reports[i] of the items this rank owns are filled in, their outputs written.
/// Agrees on `solved` (the solve's failure on any rank is thrown on every rank, as is a failure
/// to allocate the gathered buffer, which is kept for the next call), then one MPI_Allgatherv:
/// afterwards every item's outputs and reports[i] hold the owner's. limit: as gather_layout's
/// (the tests lower it). Collective.
template <class T, class Report>
Moved exchange(MPI_Comm comm, const Assignment& assignment,
               const std::function<Outputs<T>(std::size_t)>& outputs, std::vector<Report>& reports,
               const LocalError& solved, std::int64_t limit = INT_MAX);

}  // namespace polarkit::mpi::detail
