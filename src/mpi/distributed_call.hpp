// The steps every distributed call takes, whatever it solves (mpi::polar_batched,
// mpi::optim::step_batched): the checks and the agreement on them, the assignment, the solve of
// this rank's matrices one shape at a time, and the exchange of the results.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "mpi/exchange.hpp"
#include "polarkit/mpi.hpp"

namespace polarkit::mpi::detail {

/// One call: what it is, and what it does to an item (a list index).
template <class T, class Report>
struct Call {
  std::string_view who;           ///< names the entry point in messages ("mpi::polar_batched")
  std::uint64_t fingerprint = 0;  ///< of everything that must be equal on every rank
  std::vector<std::pair<index_t, index_t>> shapes;  ///< rows × cols of each item: the groups
  /// The assignment of the items to comm's ranks (may throw: it is checked with the arguments).
  std::function<Assignment()> assign;
  /// The argument checks of the whole list, then those of the inputs this rank reads (the items
  /// it owns, in list order: their finiteness). Throws Error; writes nothing.
  std::function<void(std::span<const std::size_t>)> check;
  /// Solves one group of this rank's items of one shape (list indices, in list order) and
  /// returns their reports in that order.
  std::function<std::vector<Report>(std::span<const std::size_t>)> solve;
  /// The outputs of item i that every rank receives from its owner.
  std::function<Outputs<T>(std::size_t)> outputs;
};

/// Runs a call over comm: collective. Returns the reports of all items, in list order, on every
/// rank; throws the same Error on every rank when any rank fails.
template <class T, class Report>
std::vector<Report> run(MPI_Comm comm, const Call<T, Report>& call);

/// X[i] for the i of `items`, in that order; none when X is empty (an operand not passed).
template <class V>
std::vector<V> pick(std::span<const V> X, std::span<const std::size_t> items) {
  std::vector<V> picked;
  if (X.empty()) return picked;
  for (const std::size_t i : items) picked.push_back(X[i]);
  return picked;
}

/// Throws Error(invalid_argument) "<who>: <name>[i] is not in host memory (...)" for the first
/// view that is not: the results travel through host buffers.
template <class V>
void require_host(std::string_view who, std::string_view name, std::span<const MatrixView<V>> X);

/// Throws Error(non_finite_input) "<who>: <name>[i] contains NaN or Inf" for the first of the
/// listed items whose matrix holds a NaN or an Inf.
template <class T>
void require_finite(std::string_view who, std::string_view name,
                    std::span<const MatrixView<const T>> X, std::span<const std::size_t> items);

/// The items of `items` grouped by shape, in order of each shape's first item; each group in the
/// order of `items`.
std::vector<std::vector<std::size_t>> shape_groups(
    std::span<const std::pair<index_t, index_t>> shapes, std::span<const std::size_t> items);

}  // namespace polarkit::mpi::detail
