// polarkit/mpi.hpp — many matrices over MPI ranks: every rank passes the same list, each matrix
// is solved by one rank, and every rank gets every result (the "distributed Muon" pattern: the
// gradients are replicated after the data-parallel all-reduce, the orthogonalisation is split).
//
//   // every rank: the same 72 gradients of a model, after MPI_Allreduce
//   std::vector<polarkit::MatrixView<const float>> G = ...;
//   std::vector<polarkit::MatrixView<float>> U = ...;              // same shapes, any layout
//   polarkit::PolarOptions o = polarkit::optim::Config::muon_oracle();
//   auto infos = polarkit::mpi::polar_batched<float>(MPI_COMM_WORLD, G, U, {}, o);
//   // every rank now holds all 72 U and all 72 reports
//
// The list may mix shapes, wide (m < n) ones included. Matrices are assigned to ranks by
// estimated cost (assign), each rank solves its share with polarkit::polar_batched (one call per
// shape, so the Newton–Schulz matrices of one shape iterate together), and one MPI_Allgatherv
// brings every U (and H) and every report to every rank. The results are bit for bit those of
// the single-process polarkit::polar_batched on the same views, for any number of ranks: each
// matrix is solved by one rank, on the same code path, and a batch returns what separate calls
// return (on ranks that run BLAS with the same thread count, as BLAS results depend on it).
//
// Every function here is collective over `comm`: all its ranks call it with the same list — count,
// shapes, element type and layouts (row- or column-major: H = sym(UᵀA) rounds differently for a
// row-major U) — and the same options, checked by a 64-bit fingerprint compared across ranks
// (leading dimensions and addresses may differ between ranks). An error on any rank is thrown on
// every rank — the same Error, code and message — so that no rank is left waiting in a
// collective. Host memory only; the ranks must share the data representation (one architecture),
// as the results travel as raw bytes.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <span>
#include <vector>

#include "polarkit/info.hpp"
#include "polarkit/matrix_view.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/options.hpp"

namespace polarkit::mpi {

/// Which rank solves which matrix of a list, and why: the greedy rule below.
struct Assignment {
  std::vector<int> owner;    ///< owner[i]: the rank that solves matrix i
  std::vector<double> cost;  ///< cost[i]: its estimated cost (estimated_cost, or as given)
  std::vector<double> load;  ///< load[r]: the total cost rank r solves (one entry per rank)

  /// The matrices rank r solves, in list order.
  [[nodiscard]] std::vector<std::size_t> owned_by(int rank) const;
};

/// The cost polar() is expected to take on a rows × cols matrix with these options, in units of
/// m·n² flops (m ≥ n: a wide matrix is solved as its transpose) per iteration, times the
/// iterations: the fixed budget of a fixed-budget run (options.steps, muon's 5 or its coefficient
/// table's length), else 6 — what QDWH takes to working precision, and near what the other
/// methods take to tolerance. Only the ratios between the matrices of one list steer the
/// assignment (one call has one method); 0 for an empty matrix.
double estimated_cost(index_t rows, index_t cols, const PolarOptions& options);

/// The assignment of matrices of the given costs to `ranks` ranks: longest first (by cost, ties
/// by list index), each onto the least-loaded rank so far (ties: the lowest rank). Deterministic:
/// every rank computes the same assignment from the same list, with no communication. Throws
/// Error(invalid_argument) for ranks < 1 or a cost that is negative or not finite.
Assignment assign(std::span<const double> costs, int ranks);

/// The assignment polar_batched makes of A over comm's ranks (costs from estimated_cost).
/// Local: no communication. Throws Error(invalid_argument) for an invalid communicator.
template <class T>
Assignment assign(MPI_Comm comm, std::span<const MatrixView<const T>> A,
                  const PolarOptions& options = {});

/// Polar decompositions of a list of matrices over the ranks of comm: U[i] (and H[i] when H is
/// not empty, H[i] not empty and options.compute_h is set) of A[i] on every rank, and every
/// rank's return value holds the reports of all matrices, in list order, each exactly as
/// polarkit::polar_batched reports it (the phases' seconds are the owner's timings).
///
/// Every rank passes the same list (count, shapes, type, layouts, which H are given) and
/// options. A[i] itself is read only by the rank that owns matrix i (assign); its U[i] and H[i]
/// are written by the owner and, through the exchange, on every other rank. U and H may have
/// any layout; operands follow polar_batched's rules (same shapes, the overlap rule across the
/// whole list), in host memory, but shapes may differ between matrices, wide ones included.
///
/// Throws, on every rank alike: Error(invalid_argument) "mpi::polar_batched: the matrix lists
/// differ across ranks (...)" when the lists or options differ, before any work; the argument
/// errors of polar_batched (invalid_argument, naming the item) and Error(non_finite_input) for a
/// NaN or Inf in any A[i] (in its owner's copy), before any output is written; a failure of a
/// solve (backend_failure, out_of_memory), after which outputs of other matrices may have been
/// written. The message is that of the lowest rank that failed.
template <class T>
std::vector<PolarInfo> polar_batched(MPI_Comm comm, std::span<const MatrixView<const T>> A,
                                     std::span<const MatrixView<T>> U,
                                     std::span<const MatrixView<T>> H,
                                     const PolarOptions& options = {});

/// The calls keep the buffer their results were gathered in (one per calling thread, the size
/// of the largest gathered result: every U and H, or W and M, of a list) for the next call, as a
/// training loop gathers the same sizes at every step: a fresh one is paged in again each time
/// (0.7–2.2 s for 680 MB on the benchmark machine, against 0.07 s for the MPI_Allgatherv itself).
/// This frees the calling thread's. Local.
void release_buffers() noexcept;

}  // namespace polarkit::mpi

