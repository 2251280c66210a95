// mpi::polar_batched: polar decompositions of a list of matrices over the ranks of a
// communicator (polarkit/mpi.hpp); the steps themselves are distributed_call's.
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "core/solvers/solvers.hpp"
#include "mpi/agreement.hpp"
#include "mpi/distributed_call.hpp"
#include "polarkit/mpi.hpp"
#include "polarkit/polar.hpp"

namespace polarkit::mpi {

template <class T>
std::vector<PolarInfo> polar_batched(MPI_Comm comm, std::span<const MatrixView<const T>> A,
                                     std::span<const MatrixView<T>> U,
                                     std::span<const MatrixView<T>> H,
                                     const PolarOptions& options) {
  constexpr std::string_view who = "mpi::polar_batched";
  const auto h_of = [&](std::size_t i) { return i < H.size() ? H[i] : MatrixView<T>(); };
  // H[i] travels where its owner forms it: only then would a single process have written it.
  const auto forms_h = [&](std::size_t i) { return options.compute_h && !h_of(i).empty(); };

  detail::Call<T, PolarInfo> call;
  call.who = who;
  detail::Fingerprint fingerprint;
  fingerprint.add('P').add(sizeof(T)).add(A.size()).add(H.empty());
  for (std::size_t i = 0; i < A.size(); ++i) {
    // Layouts too: H = sym(UᵀA) rounds differently for a row-major U or A (another product
    // form), and the owner's layouts must give what every rank would have computed.
    fingerprint.add(A[i].rows()).add(A[i].cols()).add(A[i].layout()).add(h_of(i).empty());
    fingerprint.add(h_of(i).layout()).add(i < U.size() ? U[i].layout() : Layout::col_major);
    call.shapes.emplace_back(A[i].rows(), A[i].cols());
  }
  call.fingerprint = fingerprint.add(options).value();
  call.assign = [&] { return assign<T>(comm, A, options); };
  call.check = [&](std::span<const std::size_t> owned) {
    polarkit::detail::validate_polar_batch<T>(who, false, A, U, H, options);
    detail::require_host<const T>(who, "A", A);
    detail::require_finite<T>(who, "A", A, owned);
  };
  call.solve = [&](std::span<const std::size_t> group) {
    return polarkit::polar_batched<T>(detail::pick(A, group), detail::pick(U, group),
                                      detail::pick(H, group), options);
  };
  call.outputs = [&](std::size_t i) {
    return detail::Outputs<T>{U[i], forms_h(i) ? H[i] : MatrixView<T>()};
  };
  return detail::run(comm, call);
}

#define POLARKIT_INSTANTIATE(T)                                                              \
  template std::vector<PolarInfo> polar_batched<T>(                                         \
      MPI_Comm, std::span<const MatrixView<const T>>, std::span<const MatrixView<T>>,       \
      std::span<const MatrixView<T>>, const PolarOptions&);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::mpi
