// The C ABI of libpolarkit_mpi (include/polarkit/polarkit_mpi.h): the communicator arrives as its
// Fortran handle, the matrices as arrays of pointers with per-item shapes. Each rank prepares
// the call as the single-process entry points do (c_api/batch.hpp: checks, staging, views) and
// the ranks agree on the verdict before the collective call: a NULL pointer on one rank must
// fail every rank, not leave the others waiting in MPI_Allgatherv.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "c_api/batch.hpp"
#include "c_api/common.hpp"
#include "c_api/reports.hpp"
#include "mpi/agreement.hpp"
#include "polarkit/mpi.hpp"
#include "polarkit/polarkit_mpi.h"
#ifdef POLARKIT_HAVE_SCALAPACK
#include "mpi/scalapack/checks.hpp"
#include "polarkit/scalapack.hpp"
#endif

namespace polarkit::c_api {
namespace {

// The items' shapes from the caller's per-item arrays (ld_aux from ldh or ldm, which may be NULL
// with their matrices).
std::vector<ItemShape> items_of(std::int64_t count, const std::int64_t* m, const std::int64_t* n,
                                const std::int64_t* ld_in, const std::int64_t* ld_out,
                                const std::int64_t* ld_aux) {
  if (count < 0) invalid("count must be non-negative");
  std::vector<ItemShape> items(static_cast<std::size_t>(count));
  if (count == 0) return items;
  require_pointer(m, "m");
  require_pointer(n, "n");
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i] = {m[i], n[i], ld_in != nullptr ? ld_in[i] : 0, ld_out != nullptr ? ld_out[i] : 0,
                ld_aux != nullptr ? ld_aux[i] : 0};
  }
  return items;
}

MPI_Comm communicator(MPI_Fint comm) {
  const MPI_Comm c = MPI_Comm_f2c(comm);
  if (c == MPI_COMM_NULL) invalid("comm is MPI_COMM_NULL");
  return c;
}

template <class S>
int polar(const char* function, MPI_Fint comm, std::int64_t count, const std::int64_t* m,
          const std::int64_t* n, const S* const* a, const std::int64_t* lda, S* const* u,
          const std::int64_t* ldu, S* const* h, const std::int64_t* ldh,
          const polarkit_options* opts, polarkit_info* info) noexcept {
  last_reports().clear();
  for (std::int64_t i = 0; info != nullptr && i < count; ++i) reset(info[i]);
  return guarded(function, [&] {
    const MPI_Comm c = communicator(comm);
    std::optional<PolarBatch<S>> batch;
    mpi::detail::agree(c, mpi::detail::capture([&] {
      if (count > 0) {
        require_pointer(a, "a");
        require_pointer(u, "u");
        require_pointer(lda, "lda");
        require_pointer(ldu, "ldu");
        if (h != nullptr) require_pointer(ldh, "ldh");
      }
      const std::vector<ItemShape> items = items_of(count, m, n, lda, ldu, ldh);
      batch.emplace(items, a, u, h, opts, info != nullptr);
    }));
    using T = typename PolarBatch<S>::T;
    batch->finish(mpi::polar_batched<T>(c, batch->A, batch->U, batch->H, batch->options), info);
  });
}

template <class S>
int step(const char* function, MPI_Fint comm, const polarkit_optimizer* opt, std::int64_t count,
         const std::int64_t* m, const std::int64_t* n, S* const* w, const std::int64_t* ldw,
         const S* const* g, const std::int64_t* ldg, S* const* momentum, const std::int64_t* ldm,
         int shard_state, double* step_nu) noexcept {
  for (std::int64_t i = 0; step_nu != nullptr && i < count; ++i) {
    step_nu[i] = std::numeric_limits<double>::quiet_NaN();
  }
  return guarded(function, [&] {
    const MPI_Comm c = communicator(comm);
    std::optional<StepBatch<S>> batch;
    mpi::detail::agree(c, mpi::detail::capture([&] {
      require_pointer(opt, "opt");
      if (count > 0) {
        require_pointer(ldw, "ldw");
        require_pointer(ldg, "ldg");
        if (momentum != nullptr) require_pointer(ldm, "ldm");
      }
      const std::vector<ItemShape> items = items_of(count, m, n, ldg, ldw, ldm);
      // A sharded state lives on its owner only: the other ranks may pass NULL for it.
      batch.emplace(opt, items, w, g, momentum, shard_state != 0);
    }));
    using T = typename StepBatch<S>::T;
    const std::vector<optim::StepReport> reports = mpi::optim::step_batched<T>(
        c, opt->config, batch->W, batch->G, batch->M, {.shard_state = shard_state != 0});
    batch->finish(reports, step_nu);
  });
}

// polarkit_scalapack_polar_{d,s}: the BLACS context is in the descriptors. The options' storage
// keys must keep their defaults (ScaLAPACK's local arrays are column-major host memory); that
// verdict is agreed over the grid like every other check, so a process with other options does
// not leave the rest waiting.
template <class T>
int scalapack_polar(const char* function, const T* a, const int* desca, T* u, const int* descu,
                    T* h, const int* desch, const polarkit_options* opts,
                    polarkit_info* info) noexcept {
  last_reports().clear();
  if (info != nullptr) reset(*info);
  return guarded(function, [&] {
#ifdef POLARKIT_HAVE_SCALAPACK
    const scalapack::detail::Grid grid = scalapack::detail::grid_of(desca);
    std::string refusal;
    if (opts != nullptr && (opts->storage.layout != Layout::col_major ||
                            opts->storage.space != MemorySpace::host)) {
      refusal = "the options' layout and device must be column-major and cpu (ScaLAPACK's "
                "local arrays are column-major host memory)";
    }
    scalapack::detail::agree_on_error(grid, ErrorCode::invalid_argument, refusal);
    const PolarOptions options = opts != nullptr ? opts->polar : scalapack::default_options();
    const PolarInfo result = scalapack::polar<T>({a, desca}, {u, descu}, {h, desch}, options);
    if (info != nullptr) report(result, *info);
    last_reports() = {result};
#else
    (void)a, (void)desca, (void)u, (void)descu, (void)h, (void)desch, (void)opts, (void)info;
    throw Error(ErrorCode::not_compiled,
                "polarkit_mpi was built without ScaLAPACK (POLARKIT_SCALAPACK; Debian: "
                "libscalapack-openmpi-dev)");
#endif
  });
}

