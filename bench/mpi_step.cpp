// bench_mpi_step: one Muon step of a GPT-like model's matrices over MPI ranks
// (mpi::optim::step_batched), against the same step in one process.
//
//   OPENBLAS_NUM_THREADS=1 mpirun -n 2 build/release/bench/bench_mpi_step [repetitions=3]
//
// The list: 12 layers × {768×768 ×4 (attention), 768×3072, 3072×768 (MLP)} = 72 float matrices,
// W and G uniform in [−1, 1) (SplitMix64, the same on every rank), M = 0; Config{} (Muon: 5
// Jordan steps, U alone, momentum 0.95 with Nesterov). Printed by rank 0:
//  - the single process: optim::step_batched per shape group (the loop a one-process trainer
//    runs), timed on rank 0 before the distributed runs, whatever the rank count, while the other
//    ranks wait (so that every run prints both, and the distributed W is checked against it);
//  - the distributed step, replicated state (W and M gathered) and sharded state (W alone);
//  - the all-gather alone (packing, MPI_Allgatherv, unpacking of W and M, as the replicated step
//    does it) and the bytes each rank sends and receives in it;
//  - whether the distributed W and M are bit for bit those of the single process.
// Times: the best of the repetitions and every one of them, each between two barriers; W and M
// are restored before each (untimed). The calls keep their gathered buffer
// (mpi::release_buffers), so the first repetition also pages it in. Run with one BLAS thread per
// rank and no more ranks than cores.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "blas/blas.hpp"
#include "mpi/exchange.hpp"
#include "polarkit/matrix.hpp"
#include "polarkit/mpi.hpp"
#include "polarkit/optim.hpp"
#include "testkit/accuracy.hpp"
#include "testkit/random.hpp"

