/* polarkit/polarkit_mpi.h — the C ABI of polarkit_mpi (link libpolarkit_mpi, MPI and polarkit).
 *
 * The communicator is passed as its Fortran handle (MPI_Fint), the one integer every MPI binding
 * can produce: MPI_Comm_c2f(comm) in C, comm.py2f() in mpi4py, the communicator itself in
 * Fortran. Everything else follows polarkit/polarkit.h: status codes, polarkit_last_error(),
 * column-major matrices with leading dimensions (or row-major through the options' "layout"
 * key), polarkit_info reports, and the overlap rule.
 *
 * Collective: every rank of the communicator must make the same call with the same list of
 * matrices (the same count, shapes and options; the values of a[i] are each rank's own, and only
 * the owner's are read). Every rank returns the same status: a failure anywhere (an argument
 * error on one rank, lists that differ across ranks, a non-finite matrix) is returned by all, with
 * the same message, and no rank is left waiting.
 *
 *   MPI_Fint comm = MPI_Comm_c2f(MPI_COMM_WORLD);
 *   if (polarkit_mpi_polar_batched_d(comm, count, m, n, a, lda, u, ldu, NULL, NULL, opts, info))
 *     fprintf(stderr, "polar: %s\n", polarkit_last_error());
 */
#ifndef POLARKIT_POLARKIT_MPI_H
#define POLARKIT_POLARKIT_MPI_H

#include <mpi.h>

#include "polarkit/polarkit.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Polar decompositions of count matrices of any shapes, shared out over the ranks of comm
 *  (polarkit::mpi::polar_batched): matrix i is m[i] x n[i], a[i] with leading dimension lda[i],
 *  U_i into u[i] (ldu[i]) and, when h is not NULL, H_i into h[i] (ldh[i], n[i] x n[i]) on EVERY
 *  rank, with info[i] (info may be NULL) and polarkit_last_report_get(i, ...) on every rank.
 *  Each matrix is solved by one rank, and the results are bit for bit those of
 *  polarkit_polar_batched_d on one process, for any number of ranks. Requirements as for
 *  polarkit_polar_batched_d, item by item, and the same list on every rank. */
POLARKIT_API int polarkit_mpi_polar_batched_d(MPI_Fint comm, int64_t count, const int64_t* m,
                                              const int64_t* n, const double* const* a,
                                              const int64_t* lda, double* const* u,
                                              const int64_t* ldu,
                                              double* const* h /* NULL: no H */,
                                              const int64_t* ldh /* NULL when h is */,
                                              const polarkit_options* opts,
                                              polarkit_info* info /* count entries or NULL */)
    POLARKIT_NOEXCEPT;

/** polarkit_mpi_polar_batched_d in single precision. */
POLARKIT_API int polarkit_mpi_polar_batched_s(MPI_Fint comm, int64_t count, const int64_t* m,
                                              const int64_t* n, const float* const* a,
                                              const int64_t* lda, float* const* u,
                                              const int64_t* ldu,
                                              float* const* h /* NULL: no H */,
                                              const int64_t* ldh /* NULL when h is */,
                                              const polarkit_options* opts,
                                              polarkit_info* info /* count entries or NULL */)
    POLARKIT_NOEXCEPT;

/** One optimizer step of count parameters of any shapes, shared out over the ranks of comm
 *  (polarkit::mpi::optim::step_batched): parameter i is m[i] x n[i], w[i] (ldw[i]) updated in
 *  place with gradient g[i] (ldg[i]) and momentum state momentum[i] (ldm[i]; momentum may be
 *  NULL only when the hyper-parameter momentum is 0), as polarkit_optimizer_step_d steps it.
 *  Every rank ends with every w[i] updated; with shard_state = 0 every momentum[i] too, with
 *  shard_state != 0 only the momentum states of the parameters this rank owns are read and
 *  updated (ZeRO-1 style: the others may be NULL on this rank; polarkit_mpi_optimizer_owner
 *  tells who owns what). step_nu, when not NULL, gets the count values of nu on every rank. Bit
 *  for bit the single-process step, for any number of ranks. */