// owner[i] for count matrices of shapes m[i] x n[i] on `ranks` ranks, costs from cost(m, n).
template <class Cost>
void owners(int ranks, std::int64_t count, const std::int64_t* m, const std::int64_t* n,
            int* owner, Cost&& cost) {
  if (count < 0) invalid("count must be non-negative");
  if (count == 0) return;
  require_pointer(m, "m");
  require_pointer(n, "n");
  require_pointer(owner, "owner");
  std::vector<double> costs;
  for (std::int64_t i = 0; i < count; ++i) {
    require_sizes(m[i], n[i]);
    costs.push_back(cost(m[i], n[i]));
  }
  const mpi::Assignment a = mpi::assign(costs, ranks);
  for (std::size_t i = 0; i < costs.size(); ++i) owner[i] = a.owner[i];
}

}  // namespace
}  // namespace polarkit::c_api

extern "C" {

int polarkit_mpi_polar_batched_d(MPI_Fint comm, int64_t count, const int64_t* m, const int64_t* n,
                                 const double* const* a, const int64_t* lda, double* const* u,
                                 const int64_t* ldu, double* const* h, const int64_t* ldh,
                                 const polarkit_options* opts, polarkit_info* info) noexcept {
  return polarkit::c_api::polar<double>("polarkit_mpi_polar_batched_d", comm, count, m, n, a, lda,
                                        u, ldu, h, ldh, opts, info);
}

int polarkit_mpi_polar_batched_s(MPI_Fint comm, int64_t count, const int64_t* m, const int64_t* n,
                                 const float* const* a, const int64_t* lda, float* const* u,
                                 const int64_t* ldu, float* const* h, const int64_t* ldh,
                                 const polarkit_options* opts, polarkit_info* info) noexcept {
  return polarkit::c_api::polar<float>("polarkit_mpi_polar_batched_s", comm, count, m, n, a, lda,
                                       u, ldu, h, ldh, opts, info);
}

int polarkit_mpi_optimizer_step_batched_d(MPI_Fint comm, const polarkit_optimizer* opt,
                                          int64_t count, const int64_t* m, const int64_t* n,
                                          double* const* w, const int64_t* ldw,
                                          const double* const* g, const int64_t* ldg,
                                          double* const* momentum, const int64_t* ldm,
                                          int shard_state, double* step_nu) noexcept {
  return polarkit::c_api::step<double>("polarkit_mpi_optimizer_step_batched_d", comm, opt, count,
                                       m, n, w, ldw, g, ldg, momentum, ldm, shard_state, step_nu);
}

int polarkit_mpi_optimizer_step_batched_s(MPI_Fint comm, const polarkit_optimizer* opt,
                                          int64_t count, const int64_t* m, const int64_t* n,
                                          float* const* w, const int64_t* ldw,
                                          const float* const* g, const int64_t* ldg,
                                          float* const* momentum, const int64_t* ldm,
                                          int shard_state, double* step_nu) noexcept {
  return polarkit::c_api::step<float>("polarkit_mpi_optimizer_step_batched_s", comm, opt, count,
                                      m, n, w, ldw, g, ldg, momentum, ldm, shard_state, step_nu);
}

int polarkit_mpi_owner(int ranks, int64_t count, const int64_t* m, const int64_t* n,
                       const polarkit_options* opts, int* owner) noexcept {
  return polarkit::c_api::guarded("polarkit_mpi_owner", [&] {
    const polarkit::PolarOptions options = opts != nullptr ? opts->polar : polarkit::PolarOptions{};
    polarkit::c_api::owners(ranks, count, m, n, owner, [&](int64_t rows, int64_t cols) {
      return polarkit::mpi::estimated_cost(rows, cols, options);
    });
  });
}

int polarkit_mpi_optimizer_owner(const polarkit_optimizer* opt, int ranks, int64_t count,
                                 const int64_t* m, const int64_t* n, int* owner) noexcept {
  return polarkit::c_api::guarded("polarkit_mpi_optimizer_owner", [&] {
    polarkit::c_api::require_pointer(opt, "opt");
    polarkit::c_api::owners(ranks, count, m, n, owner, [&](int64_t rows, int64_t cols) {
      return polarkit::mpi::optim::estimated_cost(opt->config, rows, cols);
    });
  });
}

int polarkit_scalapack_polar_d(const double* a, const int* desca, double* u, const int* descu,
                               double* h, const int* desch, const polarkit_options* opts,
                               polarkit_info* info) noexcept {
  return polarkit::c_api::scalapack_polar<double>("polarkit_scalapack_polar_d", a, desca, u,
                                                  descu, h, desch, opts, info);
}

int polarkit_scalapack_polar_s(const float* a, const int* desca, float* u, const int* descu,
                               float* h, const int* desch, const polarkit_options* opts,
                               polarkit_info* info) noexcept {
  return polarkit::c_api::scalapack_polar<float>("polarkit_scalapack_polar_s", a, desca, u,
                                                 descu, h, desch, opts, info);
}

}  // extern "C"
