// The main of every MPI test program: MPI around GoogleTest. Every rank runs every test (the
// collectives need all of them); only rank 0 prints, and the exit status is the same on every
// rank (failed anywhere = failed), so that mpiexec reports one verdict.
#include <mpi.h>

#include <cstdio>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    // Failures on other ranks still print through the failure listener's stderr output.
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int local = RUN_ALL_TESTS();
  int any = 0;
  MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (local != 0) {
    std::fprintf(stderr, "rank %d: tests failed\n", rank);
  }
  MPI_Finalize();
  return any;
}