POLARKIT_API int polarkit_mpi_optimizer_step_batched_d(
    MPI_Fint comm, const polarkit_optimizer* opt, int64_t count, const int64_t* m,
    const int64_t* n, double* const* w, const int64_t* ldw, const double* const* g,
    const int64_t* ldg, double* const* momentum /* or NULL */, const int64_t* ldm /* or NULL */,
    int shard_state, double* step_nu /* count entries or NULL */) POLARKIT_NOEXCEPT;

/** polarkit_mpi_optimizer_step_batched_d in single precision. */
POLARKIT_API int polarkit_mpi_optimizer_step_batched_s(
    MPI_Fint comm, const polarkit_optimizer* opt, int64_t count, const int64_t* m,
    const int64_t* n, float* const* w, const int64_t* ldw, const float* const* g,
    const int64_t* ldg, float* const* momentum /* or NULL */, const int64_t* ldm /* or NULL */,
    int shard_state, double* step_nu /* count entries or NULL */) POLARKIT_NOEXCEPT;

/** The rank that solves (owns) each of count matrices of shapes m[i] x n[i] on `ranks` ranks
 *  in polarkit_mpi_polar_batched_* under these options (opts may be NULL for the defaults):
 *  owner[i] in [0, ranks), the cost-balanced, longest-first assignment. Not collective. */
POLARKIT_API int polarkit_mpi_owner(int ranks, int64_t count, const int64_t* m, const int64_t* n,
                                    const polarkit_options* opts, int* owner)
    POLARKIT_NOEXCEPT;

/** The same for polarkit_mpi_optimizer_step_batched_* with these hyper-parameters: the rank that
 *  steps parameter i, and so the one that keeps its momentum state when it is sharded. It
 *  depends only on the shapes, the rank count, the optimizer kind and its polar oracle, so it
 *  stays the same from step to step. Not collective. */
POLARKIT_API int polarkit_mpi_optimizer_owner(const polarkit_optimizer* opt, int ranks,
                                              int64_t count, const int64_t* m, const int64_t* n,
                                              int* owner) POLARKIT_NOEXCEPT;

/** The polar decomposition of one matrix distributed 2-D block-cyclically over a BLACS process
 *  grid (polarkit::scalapack::polar): a, u, h are each process's local arrays and desca, descu,
 *  desch their ScaLAPACK array descriptors (9 integers as descinit fills them; the BLACS
 *  context is in them, so no communicator is passed). A is m x n (any shape), U m x n, H n x n
 *  (desch NULL: no H), in one BLACS context; a local array may be NULL on a process that holds
 *  none of its elements. opts NULL: the method qdwh and the defaults otherwise;
 *  with opts, its method must be "qdwh", "auto" (which is qdwh here) or "svd" (pdgesvd) —
 *  polarkit_options_new's default, polar-express-adaptive, is refused — and "layout" and
 *  "device" keep their defaults (ScaLAPACK's local arrays are column-major host memory). info
 *  (may be NULL) is the same on every process of the grid; polarkit_last_report_get(0, ...)
 *  reads the full report. Collective over the grid; every process returns the same status.
 *  POLARKIT_ERROR_NOT_COMPILED where polarkit_mpi was built without ScaLAPACK. */
POLARKIT_API int polarkit_scalapack_polar_d(const double* a, const int* desca, double* u,
                                            const int* descu, double* h,
                                            const int* desch /* NULL: no H */,
                                            const polarkit_options* opts,
                                            polarkit_info* info) POLARKIT_NOEXCEPT;

/** polarkit_scalapack_polar_d in single precision. */
POLARKIT_API int polarkit_scalapack_polar_s(const float* a, const int* desca, float* u,
                                            const int* descu, float* h,
                                            const int* desch /* NULL: no H */,
                                            const polarkit_options* opts,
                                            polarkit_info* info) POLARKIT_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* POLARKIT_POLARKIT_MPI_H */
