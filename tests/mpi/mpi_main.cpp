// The main of every MPI test program: MPI around GoogleTest. Every rank runs every test (the
// collectives need all of them); only rank 0 prints, and the exit status is the same on every
// rank (failed anywhere = failed), so that mpiexec reports one verdict.
#include <mpi.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace {

// A failed assertion on a rank other than 0: "[rank 1] Suite.Test: file:line: Failure" and its
// message. (The test's name is kept from OnTestStart: UnitTest::current_test_info() would wait
// for the lock AddTestPartResult holds while it calls this listener.)
class FailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestStart(const ::testing::TestInfo& test) override {
    test_ = std::string(test.test_suite_name()) + "." + test.name();
  }
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s: %s:%d: Failure\n%s\n", rank_, test_.c_str(),
                 result.file_name() != nullptr ? result.file_name() : "?", result.line_number(),
                 result.message());
  }

 private:
  int rank_;
  std::string test_;
};

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0) {
    // The other ranks print their failures alone, each line marked with the rank (without this,
    // a failure on rank 1 showed only as "rank 1: tests failed").
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailurePrinter(rank));
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