namespace {

using polarkit::index_t;
using polarkit::Matrix;
using polarkit::MatrixView;

struct Model {
  std::vector<Matrix<float>> W;
  std::vector<Matrix<float>> G;
  std::vector<Matrix<float>> M;
};

Matrix<float> uniform(index_t rows, index_t cols, std::uint64_t seed) {
  Matrix<float> X(rows, cols);
  polarkit::testkit::SplitMix64 rng(seed);
  float* x = X.data();
  for (index_t k = 0; k < rows * cols; ++k) x[k] = static_cast<float>(2.0 * rng.open01() - 1.0);
  return X;
}

Model gpt_like() {
  Model model;
  const index_t d = 768;
  std::uint64_t seed = 1;
  for (int layer = 0; layer < 12; ++layer) {
    const index_t shapes[6][2] = {{d, d}, {d, d}, {d, d}, {d, d}, {d, 4 * d}, {4 * d, d}};
    for (const auto& s : shapes) {
      model.W.push_back(uniform(s[0], s[1], seed++));
      model.G.push_back(uniform(s[0], s[1], seed++));
      model.M.emplace_back(s[0], s[1]);
    }
  }
  return model;
}

void restore(std::vector<Matrix<float>>& to, const std::vector<Matrix<float>>& from) {
  for (std::size_t i = 0; i < to.size(); ++i) {
    std::memcpy(to[i].data(), from[i].data(),
                static_cast<std::size_t>(to[i].rows() * to[i].cols()) * sizeof(float));
  }
}

std::vector<Matrix<float>> copies(const std::vector<Matrix<float>>& X) {
  std::vector<Matrix<float>> c;
  for (const Matrix<float>& x : X) c.push_back(polarkit::testkit::clone(x));
  return c;
}

bool identical(const std::vector<Matrix<float>>& X, const std::vector<Matrix<float>>& Y) {
  for (std::size_t i = 0; i < X.size(); ++i) {
    if (std::memcmp(X[i].data(), Y[i].data(),
                    static_cast<std::size_t>(X[i].rows() * X[i].cols()) * sizeof(float)) != 0) {
      return false;
    }
  }
  return true;
}

template <class V>
std::vector<V> views(std::vector<Matrix<float>>& X) {
  std::vector<V> v;
  for (Matrix<float>& x : X) v.push_back(x.view());
  return v;
}

// A barrier whose waiting ranks sleep instead of spinning as MPI_Barrier does: while rank 0
// times the single process, a rank spinning in MPI_Barrier on the other core slowed it from 16
// to 25 s on the 2-vCPU benchmark machine.
void quiet_barrier() {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  for (int done = 0;;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done != 0) return;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

// The wall times of `repetitions` runs of f, each after prepare() and between barriers.
struct Times {
  std::vector<double> seconds;
  [[nodiscard]] double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
  // "7.453 s (runs: 11.438 7.464 7.453)": the best, and every run (the machine is noisy).
  [[nodiscard]] std::string text() const {
    char out[64];
    std::snprintf(out, sizeof out, "%.3f s (runs:", best());
    std::string s = out;
    for (const double t : seconds) {
      std::snprintf(out, sizeof out, " %.3f", t);
      s += out;
    }
    return s + ")";
  }
};

Times time_runs(int repetitions, const std::function<void()>& prepare,
                const std::function<void()>& f) {
  Times times;
  for (int r = 0; r < repetitions; ++r) {
    prepare();
    quiet_barrier();
    const auto start = std::chrono::steady_clock::now();
    f();
    quiet_barrier();
    times.seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return times;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int repetitions = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const polarkit::optim::Config config;  // Muon: 5 steps, U alone

  Model model = gpt_like();
  const std::vector<Matrix<float>> W0 = copies(model.W);  // the initial state
  const std::vector<Matrix<float>> M0 = copies(model.M);
  const auto reset = [&] {
    restore(model.W, W0);
    restore(model.M, M0);
  };
  auto W = views<MatrixView<float>>(model.W);
  auto M = views<MatrixView<float>>(model.M);
  std::vector<MatrixView<const float>> G;
  for (const auto& g : model.G) G.push_back(g.view());

  if (rank == 0) {
    std::printf("bench_mpi_step: 72 float matrices (12 layers x {768x768 x4, 768x3072, 3072x768}), "
                "Muon (5 steps, U alone), best of %d; %d rank%s, BLAS threads per rank: %d\n",
                repetitions, ranks, ranks == 1 ? "" : "s", polarkit::blas::threads());
  }

  // The single process: optim::step_batched per shape group, on rank 0, the others waiting.
  std::vector<Matrix<float>> single_W;
  std::vector<Matrix<float>> single_M;
  const Times single = time_runs(repetitions, reset, [&] {
    if (rank != 0) return;
    const index_t groups[3][2] = {{768, 768}, {768, 3072}, {3072, 768}};
    for (const auto& shape : groups) {
      std::vector<MatrixView<float>> w;
      std::vector<MatrixView<const float>> g;
      std::vector<MatrixView<float>> m;
      for (std::size_t i = 0; i < W.size(); ++i) {
        if (W[i].rows() != shape[0] || W[i].cols() != shape[1]) continue;
        w.push_back(W[i]);
        g.push_back(G[i]);
        m.push_back(M[i]);
      }
      polarkit::optim::step_batched<float>(config, w, g, m);
    }
  });
  if (rank == 0) {
    single_W = copies(model.W);
    single_M = copies(model.M);
    std::printf("single process (rank 0, optim::step_batched per shape): %s\n",
                single.text().c_str());
  }

  const Times replicated = time_runs(repetitions, reset, [&] {
    polarkit::mpi::optim::step_batched<float>(MPI_COMM_WORLD, config, W, G, M);
  });
  const bool same = rank != 0 || (identical(model.W, single_W) && identical(model.M, single_M));
  polarkit::mpi::optim::Distribution sharded_state;
  sharded_state.shard_state = true;
  const Times sharded = time_runs(repetitions, reset, [&] {
    polarkit::mpi::optim::step_batched<float>(MPI_COMM_WORLD, config, W, G, M, sharded_state);
  });

  // The all-gather alone: W and M of the replicated step, owned as the step assigns them.
  const polarkit::mpi::Assignment assignment =
      polarkit::mpi::optim::assign<float>(MPI_COMM_WORLD, config, std::span(W));
  std::vector<polarkit::optim::StepReport> reports(W.size());
  const std::function<polarkit::mpi::detail::Outputs<float>(std::size_t)> outputs =
      [&](std::size_t i) { return polarkit::mpi::detail::Outputs<float>{W[i], M[i]}; };
  polarkit::mpi::detail::Moved moved;
  const Times gather = time_runs(repetitions, [] {}, [&] {
    moved = polarkit::mpi::detail::exchange<float, polarkit::optim::StepReport>(
        MPI_COMM_WORLD, assignment, outputs, reports, {});
  });

  if (rank == 0) {
    std::printf(
        "ranks %d, mpi::optim::step_batched, replicated state: %s, %.2fx the single process\n",
        ranks, replicated.text().c_str(), single.best() / replicated.best());
    std::printf("ranks %d, mpi::optim::step_batched, sharded state: %s, %.2fx\n", ranks,
                sharded.text().c_str(), single.best() / sharded.best());
    std::printf(
        "ranks %d, the all-gather alone (W and M): %s; rank 0 sent %.1f MB, received %.1f MB\n",
        ranks, gather.text().c_str(), static_cast<double>(moved.sent) * 1e-6,
                static_cast<double>(moved.received) * 1e-6);
    std::printf("distributed W and M bit for bit those of the single process: %s\n",
                same ? "yes" : "NO");
  }
  MPI_Finalize();
  return same ? 0 : 1;
}