namespace polarkit::mpi::optim {

/// How step_batched keeps the optimizer's state.
struct Distribution {
  /// false: the momentum state M is replicated — every rank passes all M[i], and after the step
  /// every rank holds every updated M[i] (as W).
  /// true (ZeRO-1 style): M[i] lives on the rank that owns matrix i (optim::assign) and only
  /// there: the owner updates it and it is never sent. On every other rank M[i] is neither read,
  /// written nor checked — it may be an empty view (MatrixView<T>()), or a stale copy. M still
  /// has one entry per matrix on every rank (or none, with momentum = 0). The owner of a matrix
  /// depends only on the shapes, the rank count, config.kind and config.oracle, so it stays the
  /// same from step to step (a learning-rate schedule does not move the state).
  bool shard_state = false;
};

/// The cost step_batched assigns by: the polar oracle's estimated_cost for Muon, PolarGrad and
/// the Spectral LMO, rows·cols for the element-wise LMOs (ColNorm, RowNorm, Sign). Only
/// config.kind and config.oracle enter, so the owners do not move with the learning rate.
double estimated_cost(const polarkit::optim::Config& config, index_t rows, index_t cols);

/// The assignment step_batched makes of W over comm's ranks: the polar oracle's estimated_cost
/// for Muon, PolarGrad and the Spectral LMO, rows·cols for the element-wise LMOs (ColNorm,
/// RowNorm, Sign). Local: no communication.
template <class T>
Assignment assign(MPI_Comm comm, const polarkit::optim::Config& config,
                  std::span<const MatrixView<T>> W);

/// optim::step_batched over the ranks of comm for a list of parameters that may mix shapes:
/// W[i] (and M[i]) updated from G[i], on every rank, and the reports of every parameter, in list
/// order, on every rank. Each rank steps the parameters it owns (assign; one
/// polarkit::optim::step_batched per shape), then W (and, with a replicated state, M) is
/// all-gathered. The result is bit for bit that of polarkit::optim::step on each parameter in
/// one process, for any number of ranks. G[i] is read only by its owner. Throws as
/// polar_batched does ("mpi::optim::step_batched: ..."), with step_batched's argument errors and
/// Error(non_finite_input) for a NaN or Inf in any G[i] (its owner's copy), all before any
/// parameter is updated.
template <class T>
std::vector<polarkit::optim::StepReport> step_batched(
    MPI_Comm comm, const polarkit::optim::Config& config, std::span<const MatrixView<T>> W,
    std::span<const MatrixView<const T>> G, std::span<const MatrixView<T>> M,
    const Distribution& distribution = {});

}  // namespace polarkit::mpi::optim
