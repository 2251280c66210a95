/* The C ABI of libpolarkit_mpi, compiled as C99 and run under mpiexec: every entry point against
 * the single-process C ABI (bit for bit), the sharded optimizer state, and a failure on one rank
 * returned by every rank. Prints "ok" lines on rank 0; exits non-zero on every rank when any
 * check failed on any rank. */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polarkit/polarkit_mpi.h"

static int failures = 0;

#define CHECK(cond, ...)                                  \
  do {                                                    \
    if (!(cond)) {                                        \
      int r_;                                             \
      MPI_Comm_rank(MPI_COMM_WORLD, &r_);                 \
      fprintf(stderr, "rank %d: %s:%d: ", r_, __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                       \
      fprintf(stderr, "\n");                              \
      ++failures;                                         \
    }                                                     \
  } while (0)

enum { COUNT = 5 };
static const int64_t M[COUNT] = {40, 24, 40, 16, 33};
static const int64_t N[COUNT] = {24, 40, 24, 16, 7};

/* The same pseudo-random matrix on every rank (a linear congruential generator: no library). */
static void fill(double* x, int64_t size, unsigned seed) {
  unsigned long s = 2654435761UL * (seed + 1);
  for (int64_t k = 0; k < size; ++k) {
    s = s * 6364136223846793005UL + 1442695040888963407UL;
    x[k] = (double)((s >> 11) & 0xFFFFF) / (double)0xFFFFF - 0.5;
  }
}

static void test_polar(polarkit_options* opts) {
  double* a[COUNT];
  double* u[COUNT];
  double* h[COUNT];
  double* u_ref[COUNT];
  double* h_ref[COUNT];
  polarkit_info info[COUNT];
  for (int i = 0; i < COUNT; ++i) {
    a[i] = malloc(sizeof(double) * M[i] * N[i]);
    u[i] = calloc((size_t)(M[i] * N[i]), sizeof(double));
    h[i] = calloc((size_t)(N[i] * N[i]), sizeof(double));
    u_ref[i] = calloc((size_t)(M[i] * N[i]), sizeof(double));
    h_ref[i] = calloc((size_t)(N[i] * N[i]), sizeof(double));
    fill(a[i], M[i] * N[i], (unsigned)i);
  }
  const int status = polarkit_mpi_polar_batched_d(MPI_Comm_c2f(MPI_COMM_WORLD), COUNT, M, N,
                                                  (const double* const*)a, M, u, M, h, N, opts,
                                                  info);
  CHECK(status == POLARKIT_SUCCESS, "polar_batched_d: %d %s", status, polarkit_last_error());
  /* The full report of every item, on every rank (before the reference calls replace it). */
  char value[64];
  CHECK(polarkit_last_report_get(COUNT - 1, "method_used", value, sizeof value) == 0,
        "last_report_get: %s", polarkit_last_error());
  for (int i = 0; i < COUNT; ++i) {
    polarkit_info ref;
    CHECK(polarkit_polar_d(M[i], N[i], a[i], M[i], u_ref[i], M[i], h_ref[i], N[i], opts, &ref) == 0,
          "polar_d: %s", polarkit_last_error());
    CHECK(memcmp(u[i], u_ref[i], sizeof(double) * M[i] * N[i]) == 0, "U[%d] differs", i);
    CHECK(memcmp(h[i], h_ref[i], sizeof(double) * N[i] * N[i]) == 0, "H[%d] differs", i);
    CHECK(info[i].iterations == ref.iterations && info[i].ortho_error == ref.ortho_error,
          "info[%d] differs", i);
  }
  for (int i = 0; i < COUNT; ++i) {
    free(a[i]);
    free(u[i]);
    free(h[i]);
    free(u_ref[i]);
    free(h_ref[i]);
  }
}

static void test_step(int shard) {
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  polarkit_optimizer* opt = polarkit_optimizer_new("muon");
  CHECK(opt != NULL, "optimizer_new");
  int owner[COUNT];
  CHECK(polarkit_mpi_optimizer_owner(opt, ranks, COUNT, M, N, owner) == 0, "owner: %s",
        polarkit_last_error());
  float* w[COUNT];
  float* g[COUNT];
  float* mom[COUNT];
  float* w_ref[COUNT];
  float* m_ref[COUNT];
  double nu[COUNT];
  for (int i = 0; i < COUNT; ++i) {
    const size_t size = (size_t)(M[i] * N[i]);
    double* x = malloc(sizeof(double) * size);
    w[i] = malloc(sizeof(float) * size);
    g[i] = malloc(sizeof(float) * size);
    w_ref[i] = malloc(sizeof(float) * size);
    m_ref[i] = calloc(size, sizeof(float));
    fill(x, (int64_t)size, 100u + (unsigned)i);
    for (size_t k = 0; k < size; ++k) w[i][k] = w_ref[i][k] = (float)x[k];
    fill(x, (int64_t)size, 200u + (unsigned)i);
    for (size_t k = 0; k < size; ++k) g[i][k] = (float)x[k];
    /* Sharded: only the owner holds the state. */
    mom[i] = (!shard || owner[i] == rank) ? calloc(size, sizeof(float)) : NULL;
    free(x);
  }
  const int status = polarkit_mpi_optimizer_step_batched_s(
      MPI_Comm_c2f(MPI_COMM_WORLD), opt, COUNT, M, N, w, M, (const float* const*)g, M, mom, M,
      shard, nu);
  CHECK(status == POLARKIT_SUCCESS, "step_batched_s: %d %s", status, polarkit_last_error());
  for (int i = 0; i < COUNT; ++i) {
    const size_t size = (size_t)(M[i] * N[i]);
    CHECK(polarkit_optimizer_step_s(opt, M[i], N[i], w_ref[i], M[i], g[i], M[i], m_ref[i], M[i],
                                    NULL) == 0,
          "step_s: %s", polarkit_last_error());
    CHECK(memcmp(w[i], w_ref[i], sizeof(float) * size) == 0, "W[%d] differs (shard %d)", i,
          shard);
    if (mom[i] != NULL) {
      CHECK(memcmp(mom[i], m_ref[i], sizeof(float) * size) == 0, "M[%d] differs (shard %d)", i,
            shard);
    }
    CHECK(nu[i] == 1.0, "nu[%d] = %g", i, nu[i]);
    free(w[i]);
    free(g[i]);
    free(mom[i]);
    free(w_ref[i]);
    free(m_ref[i]);
  }
  polarkit_optimizer_free(opt);
}

/* One rank passes a NULL output: every rank fails with the same status and message. */
static void test_error_on_one_rank(polarkit_options* opts) {
  int rank = 0;
  int ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  double a[16 * 8];
  double u[16 * 8];
  fill(a, 16 * 8, 7u);
  const double* ap[1] = {a};
  double* up[1] = {rank == ranks - 1 ? NULL : u};
  const int64_t m[1] = {16};
  const int64_t n[1] = {8};
  const int status = polarkit_mpi_polar_batched_d(MPI_Comm_c2f(MPI_COMM_WORLD), 1, m, n, ap, m,
                                                  up, m, NULL, NULL, opts, NULL);
  CHECK(status == POLARKIT_ERROR_INVALID_ARGUMENT, "status %d", status);
  /* The failing rank's message, on every rank. */
  CHECK(strstr(polarkit_last_error(), "u[i] is NULL") != NULL, "message: %s",
        polarkit_last_error());
  /* Lists that differ across ranks (another shape on the last rank). */
  const int64_t m2[1] = {rank == ranks - 1 && ranks > 1 ? 15 : 16};
  double* up2[1] = {u};
  const int status2 = polarkit_mpi_polar_batched_d(MPI_Comm_c2f(MPI_COMM_WORLD), 1, m2, n, ap,
                                                   m, up2, m, NULL, NULL, opts, NULL);
  if (ranks > 1) {
    CHECK(status2 == POLARKIT_ERROR_INVALID_ARGUMENT, "status %d", status2);
    CHECK(strstr(polarkit_last_error(), "differ across ranks") != NULL, "message: %s",
          polarkit_last_error());
  } else {
    CHECK(status2 == POLARKIT_SUCCESS, "status %d: %s", status2, polarkit_last_error());
  }
}

#ifdef POLARKIT_TEST_SCALAPACK
/* BLACS and ScaLAPACK's tools: no C header ships with them. */
void Cblacs_get(int context, int what, int* value);
void Cblacs_gridinit(int* context, const char* order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int* nprow, int* npcol, int* myrow, int* mycol);
void Cblacs_gridexit(int context);
int numroc_(const int* n, const int* nb, const int* iproc, const int* isrcproc, const int* nprocs);
void descinit_(int* desc, const int* m, const int* n, const int* mb, const int* nb,
               const int* irsrc, const int* icsrc, const int* ictxt, const int* lld, int* info);

/* polarkit_scalapack_polar_d on a 1 x ranks grid (block 8) against polarkit_polar_d of the
 * whole matrix, and a refusal on one process (a row-major layout) returned by all. */
static void test_scalapack(void) {
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  int context = 0;
  Cblacs_get(-1, 0, &context);
  Cblacs_gridinit(&context, "Row", 1, ranks);
  int nprow = 0, npcol = 0, myrow = 0, mycol = 0;
  Cblacs_gridinfo(context, &nprow, &npcol, &myrow, &mycol);
  const int n = 60;
  const int nb = 8;
  const int zero = 0;
  const int rows = numroc_(&n, &nb, &myrow, &zero, &nprow);
  const int cols = numroc_(&n, &nb, &mycol, &zero, &npcol);
  const int lld = rows > 1 ? rows : 1;
  int desc[9];
  int status = 0;
  descinit_(desc, &n, &n, &nb, &nb, &zero, &zero, &context, &lld, &status);
  CHECK(status == 0, "descinit: %d", status);
  double* global = malloc(sizeof(double) * n * n);
  fill(global, (int64_t)n * n, 11u);
  double* a = malloc(sizeof(double) * (size_t)(lld * (cols > 0 ? cols : 1)));
  double* u = calloc((size_t)(lld * (cols > 0 ? cols : 1)), sizeof(double));
  /* Block-cyclic: local column jl of process column mycol is global column
   * (jl / nb) * nb * npcol + mycol * nb + jl % nb (and likewise for rows). */
  for (int jl = 0; jl < cols; ++jl) {
    const int j = (jl / nb) * nb * npcol + mycol * nb + jl % nb;
    for (int il = 0; il < rows; ++il) {
      const int i = (il / nb) * nb * nprow + myrow * nb + il % nb;
      a[il + jl * lld] = global[i + j * n];
    }
  }
  polarkit_options* opts = polarkit_options_new();
  polarkit_options_set(opts, "method", "qdwh");
  polarkit_info info;
  status = polarkit_scalapack_polar_d(a, desc, u, desc, NULL, NULL, opts, &info);
  CHECK(status == POLARKIT_SUCCESS, "scalapack_polar_d: %d %s", status, polarkit_last_error());
  CHECK(info.converged == 1 && info.iterations > 0, "info: %d %d", info.converged,
        info.iterations);
  /* Gather U and compare with the single-process QDWH: both are within a few u of the exact
   * polar factor of this well-conditioned matrix, so they agree to n·u (measured: 3.4u). */
  double* mine = calloc((size_t)(n * n), sizeof(double));
  double* whole = malloc(sizeof(double) * n * n);
  for (int jl = 0; jl < cols; ++jl) {
    const int j = (jl / nb) * nb * npcol + mycol * nb + jl % nb;
    for (int il = 0; il < rows; ++il) {
      const int i = (il / nb) * nb * nprow + myrow * nb + il % nb;
      mine[i + j * n] = u[il + jl * lld];
    }
  }
  MPI_Allreduce(mine, whole, n * n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  double* ref = malloc(sizeof(double) * n * n);
  CHECK(polarkit_polar_d(n, n, global, n, ref, n, NULL, n, opts, NULL) == 0, "polar_d: %s",
        polarkit_last_error());
  double diff = 0.0;
  for (int k = 0; k < n * n; ++k) diff = fmax(diff, fabs(whole[k] - ref[k]));
  CHECK(diff < n * 2.220446049250313e-16, "U differs from one process's by %g", diff);
  /* One process asks for a row-major layout: every process refuses. */
  if (mycol == npcol - 1) polarkit_options_set(opts, "layout", "row-major");
  status = polarkit_scalapack_polar_d(a, desc, u, desc, NULL, NULL, opts, &info);
  CHECK(status == POLARKIT_ERROR_INVALID_ARGUMENT, "status %d", status);
  CHECK(strstr(polarkit_last_error(), "column-major") != NULL, "message: %s",
        polarkit_last_error());
  polarkit_options_free(opts);
  free(global);
  free(a);
  free(u);
  free(mine);
  free(whole);
  free(ref);
  Cblacs_gridexit(context);
}
#endif

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  polarkit_options* opts = polarkit_options_new();
  CHECK(polarkit_options_set(opts, "method", "qdwh") == 0, "set method");
  test_polar(opts);
  CHECK(polarkit_options_set(opts, "method", "muon") == 0, "set method");
  CHECK(polarkit_options_set(opts, "compute_h", "false") == 0, "set compute_h");
  test_polar(opts);
  test_step(0);
  test_step(1);
  test_error_on_one_rank(opts);
#ifdef POLARKIT_TEST_SCALAPACK
  test_scalapack();
#endif
  polarkit_options_free(opts);
  int any = 0;
  MPI_Allreduce(&failures, &any, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf(any == 0 ? "ok: C ABI of polarkit_mpi\n" : "FAILED: %d checks\n", any);
  MPI_Finalize();
  return any == 0 ? 0 : 1;
}
