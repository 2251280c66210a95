// Which rank solves which matrix: the cost estimate and the longest-first greedy rule
// (polarkit/mpi.hpp). Everything here is local: every rank computes the same assignment from the
// same list, so no communication decides it.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "mpi/comm.hpp"
#include "polarkit/error.hpp"
#include "polarkit/mpi.hpp"

namespace polarkit::mpi {

std::vector<std::size_t> Assignment::owned_by(int rank) const {
  std::vector<std::size_t> items;
  for (std::size_t i = 0; i < owner.size(); ++i) {
    if (owner[i] == rank) items.push_back(i);
  }
  return items;
}

double estimated_cost(index_t rows, index_t cols, const PolarOptions& options) {
  const auto m = static_cast<double>(std::max(rows, cols));
  const auto n = static_cast<double>(std::min(rows, cols));
  // A fixed budget is known; iterating to tolerance takes about 6 steps (QDWH's bound in
  // double, and near the Newton–Schulz family's count at moderate κ). One call has one method,
  // so the count only scales every cost alike; it keeps loads comparable between calls.
  int iterations = options.steps > 0 ? options.steps : default_steps(options.method);
  if (options.steps == 0 && options.method == Method::muon && options.coefficients.size() > 1) {
    iterations = static_cast<int>(options.coefficients.size());
  }
  if (iterations == 0) iterations = 6;
  return m * n * n * iterations;
}

Assignment assign(std::span<const double> costs, int ranks) {
  if (ranks < 1) {
    throw Error(ErrorCode::invalid_argument,
                "mpi::assign: the rank count must be at least 1, got " + std::to_string(ranks));
  }
  for (std::size_t i = 0; i < costs.size(); ++i) {
    if (!(std::isfinite(costs[i]) && costs[i] >= 0.0)) {
      throw Error(ErrorCode::invalid_argument, "mpi::assign: cost[" + std::to_string(i) +
                                                   "] must be finite and non-negative");
    }
  }
  Assignment a;
  a.cost.assign(costs.begin(), costs.end());
  a.owner.assign(costs.size(), 0);
  a.load.assign(static_cast<std::size_t>(ranks), 0.0);
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return costs[x] > costs[y]; });
  for (const std::size_t i : order) {
    // min_element returns the first of equal loads: ties go to the lowest rank.
    const auto least = std::min_element(a.load.begin(), a.load.end());
    a.owner[i] = static_cast<int>(least - a.load.begin());
    *least += costs[i];
  }
  return a;
}

namespace {

template <class Shapes, class Cost>
Assignment assign_by(MPI_Comm comm, const Shapes& views, Cost cost) {
  std::vector<double> costs;
  costs.reserve(views.size());
  for (const auto& v : views) costs.push_back(cost(v.rows(), v.cols()));
  return assign(costs, detail::ranks_of(comm).size);
}

}  // namespace

template <class T>
Assignment assign(MPI_Comm comm, std::span<const MatrixView<const T>> A,
                  const PolarOptions& options) {
  return assign_by(comm, A, [&](index_t m, index_t n) { return estimated_cost(m, n, options); });
}

namespace optim {

template <class T>
Assignment assign(MPI_Comm comm, const polarkit::optim::Config& config,
                  std::span<const MatrixView<T>> W) {
  using polarkit::optim::Kind;
  // Only kind and oracle enter: the owner of a sharded state must not move with the lr.
  const bool polar = config.kind == Kind::muon || config.kind == Kind::polargrad ||
                     config.kind == Kind::spectral;
  return assign_by(comm, W, [&](index_t m, index_t n) {
    return polar ? estimated_cost(m, n, config.oracle)
                 : static_cast<double>(m) * static_cast<double>(n);
  });
}

}  // namespace optim

#define POLARKIT_INSTANTIATE(T)                                                          \
  template Assignment assign<T>(MPI_Comm, std::span<const MatrixView<const T>>,          \
                                const PolarOptions&);                                    \
  template Assignment optim::assign<T>(MPI_Comm, const polarkit::optim::Config&,         \
                                       std::span<const MatrixView<T>>);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::mpi
