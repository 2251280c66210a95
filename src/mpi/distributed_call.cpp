// The steps every distributed call takes (distributed_call.hpp).
#include "mpi/distributed_call.hpp"

#include <string>

#include "core/kernels/backend.hpp"
#include "mpi/agreement.hpp"
#include "mpi/comm.hpp"
#include "polarkit/error.hpp"

namespace polarkit::mpi::detail {

template <class V>
void require_host(std::string_view who, std::string_view name, std::span<const MatrixView<V>> X) {
  for (std::size_t i = 0; i < X.size(); ++i) {
    if (X[i].space() != MemorySpace::host) {
      throw Error(ErrorCode::invalid_argument,
                  std::string(who) + ": " + std::string(name) + "[" + std::to_string(i) +
                      "] is not in host memory (the distributed calls take host views)");
    }
  }
}

template <class T>
void require_finite(std::string_view who, std::string_view name,
                    std::span<const MatrixView<const T>> X, std::span<const std::size_t> items) {
  polarkit::detail::Backend<T>& be = polarkit::detail::backend_for<T>(MemorySpace::host);
  for (const std::size_t i : items) {
    if (!be.all_finite(X[i])) {
      throw Error(ErrorCode::non_finite_input, std::string(who) + ": " + std::string(name) + "[" +
                                                   std::to_string(i) + "] contains NaN or Inf");
    }
  }
}

std::vector<std::vector<std::size_t>> shape_groups(
    std::span<const std::pair<index_t, index_t>> shapes, std::span<const std::size_t> items) {
  std::vector<std::vector<std::size_t>> groups;
  std::vector<std::pair<index_t, index_t>> keys;  // a handful of shapes: a linear search will do
  for (const std::size_t i : items) {
    std::size_t g = 0;
    while (g < keys.size() && keys[g] != shapes[i]) ++g;
    if (g == keys.size()) {
      keys.push_back(shapes[i]);
      groups.emplace_back();
    }
    groups[g].push_back(i);
  }
  return groups;
}

namespace {

std::string describe(std::span<const std::size_t> group, std::pair<index_t, index_t> shape) {
  std::string s = std::to_string(shape.first) + "x" + std::to_string(shape.second) +
                  (group.size() == 1 ? " matrix " : " matrices ");
  for (std::size_t k = 0; k < group.size(); ++k) {
    s += (k == 0 ? "" : ", ") + std::to_string(group[k]);
  }
  return s;
}

}  // namespace

template <class T, class Report>
std::vector<Report> run(MPI_Comm comm, const Call<T, Report>& call) {
  const Ranks r = ranks_of(comm);
  const std::size_t count = call.shapes.size();

  // Every check before any work, agreed on before any output is written.
  Assignment assignment;
  std::vector<std::size_t> owned;
  const LocalError checked = capture([&] {
    assignment = call.assign();
    owned = assignment.owned_by(r.rank);
    call.check(owned);
  });
  agree_before_work(comm, call.who, call.fingerprint, count, checked);
  if (count == 0) return {};

  // The solve, one group of matrices of one shape at a time: the batched path iterates a
  // Newton–Schulz group together, and returns what separate calls would.
  std::vector<Report> reports(count);
  const LocalError solved = capture([&] {
    for (const std::vector<std::size_t>& group : shape_groups(call.shapes, owned)) {
      std::vector<Report> done;
      try {
        done = call.solve(group);
      } catch (const Error& e) {
        throw Error(e.code(), std::string(call.who) + ": rank " + std::to_string(r.rank) +
                                  ", the " + describe(group, call.shapes[group.front()]) + ": " +
                                  e.what());
      }
      for (std::size_t k = 0; k < group.size(); ++k) reports[group[k]] = std::move(done[k]);
    }
  });
  exchange<T, Report>(comm, assignment, call.outputs, reports, solved);
  return reports;
}

#define POLARKIT_INSTANTIATE(T)                                                                  \
  template void require_host<T>(std::string_view, std::string_view,                             \
                                std::span<const MatrixView<T>>);                                \
  template void require_host<const T>(std::string_view, std::string_view,                       \
                                      std::span<const MatrixView<const T>>);                    \
  template void require_finite<T>(std::string_view, std::string_view,                           \
                                  std::span<const MatrixView<const T>>,                         \
                                  std::span<const std::size_t>);                                \
  template std::vector<PolarInfo> run<T, PolarInfo>(MPI_Comm, const Call<T, PolarInfo>&);       \
  template std::vector<polarkit::optim::StepReport> run<T, polarkit::optim::StepReport>(        \
      MPI_Comm, const Call<T, polarkit::optim::StepReport>&);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::mpi::detail
