// bench_scalapack_polar — polarkit::scalapack::polar on one n × n matrix distributed over all MPI
// processes (grid r × p/r, testkit/block_cyclic.hpp): QDWH against the pdgesvd-based reference,
// U and H both formed, best of 2 runs each. Plain main, run under mpirun:
//
//   OPENBLAS_NUM_THREADS=1 mpirun -n 4 build/dev/bench/bench_scalapack_polar [n [kappa [nb]]]
//
// n defaults to 2000, κ to 1e12, the block size nb to 64. A = P·diag(σ)·Qᵀ with σ geometric from
// 1 to 1/κ (testkit's householder_with_singular_values, built on every process and not timed).
// Printed by process 0: the grid; per method the wall time (the slowest process's, between
// barriers), GFLOP/s (info.flops / time), iterations, step letters, flops, products and the
// orthogonality of U; then the best run's phases (calls, seconds of the slowest process, GFLOP/s).
#include "testkit/block_cyclic.hpp"  // first: mpi.h's C interface

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "polarkit/scalapack.hpp"
#include "testkit/matrices.hpp"

namespace {

using polarkit::index_t;
using polarkit::Method;
using polarkit::PolarInfo;
namespace testkit = polarkit::testkit;

struct Timed {
  double seconds = std::numeric_limits<double>::infinity();
  PolarInfo info;
};

Timed best_of_two(const testkit::LocalPart<double>& A, testkit::LocalPart<double>& U,
                  testkit::LocalPart<double>& H, Method method) {
  polarkit::PolarOptions options = polarkit::scalapack::default_options();
  options.method = method;
  Timed best;
  for (int run = 0; run < 2; ++run) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double start = MPI_Wtime();
    PolarInfo info = polarkit::scalapack::polar(A.view(), U.mutable_view(), H.mutable_view(), options);
    double seconds = MPI_Wtime() - start;
    MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (seconds < best.seconds) best = {seconds, std::move(info)};
  }
  return best;
}

void print(const char* name, const Timed& t) {
  const PolarInfo& r = t.info;
  std::printf("%-6s %9.3f %9.2f %6d %-8s %11.4e %8lld %11.3e\n", name, t.seconds,
              r.flops / t.seconds / 1e9, r.iterations,
              r.steps.empty() ? "-" : polarkit::step_letters(r.steps).c_str(), r.flops,
              static_cast<long long>(r.products), r.ortho_error_fro);
}

void print_phases(const char* name, const Timed& t) {
  std::printf("\n%s phases (best run)\n%-18s %6s %9s %9s\n", name, "phase", "calls", "seconds",
              "GFLOP/s");
  for (const polarkit::PhaseTime& p : t.info.phases) {
    std::printf("%-18s %6d %9.3f %9.2f\n", p.name.c_str(), p.calls, p.seconds,
                p.seconds > 0.0 ? p.flops / p.seconds / 1e9 : 0.0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const index_t n = argc > 1 ? std::atol(argv[1]) : 2000;
  const double kappa = argc > 2 ? std::atof(argv[2]) : 1e12;
  const int nb = argc > 3 ? std::atoi(argv[3]) : 64;
  const testkit::ProcessGrid& g = testkit::process_grid();
  int status = 0;
  try {
    const polarkit::Matrix<double> A = testkit::householder_with_singular_values<double>(
        n, n, testkit::geometric_spectrum(n, kappa), 2000);
    const testkit::BlockLayout layout{nb, nb, 0, 0};
    const testkit::LocalPart<double> a = testkit::distribute(A, layout);
    testkit::LocalPart<double> u = testkit::distributed_zeros<double>(n, n, layout);
    testkit::LocalPart<double> h = testkit::distributed_zeros<double>(n, n, layout);
    const Timed qdwh = best_of_two(a, u, h, Method::qdwh);
    const Timed svd = best_of_two(a, u, h, Method::svd);
    if (g.rank == 0) {
      const char* threads = std::getenv("OPENBLAS_NUM_THREADS");
      std::printf("scalapack_polar: n = %lld, kappa = %.0e, grid %dx%d (%d processes), nb = %d, "
                  "OPENBLAS_NUM_THREADS = %s; best of 2, U and H\n",
                  static_cast<long long>(n), kappa, g.nprow, g.npcol, g.size, nb,
                  threads != nullptr ? threads : "unset");
      std::printf("%-6s %9s %9s %6s %-8s %11s %8s %11s\n", "method", "seconds", "GFLOP/s", "iters",
                  "steps", "flops", "products", "ortho_fro");
      print("qdwh", qdwh);
      print("svd", svd);
      std::printf("qdwh/svd time: %.2f; qdwh: scale %.4g, lower_bound %.3e, cond_estimate %.3e, "
                  "rank %d, converged %d\n",
                  qdwh.seconds / svd.seconds, qdwh.info.scale, qdwh.info.lower_bound,
                  qdwh.info.cond_estimate, qdwh.info.rank, qdwh.info.converged ? 1 : 0);
      print_phases("qdwh", qdwh);
      print_phases("svd", svd);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: %s\n", g.rank, e.what());
    status = 1;
  }
  MPI_Finalize();
  return status;
}
