// Checks of the communicator and of MPI's return codes (comm.hpp).
#include "mpi/comm.hpp"

#include <string>

#include "polarkit/error.hpp"

namespace polarkit::mpi::detail {

Ranks ranks_of(MPI_Comm comm) {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized == 0 || finalized != 0) {
    throw Error(ErrorCode::invalid_argument,
                "mpi: MPI is not initialised (call MPI_Init first) or already finalised");
  }
  if (comm == MPI_COMM_NULL) {
    throw Error(ErrorCode::invalid_argument, "mpi: the communicator is MPI_COMM_NULL");
  }
  int inter = 0;
  check(MPI_Comm_test_inter(comm, &inter), "MPI_Comm_test_inter");
  if (inter != 0) {
    throw Error(ErrorCode::invalid_argument,
                "mpi: an intercommunicator was passed; the ranks of one group are needed");
  }
  Ranks r;
  check(MPI_Comm_rank(comm, &r.rank), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &r.size), "MPI_Comm_size");
  return r;
}

void check(int rc, std::string_view what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  const std::string why = length > 0 ? std::string(text, static_cast<std::size_t>(length))
                                     : "MPI error " + std::to_string(rc);
  throw Error(ErrorCode::backend_failure, std::string(what) + " failed: " + why);
}

}  // namespace polarkit::mpi::detail
