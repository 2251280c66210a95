// The communicator as the distributed calls use it: checked before the first collective (a call
// on an invalid one fails on its own rank, as no collective could tell the others), and MPI's
// return codes turned into polarkit::Error where the communicator's handler returns them.
#pragma once

#include <mpi.h>

#include <string_view>

namespace polarkit::mpi::detail {

/// This rank and the number of ranks of comm. Throws Error(invalid_argument) when MPI is not
/// initialised (or already finalised), for MPI_COMM_NULL and for an intercommunicator.
struct Ranks {
  int rank = 0;
  int size = 1;
};
Ranks ranks_of(MPI_Comm comm);

/// Throws Error(backend_failure) "<what> failed: <MPI's error string>" unless rc is MPI_SUCCESS.
/// (Under the default handler, MPI_ERRORS_ARE_FATAL, a failed call aborts before it returns.)
void check(int rc, std::string_view what);

}  // namespace polarkit::mpi::detail
