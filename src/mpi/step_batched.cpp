// mpi::optim::step_batched: optimizer steps of a list of parameters over the ranks of a
// communicator (polarkit/mpi.hpp); the steps themselves are distributed_call's.
#include <algorithm>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "mpi/agreement.hpp"
#include "mpi/distributed_call.hpp"
#include "optim/checks.hpp"
#include "polarkit/mpi.hpp"
#include "polarkit/optim.hpp"

namespace polarkit::mpi::optim {

using polarkit::optim::Config;
using polarkit::optim::StepReport;

template <class T>
std::vector<StepReport> step_batched(MPI_Comm comm, const Config& config,
                                     std::span<const MatrixView<T>> W,
                                     std::span<const MatrixView<const T>> G,
                                     std::span<const MatrixView<T>> M,
                                     const Distribution& distribution) {
  constexpr std::string_view who = "mpi::optim::step_batched";
  const bool sharded = distribution.shard_state;
  const auto m_of = [&](std::size_t i) { return i < M.size() ? M[i] : MatrixView<T>(); };

  detail::Call<T, StepReport> call;
  call.who = who;
  detail::Fingerprint fingerprint;
  fingerprint.add('S').add(sizeof(T)).add(W.size()).add(M.empty()).add(sharded);
  for (std::size_t i = 0; i < W.size(); ++i) {
    // Layouts too, as mpi::polar_batched's: the oracle's products depend on them.
    fingerprint.add(W[i].rows()).add(W[i].cols()).add(W[i].layout());
    fingerprint.add(i < G.size() ? G[i].layout() : Layout::col_major);
    // A sharded state is the owner's alone: other ranks may pass anything for it.
    if (!sharded) fingerprint.add(m_of(i).empty()).add(m_of(i).layout());
    call.shapes.emplace_back(W[i].rows(), W[i].cols());
  }
  call.fingerprint = fingerprint.add(config).value();
  call.assign = [&] { return assign<T>(comm, config, W); };
  call.check = [&](std::span<const std::size_t> owned) {
    const auto holds_state = [&](std::size_t i) {
      return !sharded || std::binary_search(owned.begin(), owned.end(), i);
    };
    polarkit::optim::detail::validate_step_batch<T>(who, false, config, W, G, M, holds_state);
    detail::require_host<T>(who, "W", W);
    detail::require_finite<T>(who, "the gradient G", G, owned);
  };
  call.solve = [&](std::span<const std::size_t> group) {
    return polarkit::optim::step_batched<T>(config, detail::pick(W, group),
                                            detail::pick(G, group), detail::pick(M, group));
  };
  call.outputs = [&](std::size_t i) {
    return detail::Outputs<T>{W[i], sharded ? MatrixView<T>() : m_of(i)};
  };
  return detail::run(comm, call);
}

#define POLARKIT_INSTANTIATE(T)                                                               \
  template std::vector<StepReport> step_batched<T>(                                          \
      MPI_Comm, const Config&, std::span<const MatrixView<T>>,                               \
      std::span<const MatrixView<const T>>, std::span<const MatrixView<T>>, const Distribution&);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::mpi::optim
