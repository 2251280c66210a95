/* test_c_api.c — the C ABI (include/polarkit/polarkit.h) exercised from C99.
 *
 * Calls every function of the header, success and error paths, checks status codes, the thread's
 * last-error message, the polar identities (U^T U = I, A = U H) and optimizer steps. Prints every
 * failed check and exits non-zero if any failed. Built as C (tests/CMakeLists.txt) against the
 * static library, and against libpolarkit.so by tests/c_api/c_api_shared.cmake. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polarkit/polarkit.h"

#ifdef POLARKIT_TEST_PTHREADS
#include <pthread.h>
#endif

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    ++checks;                                                                \
    if (!(cond)) {                                                           \
      ++failures;                                                            \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                        \
  } while (0)

/* A call that must return `code` and leave a last-error message containing `phrase`. */
#define CHECK_FAILS(call, code, phrase) \
  check_fails((call), (code), (phrase), #call, __LINE__)

static void check_fails(int got, int code, const char* phrase, const char* call, int line) {
  const char* message = polarkit_last_error();
  ++checks;
  if (got != code) {
    ++failures;
    fprintf(stderr, "%s:%d: %s returned %d, expected %d (last error: \"%s\")\n", __FILE__, line,
            call, got, code, message);
    return;
  }
  if (message == NULL || strstr(message, phrase) == NULL) {
    ++failures;
    fprintf(stderr, "%s:%d: %s: last error \"%s\" does not contain \"%s\"\n", __FILE__, line, call,
            message != NULL ? message : "(null)", phrase);
  }
}

#define CHECK_OK(call) check_ok((call), #call, __LINE__)

static void check_ok(int got, const char* call, int line) {
  ++checks;
  if (got != 0) {
    ++failures;
    fprintf(stderr, "%s:%d: %s returned %d (last error: \"%s\")\n", __FILE__, line, call, got,
            polarkit_last_error());
  }
}

/* Deterministic values in (-1, 1). */
static unsigned long long rng_state = 12345u;
static double next_uniform(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* max |(X^T X)_ij - I_ij| for an m × n column-major X (m >= n), or of X X^T (m < n). */
static double ortho_defect_d(int64_t m, int64_t n, const double* x, int64_t ld) {
  double worst = 0.0;
  int64_t i, j, k;
  if (m >= n) {
    for (i = 0; i < n; ++i) {
      for (j = 0; j < n; ++j) {
        double s = 0.0;
        for (k = 0; k < m; ++k) s += x[k + i * ld] * x[k + j * ld];
        s -= (i == j) ? 1.0 : 0.0;
        if (fabs(s) > worst) worst = fabs(s);
      }
    }
  } else {
    for (i = 0; i < m; ++i) {
      for (j = 0; j < m; ++j) {
        double s = 0.0;
        for (k = 0; k < n; ++k) s += x[i + k * ld] * x[j + k * ld];
        s -= (i == j) ? 1.0 : 0.0;
        if (fabs(s) > worst) worst = fabs(s);
      }
    }
  }
  return worst;
}

/* max |A - U H| / max |A|. */
static double product_defect_d(int64_t m, int64_t n, const double* a, int64_t lda, const double* u,
                               int64_t ldu, const double* h, int64_t ldh) {
  double worst = 0.0, amax = 0.0;
  int64_t i, j, k;
  for (i = 0; i < m; ++i) {
    for (j = 0; j < n; ++j) {
      double s = 0.0;
      for (k = 0; k < n; ++k) s += u[i + k * ldu] * h[k + j * ldh];
      if (fabs(a[i + j * lda] - s) > worst) worst = fabs(a[i + j * lda] - s);
      if (fabs(a[i + j * lda]) > amax) amax = fabs(a[i + j * lda]);
    }
  }
  return worst / amax;
}

static double asymmetry_d(int64_t n, const double* h, int64_t ldh) {
  double worst = 0.0;
  int64_t i, j;
  for (i = 0; i < n; ++i) {
    for (j = 0; j < n; ++j) {
      const double d = fabs(h[i + j * ldh] - h[j + i * ldh]);
      if (d > worst) worst = d;
    }
  }
  return worst;
}

static void test_last_error_starts_empty(void) {
  const char* message = polarkit_last_error();
  CHECK(message != NULL);
  CHECK(message != NULL && message[0] == '\0');
}

static void expect_option(const polarkit_options* o, const char* key, const char* expected) {
  char value[POLARKIT_VALUE_MAX];
  ++checks;
  if (polarkit_options_get(o, key, value, sizeof value) != 0) {
    ++failures;
    fprintf(stderr, "polarkit_options_get(%s) failed: %s\n", key, polarkit_last_error());
  } else if (strcmp(value, expected) != 0) {
    ++failures;
    fprintf(stderr, "option %s is \"%s\", expected \"%s\"\n", key, value, expected);
  }
}

static void test_options(void) {
  polarkit_options* o = polarkit_options_new();
  char small[3];
  char value[POLARKIT_VALUE_MAX];
  CHECK(o != NULL);
  if (o == NULL) return;

  /* Defaults. */
  expect_option(o, "method", "polar-express-adaptive");
  expect_option(o, "tol", "0");
  expect_option(o, "max_iter", "100");
  expect_option(o, "steps", "0");
  expect_option(o, "scaling", "frobenius");
  expect_option(o, "compute_h", "true");
  expect_option(o, "precision", "working");
  expect_option(o, "refine", "false");
  expect_option(o, "two_norm_each_iterate", "true");
  expect_option(o, "device", "cpu");

  /* Set then get, every key. */
  CHECK_OK(polarkit_options_set(o, "method", "qdwh"));
  expect_option(o, "method", "qdwh");
  CHECK_OK(polarkit_options_set(o, "method", "auto"));
  expect_option(o, "method", "auto");
  CHECK_OK(polarkit_options_set(o, "tol", "1e-12"));
  expect_option(o, "tol", "1e-12");
  CHECK_OK(polarkit_options_set(o, "tol", "0.25"));
  expect_option(o, "tol", "0.25");
  CHECK_OK(polarkit_options_set(o, "max_iter", "42"));
  expect_option(o, "max_iter", "42");
  CHECK_OK(polarkit_options_set(o, "steps", "7"));
  expect_option(o, "steps", "7");
  CHECK_OK(polarkit_options_set(o, "scaling", "spectral"));
  expect_option(o, "scaling", "spectral");
  CHECK_OK(polarkit_options_set(o, "compute_h", "false"));
  expect_option(o, "compute_h", "false");
  CHECK_OK(polarkit_options_set(o, "compute_h", "1"));
  expect_option(o, "compute_h", "true");
  expect_option(o, "backward_error", "false");
  expect_option(o, "measure_result", "true");
  CHECK_OK(polarkit_options_set(o, "measure_result", "false"));
  expect_option(o, "measure_result", "false");
  CHECK_OK(polarkit_options_set(o, "measure_result", "true"));
  CHECK_OK(polarkit_options_set(o, "backward_error", "true"));
  expect_option(o, "backward_error", "true");
  CHECK_OK(polarkit_options_set(o, "precision", "bf16"));
  expect_option(o, "precision", "bf16");
  CHECK_OK(polarkit_options_set(o, "refine", "true"));
  expect_option(o, "refine", "true");
  CHECK_FAILS(polarkit_options_set(o, "precision", "fp8"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "invalid value 'fp8' for key 'precision'");
  expect_option(o, "precision", "bf16");
  CHECK_OK(polarkit_options_set(o, "precision", "working"));
  CHECK_OK(polarkit_options_set(o, "refine", "false"));
  CHECK_OK(polarkit_options_set(o, "two_norm_each_iterate", "0"));
  expect_option(o, "two_norm_each_iterate", "false");
  CHECK_OK(polarkit_options_set(o, "two_norm_each_iterate", "true"));
  CHECK_OK(polarkit_options_set(o, "device", "cuda"));
  expect_option(o, "device", "cuda");
  CHECK_OK(polarkit_options_set(o, "device", "cpu"));
  expect_option(o, "device", "cpu");
  expect_option(o, "coefficients", "");
  CHECK_OK(polarkit_options_set(o, "coefficients", "3.4445,-4.775,2.0315"));
  expect_option(o, "coefficients", "3.4445,-4.775,2.0315");
  CHECK_OK(polarkit_options_set(o, "coefficients", "+4,-6,2.5;1.5,-0.5,0"));
  expect_option(o, "coefficients", "4,-6,2.5;1.5,-0.5,0");
  CHECK_FAILS(polarkit_options_set(o, "coefficients", "1,2"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'coefficients'");
  CHECK_FAILS(polarkit_options_set(o, "coefficients", "1,2,3,4"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'coefficients'");
  CHECK_FAILS(polarkit_options_set(o, "coefficients", "1,2,3;"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'coefficients'");
  expect_option(o, "coefficients", "4,-6,2.5;1.5,-0.5,0");
  CHECK_OK(polarkit_options_set(o, "coefficients", ""));
  expect_option(o, "coefficients", "");
  expect_option(o, "scale_floor", "0");
  CHECK_OK(polarkit_options_set(o, "scale_floor", "1e-7"));
  expect_option(o, "scale_floor", "1e-07");
  CHECK_FAILS(polarkit_options_set(o, "scale_floor", "-1"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'scale_floor'");
  CHECK_OK(polarkit_options_set(o, "scale_floor", "0"));

  /* Bad keys and values: code 1, the key and the accepted values named; options unchanged. */
  CHECK_FAILS(polarkit_options_set(o, "colour", "red"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "unknown option key 'colour'");
  CHECK(strstr(polarkit_last_error(),
               "method, tol, max_iter, steps, scaling, compute_h, backward_error, precision, "
               "refine, batch_group, two_norm_each_iterate, measure_result, coefficients, "
               "scale_floor, device") != NULL);
  CHECK(strstr(polarkit_last_error(), "polarkit_options_set") != NULL);
  CHECK_FAILS(polarkit_options_set(o, "method", "cholesky"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "invalid value 'cholesky' for key 'method'");
  CHECK(strstr(polarkit_last_error(), "newton-schulz") != NULL);
  CHECK(strstr(polarkit_last_error(), "zolo") != NULL);
  expect_option(o, "method", "auto");
  CHECK_FAILS(polarkit_options_set(o, "tol", "abc"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'tol' (accepted: a number in [0, 1)");
  CHECK_FAILS(polarkit_options_set(o, "tol", "1.5"), POLARKIT_ERROR_INVALID_ARGUMENT, "'tol'");
  CHECK_FAILS(polarkit_options_set(o, "tol", "-1e-3"), POLARKIT_ERROR_INVALID_ARGUMENT, "'tol'");
  CHECK_FAILS(polarkit_options_set(o, "tol", "nan"), POLARKIT_ERROR_INVALID_ARGUMENT, "'tol'");
  CHECK_FAILS(polarkit_options_set(o, "tol", "1e-3x"), POLARKIT_ERROR_INVALID_ARGUMENT, "'tol'");
  CHECK_FAILS(polarkit_options_set(o, "tol", ""), POLARKIT_ERROR_INVALID_ARGUMENT, "'tol'");
  expect_option(o, "tol", "0.25");
  CHECK_FAILS(polarkit_options_set(o, "max_iter", "0"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'max_iter' (accepted: an integer in [1, 1000])");
  CHECK_FAILS(polarkit_options_set(o, "max_iter", "2.5"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "'max_iter'");
  CHECK_FAILS(polarkit_options_set(o, "max_iter", "99999999999"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "'max_iter'");
  CHECK_FAILS(polarkit_options_set(o, "steps", "-1"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'steps' (accepted: an integer in [0, 1000]");
  /* a budget of 1e9 steps ran for hours: refused when set */
  CHECK_FAILS(polarkit_options_set(o, "steps", "1000000000"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'steps' (accepted: an integer in [0, 1000]");
  CHECK_FAILS(polarkit_options_set(o, "max_iter", "1001"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'max_iter' (accepted: an integer in [1, 1000]");
  CHECK_FAILS(polarkit_options_set(o, "scaling", "max"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'scaling' (accepted: frobenius, spectral)");
  CHECK_FAILS(polarkit_options_set(o, "compute_h", "maybe"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'compute_h' (accepted: true, false, 1, 0)");
  CHECK_FAILS(polarkit_options_set(o, "device", "tpu"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'device' (accepted: cpu, cuda)");
  expect_option(o, "device", "cpu");

  /* NULL arguments. */
  CHECK_FAILS(polarkit_options_set(NULL, "tol", "0"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "opts is NULL");
  CHECK_FAILS(polarkit_options_set(o, NULL, "0"), POLARKIT_ERROR_INVALID_ARGUMENT, "key is NULL");
  CHECK_FAILS(polarkit_options_set(o, "tol", NULL), POLARKIT_ERROR_INVALID_ARGUMENT,
              "value is NULL");
  CHECK_FAILS(polarkit_options_get(NULL, "tol", value, sizeof value),
              POLARKIT_ERROR_INVALID_ARGUMENT, "opts is NULL");
  CHECK_FAILS(polarkit_options_get(o, NULL, value, sizeof value), POLARKIT_ERROR_INVALID_ARGUMENT,
              "key is NULL");
  CHECK_FAILS(polarkit_options_get(o, "tol", NULL, 8), POLARKIT_ERROR_INVALID_ARGUMENT,
              "value is NULL");
  CHECK_FAILS(polarkit_options_get(o, "colour", value, sizeof value),
              POLARKIT_ERROR_INVALID_ARGUMENT, "unknown option key 'colour'");
  CHECK_FAILS(polarkit_options_get(o, "method", small, sizeof small),
              POLARKIT_ERROR_INVALID_ARGUMENT, "needs a buffer of 5 bytes");
  CHECK(small[0] == '\0');

  polarkit_options_free(o);
  polarkit_options_free(NULL); /* a no-op */
}

static void reset_info(polarkit_info* info) {
  info->iterations = -7;
  info->converged = -7;
  info->ortho_error = info->backward_error = info->nuclear_norm = -7.0;
  info->scale = info->lower_bound = -7.0;
}

static int info_is_reset(const polarkit_info* info) {
  return info->iterations == 0 && info->converged == 0 && isnan(info->ortho_error) &&
         isnan(info->backward_error) && isnan(info->nuclear_norm) && isnan(info->scale) &&
         isnan(info->lower_bound);
}

/* A 6 × 4 matrix inside lda = 8 storage, all methods, with and without H. */
static void test_polar_d(void) {
  enum { M = 6, N = 4, LDA = 8, LDU = 7, LDH = 5 };
  static const char* methods[] = {"svd",  "newton-schulz", "quintic", "polar-express",
                                  "polar-express-adaptive", "newton", "qdwh", "zolo", "auto"};
  double a[LDA * N], a_copy[LDA * N], u[LDU * N], h[LDH * N];
  double trace, sigma_sum;
  polarkit_info info;
  polarkit_options* o = polarkit_options_new();
  size_t k;
  int64_t i;

  for (i = 0; i < LDA * N; ++i) a[i] = next_uniform();
  a[0] += 2.0; /* moderately conditioned */
  memcpy(a_copy, a, sizeof a);
  CHECK_OK(polarkit_options_set(o, "backward_error", "true"));

  /* Defaults (opts = NULL), H and info requested. */
  reset_info(&info);
  CHECK_OK(polarkit_polar_d(M, N, a, LDA, u, LDU, h, LDH, NULL, &info));
  CHECK(memcmp(a, a_copy, sizeof a) == 0); /* input (padding included) untouched */
  CHECK(ortho_defect_d(M, N, u, LDU) < 1e-12);
  CHECK(product_defect_d(M, N, a, LDA, u, LDU, h, LDH) < 1e-12);
  CHECK(asymmetry_d(N, h, LDH) < 1e-14);
  CHECK(info.iterations > 0);
  CHECK(info.converged == 1);
  CHECK(info.ortho_error >= 0.0 && info.ortho_error < 1e-12);
  CHECK(isnan(info.backward_error)); /* measured only when asked for: below */
  trace = 0.0;
  for (i = 0; i < N; ++i) trace += h[i + i * LDH];
  CHECK(fabs(info.nuclear_norm - trace) < 1e-12 * trace);
  CHECK(info.scale > 0.0);
  CHECK(info.lower_bound >= 0.0 && info.lower_bound <= 1.0);

  /* The SVD reference gives the same nuclear norm. */
  sigma_sum = info.nuclear_norm;
  CHECK_OK(polarkit_options_set(o, "method", "svd"));
  CHECK_OK(polarkit_polar_d(M, N, a, LDA, u, LDU, h, LDH, o, &info));
  CHECK(fabs(info.nuclear_norm - sigma_sum) < 1e-12 * sigma_sum);

  /* Every method to tolerance. */
  for (k = 0; k < sizeof methods / sizeof methods[0]; ++k) {
    CHECK_OK(polarkit_options_set(o, "method", methods[k]));
    reset_info(&info);
    CHECK_OK(polarkit_polar_d(M, N, a, LDA, u, LDU, h, LDH, o, &info));
    if (ortho_defect_d(M, N, u, LDU) >= 1e-12 ||
        product_defect_d(M, N, a, LDA, u, LDU, h, LDH) >= 1e-12 || info.converged != 1) {
      ++failures;
      fprintf(stderr, "method %s: ortho %g, product %g, converged %d\n", methods[k],
              ortho_defect_d(M, N, u, LDU), product_defect_d(M, N, a, LDA, u, LDU, h, LDH),
              (int)info.converged);
    }
    ++checks;
  }

  /* Muon: a fixed budget of 5 Jordan steps (not orthogonal to working precision). */
  CHECK_OK(polarkit_options_set(o, "method", "muon"));
  CHECK_OK(polarkit_polar_d(M, N, a, LDA, u, LDU, NULL, 0, o, &info));
  CHECK(info.iterations == 5);
  CHECK(ortho_defect_d(M, N, u, LDU) < 1.0);

  /* steps: an exact budget. */
  CHECK_OK(polarkit_options_set(o, "method", "newton-schulz"));
  CHECK_OK(polarkit_options_set(o, "steps", "2"));
  CHECK_OK(polarkit_polar_d(M, N, a, LDA, u, LDU, NULL, 0, o, &info));
  CHECK(info.iterations == 2);
  CHECK(info.converged == 0);
  CHECK_OK(polarkit_options_set(o, "steps", "0"));

  /* h = NULL with info: H made in scratch for the backward error and nuclear norm. */
  CHECK_OK(polarkit_options_set(o, "method", "qdwh"));
  CHECK_OK(polarkit_polar_d(M, N, a, LDA, u, LDU, NULL, 0, o, &info));
  CHECK(info.backward_error < 1e-13);
  CHECK(fabs(info.nuclear_norm - sigma_sum) < 1e-12 * sigma_sum);
  CHECK(ortho_defect_d(M, N, u, LDU) < 1e-12);
  /* h = NULL and info = NULL. */
  CHECK_OK(polarkit_polar_d(M, N, a, LDA, u, LDU, NULL, 0, o, NULL));
  CHECK(ortho_defect_d(M, N, u, LDU) < 1e-12);

  /* compute_h = false: h untouched, backward error and nuclear norm NaN. */
  CHECK_OK(polarkit_options_set(o, "compute_h", "false"));
  for (i = 0; i < LDH * N; ++i) h[i] = 42.0;
  CHECK_OK(polarkit_polar_d(M, N, a, LDA, u, LDU, h, LDH, o, &info));
  CHECK(isnan(info.backward_error));
  CHECK(isnan(info.nuclear_norm));
  CHECK(!isnan(info.ortho_error));
  CHECK(h[0] == 42.0 && h[LDH * N - 1] == 42.0);
  CHECK(ortho_defect_d(M, N, u, LDU) < 1e-12);
  CHECK_OK(polarkit_options_set(o, "compute_h", "true"));

  /* A = 0: U = 0, H = 0. */
  {
    double z[M * N] = {0};
    CHECK_OK(polarkit_polar_d(M, N, z, M, u, LDU, h, LDH, o, &info));
    CHECK(u[0] == 0.0 && h[0] == 0.0);
    CHECK(info.nuclear_norm == 0.0);
    CHECK(info.converged == 1);
  }
  polarkit_options_free(o);
}

/* Wide: 3 × 5 gives U U^T = I and A = U H with H 5 × 5. */
static void test_polar_d_wide(void) {
  enum { M = 3, N = 5 };
  double a[M * N], u[M * N], h[N * N];
  polarkit_info info;
  int i;
  for (i = 0; i < M * N; ++i) a[i] = next_uniform();
  CHECK_OK(polarkit_polar_d(M, N, a, M, u, M, h, N, NULL, &info));
  CHECK(ortho_defect_d(M, N, u, M) < 1e-12);
  CHECK(product_defect_d(M, N, a, M, u, M, h, N) < 1e-12);
  CHECK(isnan(info.backward_error)); /* the defaults do not measure it */
}

static void test_polar_s(void) {
  enum { M = 5, N = 3, LDA = 6 };
  float a[LDA * N], a_copy[LDA * N], u[M * N], h[N * N];
  double ud[M * N], hd[N * N], ad[LDA * N];
  polarkit_info info;
  int i;
  for (i = 0; i < LDA * N; ++i) a[i] = (float)next_uniform();
  a[0] += 2.0f;
  memcpy(a_copy, a, sizeof a);
  reset_info(&info);
  CHECK_OK(polarkit_polar_s(M, N, a, LDA, u, M, h, N, NULL, &info));
  CHECK(memcmp(a, a_copy, sizeof a) == 0);
  for (i = 0; i < M * N; ++i) ud[i] = u[i];
  for (i = 0; i < N * N; ++i) hd[i] = h[i];
  for (i = 0; i < LDA * N; ++i) ad[i] = a[i];
  CHECK(ortho_defect_d(M, N, ud, M) < 1e-5);
  CHECK(product_defect_d(M, N, ad, LDA, ud, M, hd, N) < 1e-5);
  CHECK(info.converged == 1);
  CHECK(info.ortho_error < 1e-5);
  CHECK(isnan(info.backward_error)); /* the defaults do not measure it */
  CHECK(info.nuclear_norm > 0.0);

  /* bf16 iterations refined in float: float-level orthogonality, bf16-level backward error
     (u_bf16 = 2^-8); qdwh has no reduced precision. */
  {
    polarkit_options* o = polarkit_options_new();
    CHECK_OK(polarkit_options_set(o, "precision", "bf16"));
    CHECK_OK(polarkit_options_set(o, "refine", "true"));
    CHECK_OK(polarkit_options_set(o, "backward_error", "true"));
    CHECK_OK(polarkit_polar_s(M, N, a, LDA, u, M, h, N, o, &info));
    for (i = 0; i < M * N; ++i) ud[i] = u[i];
    CHECK(ortho_defect_d(M, N, ud, M) < 1e-5);
    CHECK(info.converged == 1);
    CHECK(info.backward_error < 4.0 / 256);
    CHECK_OK(polarkit_options_set(o, "method", "qdwh"));
    CHECK_FAILS(polarkit_polar_s(M, N, a, LDA, u, M, h, N, o, &info),
                POLARKIT_ERROR_INVALID_ARGUMENT, "precision 'bf16'");
    polarkit_options_free(o);
  }

  /* Float error paths share the double ones' checks. */
  a[4] = (float)NAN;
  reset_info(&info);
  CHECK_FAILS(polarkit_polar_s(M, N, a, LDA, u, M, h, N, NULL, &info),
              POLARKIT_ERROR_NON_FINITE_INPUT, "NaN");
  CHECK(info_is_reset(&info));
  CHECK_FAILS(polarkit_polar_s(-1, N, a, LDA, u, M, h, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "m and n must be non-negative");
  CHECK(strstr(polarkit_last_error(), "polarkit_polar_s") != NULL);
}

static void test_polar_errors(void) {
  enum { M = 4, N = 3 };
  double a[M * N], u[M * N], h[N * N], big[4 * M * N];
  polarkit_info info;
  polarkit_options* o = polarkit_options_new();
  int i;
  for (i = 0; i < M * N; ++i) a[i] = next_uniform();

  /* Empty problems are valid, as in C++, the CLI, SciPy and JAX: U is empty, H is the n × n
     zero matrix, converged with zero iterations; their pointers may be NULL. (They were
     rejected with "m and n must be positive".) Negative sizes are errors. */
  reset_info(&info);
  for (i = 0; i < N * N; ++i) h[i] = 7.0;
  CHECK_OK(polarkit_polar_d(0, N, NULL, 1, NULL, 1, h, N, NULL, &info));
  for (i = 0; i < N * N; ++i) CHECK(h[i] == 0.0);
  CHECK(info.converged == 1 && info.iterations == 0);
  CHECK(info.backward_error == 0.0 && info.nuclear_norm == 0.0);
  reset_info(&info);
  CHECK_OK(polarkit_polar_d(M, 0, NULL, M, NULL, M, NULL, 1, NULL, &info));
  CHECK(info.converged == 1 && info.iterations == 0 && info.backward_error == 0.0);
  CHECK_OK(polarkit_polar_d(0, 0, NULL, 1, NULL, 1, NULL, 1, NULL, NULL));
  reset_info(&info);
  CHECK_FAILS(polarkit_polar_d(-2, N, a, M, u, M, h, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "m and n must be non-negative (got m = -2, n = 3)");
  CHECK(info_is_reset(&info));
  CHECK(strstr(polarkit_last_error(), "polarkit_polar_d: ") == polarkit_last_error());
  /* Leading dimensions. */
  CHECK_FAILS(polarkit_polar_d(M, N, a, M - 1, u, M, h, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "lda = 3 is below max(1, 4) = 4");
  CHECK_FAILS(polarkit_polar_d(M, N, a, M, u, 0, h, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldu = 0");
  CHECK_FAILS(polarkit_polar_d(M, N, a, M, u, M, h, N - 1, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldh = 2");
  CHECK_FAILS(polarkit_polar_d(M, N, a, INT64_C(1) << 62, u, M, h, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overflows");
  /* NULL pointers. */
  CHECK_FAILS(polarkit_polar_d(M, N, NULL, M, u, M, h, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "a is NULL");
  CHECK_FAILS(polarkit_polar_d(M, N, a, M, NULL, M, h, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "u is NULL");
  /* Overlapping output. */
  for (i = 0; i < M * N; ++i) big[i] = a[i];
  CHECK_FAILS(polarkit_polar_d(M, N, big, M, big + 2, M, h, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  CHECK_FAILS(polarkit_polar_d(M, N, big, M, u, M, big + M * N - 1, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  CHECK_FAILS(polarkit_polar_d(M, N, a, M, big, M, big + M * N - 1, N, NULL, &info),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  /* Adjacent (not overlapping) is fine. */
  CHECK_OK(polarkit_polar_d(M, N, big, M, big + M * N, M, big + 2 * M * N, N, NULL, &info));
  /* NaN and Inf input. */
  a[5] = NAN;
  reset_info(&info);
  CHECK_FAILS(polarkit_polar_d(M, N, a, M, u, M, h, N, NULL, &info),
              POLARKIT_ERROR_NON_FINITE_INPUT, "NaN or Inf");
  CHECK(info_is_reset(&info));
  a[5] = INFINITY;
  CHECK_FAILS(polarkit_polar_d(M, N, a, M, u, M, h, N, NULL, NULL),
              POLARKIT_ERROR_NON_FINITE_INPUT, "NaN or Inf");
  a[5] = 0.5;
  /* The last error persists after a success. */
  CHECK_OK(polarkit_polar_d(M, N, a, M, u, M, h, N, o, &info));
  CHECK(strstr(polarkit_last_error(), "NaN or Inf") != NULL);
  polarkit_options_free(o);
}

/* An empty matrix occupies no memory: the non-NULL pointers of an empty problem overlap nothing,
 * wherever they lie. (The overlap check spanned ld·(n − 1) elements past the pointer of a 0 × n
 * matrix, and refused a and u a few elements apart; found by tests/fuzz/fuzz_c_api_options.) */
static void test_empty_problem_pointers(void) {
  enum { N = 3 };
  double buffer[4 + N * N];
  double* us[2];
  const double* as[2];
  polarkit_info info[2];
  int i;
  for (i = 0; i < 4 + N * N; ++i) buffer[i] = 7.0;
  CHECK_OK(polarkit_polar_d(0, N, buffer, 1, buffer + 1, 1, buffer + 4, N, NULL, &info[0]));
  for (i = 0; i < N * N; ++i) CHECK(buffer[4 + i] == 0.0);
  CHECK(info[0].converged == 1 && info[0].iterations == 0);
  CHECK_OK(polarkit_polar_d(N, 0, buffer, N, buffer + 1, N, buffer + 2, 1, NULL, NULL));
  as[0] = buffer;
  as[1] = buffer;
  us[0] = buffer + 1;
  us[1] = buffer + 2;
  CHECK_OK(polarkit_polar_batched_d(2, 0, N, as, 1, us, 1, NULL, 1, NULL, info));
  /* A non-empty output still may not overlap an input. */
  CHECK_FAILS(polarkit_polar_d(1, N, buffer, 1, buffer + 1, 1, NULL, 1, NULL, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "u and a overlap");
}

/* A batch equals separate calls bit for bit (on the CPU), reports included; its checks. */
static void test_polar_batched(void) {
  enum { M = 6, N = 4, LDA = 7, COUNT = 3 };
  double a[COUNT][LDA * N], u[COUNT][M * N], h[COUNT][N * N], u1[M * N], h1[N * N];
  const double* as[COUNT];
  double* us[COUNT];
  double* hs[COUNT];
  polarkit_info infos[COUNT], info;
  polarkit_options* o = polarkit_options_new();
  int i, k;
  for (k = 0; k < COUNT; ++k) {
    for (i = 0; i < LDA * N; ++i) a[k][i] = next_uniform();
    a[k][0] += 0.5 * k; /* different spectra: different iteration counts */
    as[k] = a[k];
    us[k] = u[k];
    hs[k] = h[k];
  }
  CHECK_OK(polarkit_options_set(o, "method", "polar-express-adaptive"));
  CHECK_OK(polarkit_options_set(o, "backward_error", "true"));
  CHECK_OK(polarkit_options_set(o, "batch_group", "3")); /* in lockstep (the CPU default is 1) */
  CHECK_FAILS(polarkit_options_set(o, "batch_group", "-1"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "an integer >= 0");
  CHECK_OK(polarkit_polar_batched_d(COUNT, M, N, as, LDA, us, M, hs, N, o, infos));
  for (k = 0; k < COUNT; ++k) {
    CHECK_OK(polarkit_polar_d(M, N, a[k], LDA, u1, M, h1, N, o, &info));
    CHECK(memcmp(u1, u[k], sizeof u1) == 0);
    CHECK(memcmp(h1, h[k], sizeof h1) == 0);
    CHECK(info.iterations == infos[k].iterations && info.converged == infos[k].converged);
    CHECK(info.ortho_error == infos[k].ortho_error);
    CHECK(info.backward_error == infos[k].backward_error);
  }
  /* No H, no info; count = 0 is a no-op. */
  CHECK_OK(polarkit_polar_batched_d(COUNT, M, N, as, LDA, us, M, NULL, 0, o, NULL));
  CHECK_OK(polarkit_polar_batched_d(0, M, N, NULL, LDA, NULL, M, NULL, 0, o, NULL));
  CHECK_FAILS(polarkit_polar_batched_d(-1, M, N, as, LDA, us, M, NULL, 0, o, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "count must be non-negative");
  as[1] = NULL;
  CHECK_FAILS(polarkit_polar_batched_d(COUNT, M, N, as, LDA, us, M, NULL, 0, o, infos),
              POLARKIT_ERROR_INVALID_ARGUMENT, "a[i] is NULL");
  CHECK(info_is_reset(&infos[0]));
  as[1] = a[1];
  us[2] = a[0] + 1; /* an output inside another item's input */
  CHECK_FAILS(polarkit_polar_batched_d(COUNT, M, N, as, LDA, us, M, NULL, 0, o, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  us[2] = u[1]; /* two outputs in one place */
  CHECK_FAILS(polarkit_polar_batched_d(COUNT, M, N, as, LDA, us, M, NULL, 0, o, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  polarkit_options_free(o);
}

static void expect_hyper(const polarkit_optimizer* p, const char* key, const char* expected) {
  char value[POLARKIT_VALUE_MAX];
  ++checks;
  if (polarkit_optimizer_get(p, key, value, sizeof value) != 0) {
    ++failures;
    fprintf(stderr, "polarkit_optimizer_get(%s) failed: %s\n", key, polarkit_last_error());
  } else if (strcmp(value, expected) != 0) {
    ++failures;
    fprintf(stderr, "hyper-parameter %s is \"%s\", expected \"%s\"\n", key, value, expected);
  }
}

static void test_optimizer_handles(void) {
  static const char* kinds[] = {"muon", "polargrad", "colnorm", "rownorm", "sign", "spectral"};
  char value[POLARKIT_VALUE_MAX];
  polarkit_optimizer* p;
  size_t k;

  for (k = 0; k < sizeof kinds / sizeof kinds[0]; ++k) {
    p = polarkit_optimizer_new(kinds[k]);
    CHECK(p != NULL);
    if (p != NULL) expect_hyper(p, "kind", kinds[k]);
    polarkit_optimizer_free(p);
  }
  p = polarkit_optimizer_new("adam");
  CHECK(p == NULL);
  CHECK(strstr(polarkit_last_error(), "polarkit_optimizer_new") != NULL);
  CHECK(strstr(polarkit_last_error(), "'adam'") != NULL);
  CHECK(strstr(polarkit_last_error(), "muon, polargrad, colnorm, rownorm, sign, spectral") != NULL);
  p = polarkit_optimizer_new(NULL);
  CHECK(p == NULL);
  CHECK(strstr(polarkit_last_error(), "kind is NULL") != NULL);
  polarkit_optimizer_free(NULL); /* a no-op */

  /* Muon's defaults (torch.optim.Muon) and PolarGrad's. */
  p = polarkit_optimizer_new("muon");
  if (p == NULL) return;
  expect_hyper(p, "lr", "0.001");
  expect_hyper(p, "momentum", "0.95");
  expect_hyper(p, "nesterov", "true");
  expect_hyper(p, "weight_decay", "0.1");
  expect_hyper(p, "scale", "original");
  expect_hyper(p, "method", "muon");
  expect_hyper(p, "steps", "5");
  expect_hyper(p, "two_norm_each_iterate", "false"); /* Muon's fixed budget reads none between */
  expect_hyper(p, "eps", "1e-07");
  expect_hyper(p, "ns_coefficients", "");
  expect_hyper(p, "precision", "working");
  expect_hyper(p, "tol", "0");

  /* Set then get, every key. */
  CHECK_OK(polarkit_optimizer_set(p, "lr", "0.5"));
  expect_hyper(p, "lr", "0.5");
  CHECK_OK(polarkit_optimizer_set(p, "momentum", "0"));
  expect_hyper(p, "momentum", "0");
  CHECK_OK(polarkit_optimizer_set(p, "nesterov", "false"));
  expect_hyper(p, "nesterov", "false");
  CHECK_OK(polarkit_optimizer_set(p, "weight_decay", "0.25"));
  expect_hyper(p, "weight_decay", "0.25");
  CHECK_OK(polarkit_optimizer_set(p, "scale", "none"));
  expect_hyper(p, "scale", "none");
  CHECK_OK(polarkit_optimizer_set(p, "scale", "moonlight"));
  expect_hyper(p, "scale", "moonlight");
  CHECK_OK(polarkit_optimizer_set(p, "scale", "spectral"));
  expect_hyper(p, "scale", "spectral");
  CHECK_OK(polarkit_optimizer_set(p, "nu", "nuclear"));
  expect_hyper(p, "nu", "nuclear");
  CHECK_OK(polarkit_optimizer_set(p, "momentum_order", "polar-first"));
  expect_hyper(p, "momentum_order", "polar-first");
  CHECK_OK(polarkit_optimizer_set(p, "method", "polar-express"));
  expect_hyper(p, "method", "polar-express");
  CHECK_OK(polarkit_optimizer_set(p, "steps", "8"));
  expect_hyper(p, "steps", "8");
  CHECK_OK(polarkit_optimizer_set(p, "two_norm_each_iterate", "1"));
  expect_hyper(p, "two_norm_each_iterate", "true");
  CHECK_OK(polarkit_optimizer_set(p, "eps", "1e-8"));
  expect_hyper(p, "eps", "1e-08");
  CHECK_FAILS(polarkit_optimizer_set(p, "eps", "-1"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'eps'");
  CHECK_OK(polarkit_optimizer_set(p, "ns_coefficients", "3,-3.2,1.2;1.5,-0.5,0"));
  expect_hyper(p, "ns_coefficients", "3,-3.2,1.2;1.5,-0.5,0");
  CHECK_OK(polarkit_optimizer_set(p, "precision", "bf16"));
  expect_hyper(p, "precision", "bf16");
  CHECK_OK(polarkit_optimizer_set(p, "precision", "working"));
  CHECK_OK(polarkit_optimizer_set(p, "tol", "1e-6"));
  expect_hyper(p, "tol", "1e-06");
  CHECK_OK(polarkit_optimizer_set(p, "two_norm_each_iterate", "false"));

  /* Bad keys and values. */
  CHECK_FAILS(polarkit_optimizer_set(p, "beta2", "0.99"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "unknown optimizer key 'beta2'");
  CHECK(strstr(polarkit_last_error(),
               "lr, momentum, nesterov, weight_decay, eps, scale, nu, momentum_order, method, "
               "steps, ns_coefficients, tol, precision, batch_group, two_norm_each_iterate") != NULL);
  CHECK_FAILS(polarkit_optimizer_set(p, "lr", "fast"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "invalid value 'fast' for key 'lr' (accepted: a finite number >= 0)");
  CHECK_FAILS(polarkit_optimizer_set(p, "lr", "-0.1"), POLARKIT_ERROR_INVALID_ARGUMENT, "'lr'");
  CHECK_FAILS(polarkit_optimizer_set(p, "lr", "inf"), POLARKIT_ERROR_INVALID_ARGUMENT, "'lr'");
  expect_hyper(p, "lr", "0.5");
  CHECK_FAILS(polarkit_optimizer_set(p, "momentum", "1"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'momentum' (accepted: a number in [0, 1)");
  CHECK_FAILS(polarkit_optimizer_set(p, "nesterov", "yes"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'nesterov' (accepted: true, false, 1, 0)");
  CHECK_FAILS(polarkit_optimizer_set(p, "weight_decay", "-1"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "'weight_decay'");
  CHECK_FAILS(polarkit_optimizer_set(p, "scale", "huge"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'scale' (accepted: none, original, moonlight, spectral)");
  CHECK_FAILS(polarkit_optimizer_set(p, "nu", "trace"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'nu' (accepted: nuclear, inner)");
  CHECK_FAILS(polarkit_optimizer_set(p, "momentum_order", "first"),
              POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'momentum_order' (accepted: momentum-first, polar-first)");
  CHECK_FAILS(polarkit_optimizer_set(p, "method", "adam"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'method' (accepted: svd, newton-schulz");
  CHECK_FAILS(polarkit_optimizer_set(p, "steps", "-3"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'steps'");
  expect_hyper(p, "steps", "8");
  CHECK_FAILS(polarkit_optimizer_set(NULL, "lr", "1"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "opt is NULL");
  CHECK_FAILS(polarkit_optimizer_set(p, NULL, "1"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "key is NULL");
  CHECK_FAILS(polarkit_optimizer_set(p, "lr", NULL), POLARKIT_ERROR_INVALID_ARGUMENT,
              "value is NULL");
  CHECK_FAILS(polarkit_optimizer_get(NULL, "lr", value, sizeof value),
              POLARKIT_ERROR_INVALID_ARGUMENT, "opt is NULL");
  CHECK_FAILS(polarkit_optimizer_get(p, "beta2", value, sizeof value),
              POLARKIT_ERROR_INVALID_ARGUMENT, "unknown optimizer key 'beta2'");
  CHECK_FAILS(polarkit_optimizer_get(p, "method", value, 4), POLARKIT_ERROR_INVALID_ARGUMENT,
              "needs a buffer of 14 bytes");
  polarkit_optimizer_free(p);

  p = polarkit_optimizer_new("polargrad");
  if (p == NULL) return;
  expect_hyper(p, "lr", "0.02");
  expect_hyper(p, "momentum", "0.95");
  expect_hyper(p, "nesterov", "false");
  expect_hyper(p, "weight_decay", "0");
  expect_hyper(p, "scale", "none");
  expect_hyper(p, "nu", "inner");
  expect_hyper(p, "momentum_order", "momentum-first");
  expect_hyper(p, "method", "qdwh");
  expect_hyper(p, "steps", "0");
  polarkit_optimizer_free(p);
}

static double max_abs_diff_d(const double* x, const double* y, int n) {
  double worst = 0.0;
  int i;
  for (i = 0; i < n; ++i) {
    if (fabs(x[i] - y[i]) > worst) worst = fabs(x[i] - y[i]);
  }
  return worst;
}

static int all_finite_d(const double* x, int n) {
  int i;
  for (i = 0; i < n; ++i) {
    if (!isfinite(x[i])) return 0;
  }
  return 1;
}

static void test_muon_step(void) {
  enum { M = 6, N = 4 };
  double w[M * N], w0[M * N], g[M * N], g0[M * N], mom[M * N], nu = 0.0;
  float ws[M * N], gs[M * N], ms[M * N];
  polarkit_optimizer* p = polarkit_optimizer_new("muon");
  int i, it;
  CHECK(p != NULL);
  if (p == NULL) return;
  for (i = 0; i < M * N; ++i) {
    w[i] = w0[i] = next_uniform();
    g[i] = g0[i] = next_uniform();
    mom[i] = 0.0;
  }
  CHECK_OK(polarkit_optimizer_set(p, "lr", "0.05"));
  for (it = 0; it < 3; ++it) {
    CHECK_OK(polarkit_optimizer_step_d(p, M, N, w, M, g, M, mom, M, &nu));
  }
  CHECK(memcmp(g, g0, sizeof g) == 0); /* the gradient is never modified */
  CHECK(max_abs_diff_d(w, w0, M * N) > 1e-3);
  CHECK(all_finite_d(w, M * N));
  CHECK(max_abs_diff_d(mom, g, M * N) < 1.0); /* M = (1 - 0.95^3) G after 3 steps */
  CHECK(fabs(mom[0] - (1.0 - 0.95 * 0.95 * 0.95) * g[0]) < 1e-12);
  CHECK(nu == 1.0);

  /* step_nu may be NULL; momentum may be NULL only when momentum = 0. */
  CHECK_OK(polarkit_optimizer_step_d(p, M, N, w, M, g, M, mom, M, NULL));
  nu = 0.0;
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, w, M, g, M, NULL, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "momentum is NULL");
  CHECK(isnan(nu));
  CHECK_OK(polarkit_optimizer_set(p, "momentum", "0"));
  memcpy(w0, w, sizeof w);
  CHECK_OK(polarkit_optimizer_step_d(p, M, N, w, M, g, M, NULL, 0, &nu));
  CHECK(max_abs_diff_d(w, w0, M * N) > 1e-3);

  /* Float. */
  for (i = 0; i < M * N; ++i) {
    ws[i] = (float)next_uniform();
    gs[i] = (float)next_uniform();
    ms[i] = 0.0f;
  }
  CHECK_OK(polarkit_optimizer_set(p, "momentum", "0.9"));
  CHECK_OK(polarkit_optimizer_step_s(p, M, N, ws, M, gs, M, ms, M, &nu));
  CHECK(fabsf(ms[3] - 0.1f * gs[3]) < 1e-6f);
  CHECK(nu == 1.0);
  polarkit_optimizer_free(p);
}

/* PolarGrad on a diagonal G: nu = ||G||_* = sum of the diagonal's absolute values, U = sign(G). */
/* A batched step equals a step per parameter, bit for bit (on the CPU); its checks. */
static void test_batched_step(void) {
  enum { M = 6, N = 4, COUNT = 3 };
  double w[COUNT][M * N], w1[COUNT][M * N], g[COUNT][M * N], mom[COUNT][M * N];
  double mom1[COUNT][M * N], nus[COUNT], nu;
  double* ws[COUNT];
  const double* gs[COUNT];
  double* ms[COUNT];
  polarkit_optimizer* p = polarkit_optimizer_new("polargrad");
  int i, k;
  CHECK(p != NULL);
  if (p == NULL) return;
  CHECK_OK(polarkit_optimizer_set(p, "method", "polar-express-adaptive"));
  CHECK_OK(polarkit_optimizer_set(p, "nu", "nuclear"));
  CHECK_OK(polarkit_optimizer_set(p, "batch_group", "3")); /* in lockstep */
  expect_hyper(p, "batch_group", "3");
  for (k = 0; k < COUNT; ++k) {
    for (i = 0; i < M * N; ++i) {
      w[k][i] = w1[k][i] = next_uniform();
      g[k][i] = next_uniform() + (i == 0 ? k : 0);
      mom[k][i] = mom1[k][i] = 0.1 * next_uniform();
    }
    ws[k] = w[k];
    gs[k] = g[k];
    ms[k] = mom[k];
  }
  CHECK_OK(polarkit_optimizer_step_batched_d(p, COUNT, M, N, ws, M, gs, M, ms, M, nus));
  for (k = 0; k < COUNT; ++k) {
    CHECK_OK(polarkit_optimizer_step_d(p, M, N, w1[k], M, g[k], M, mom1[k], M, &nu));
    CHECK(memcmp(w[k], w1[k], sizeof w[k]) == 0);
    CHECK(memcmp(mom[k], mom1[k], sizeof mom[k]) == 0);
    CHECK(nus[k] == nu);
  }
  CHECK_OK(polarkit_optimizer_step_batched_d(p, 0, M, N, NULL, M, NULL, M, NULL, M, NULL));
  CHECK_FAILS(polarkit_optimizer_step_batched_d(p, -1, M, N, ws, M, gs, M, ms, M, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "count must be non-negative");
  ws[2] = w[1]; /* two parameters in one place: nothing is updated */
  memcpy(w1, w, sizeof w);
  nus[0] = 0.0;
  CHECK_FAILS(polarkit_optimizer_step_batched_d(p, COUNT, M, N, ws, M, gs, M, ms, M, nus),
              POLARKIT_ERROR_INVALID_ARGUMENT, "w[2] and w[1] overlap");
  CHECK(memcmp(w1, w, sizeof w) == 0);
  CHECK(isnan(nus[0]));
  ws[2] = w[2];
  ms[1] = NULL;
  CHECK_FAILS(polarkit_optimizer_step_batched_d(p, COUNT, M, N, ws, M, gs, M, ms, M, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "momentum[i] is NULL");
  polarkit_optimizer_free(p);
}

static void test_polargrad_step(void) {
  enum { M = 5, N = 3, LDW = 6 };
  const double d[N] = {3.0, -2.0, 0.5};
  const double sum = 5.5, lr = 0.1;
  static const char* methods[] = {"svd", "qdwh", "zolo"};
  double w[LDW * N], w0[LDW * N], g[M * N], nu = 0.0;
  float ws[M * N], gs[M * N];
  polarkit_optimizer* p = polarkit_optimizer_new("polargrad");
  size_t k;
  int i, j;
  CHECK(p != NULL);
  if (p == NULL) return;
  for (i = 0; i < M * N; ++i) g[i] = 0.0;
  for (j = 0; j < N; ++j) g[j + j * M] = d[j];
  CHECK_OK(polarkit_optimizer_set(p, "momentum", "0"));
  CHECK_OK(polarkit_optimizer_set(p, "lr", "0.1"));
  CHECK_OK(polarkit_optimizer_set(p, "nu", "nuclear"));

  for (k = 0; k < sizeof methods / sizeof methods[0]; ++k) {
    CHECK_OK(polarkit_optimizer_set(p, "method", methods[k]));
    for (i = 0; i < LDW * N; ++i) w[i] = w0[i] = next_uniform();
    CHECK_OK(polarkit_optimizer_step_d(p, M, N, w, LDW, g, M, NULL, 0, &nu));
    if (!(fabs(nu - sum) <= 1e-12 * sum)) {
      ++failures;
      fprintf(stderr, "polargrad (%s, nu = nuclear): nu = %.17g, expected %.17g\n", methods[k],
              nu, sum);
    }
    ++checks;
    /* W = W0 - lr·nu·U with U = [diag(sign d); 0]; the padding row untouched. */
    for (j = 0; j < N; ++j) {
      for (i = 0; i < LDW; ++i) {
        const double expected =
            i >= M ? w0[i + j * LDW]
                   : w0[i + j * LDW] - (i == j ? lr * sum * (d[j] > 0 ? 1.0 : -1.0) : 0.0);
        CHECK(fabs(w[i + j * LDW] - expected) < 1e-12);
      }
    }
  }

  /* The default inner nu = <U, G> agrees for an accurate oracle. */
  CHECK_OK(polarkit_optimizer_set(p, "nu", "inner"));
  CHECK_OK(polarkit_optimizer_set(p, "method", "qdwh"));
  CHECK_OK(polarkit_optimizer_step_d(p, M, N, w, LDW, g, M, NULL, 0, &nu));
  CHECK(fabs(nu - sum) < 1e-12 * sum);

  /* Float. */
  for (i = 0; i < M * N; ++i) {
    gs[i] = (float)g[i];
    ws[i] = 0.0f;
  }
  CHECK_OK(polarkit_optimizer_step_s(p, M, N, ws, M, gs, M, NULL, 0, &nu));
  CHECK(fabs(nu - sum) < 1e-5 * sum);
  CHECK(fabsf(ws[0] + 0.55f) < 1e-5f);

  /* With momentum state: the first step's M is (1 - beta)·G. */
  {
    double mom[M * N];
    for (i = 0; i < M * N; ++i) mom[i] = 0.0;
    CHECK_OK(polarkit_optimizer_set(p, "momentum", "0.9"));
    CHECK_OK(polarkit_optimizer_step_d(p, M, N, w, LDW, g, M, mom, M, &nu));
    CHECK(fabs(mom[0] - 0.1 * g[0]) < 1e-15);
    CHECK(fabs(nu - 0.1 * sum) < 1e-12 * sum);
    CHECK_OK(polarkit_optimizer_set(p, "momentum_order", "polar-first"));
    CHECK_OK(polarkit_optimizer_step_d(p, M, N, w, LDW, g, M, mom, M, &nu));
    CHECK(fabs(nu - sum) < 1e-12 * sum);
  }
  polarkit_optimizer_free(p);
}

static void test_lmo_steps(void) {
  static const char* kinds[] = {"colnorm", "rownorm", "sign", "spectral"};
  enum { M = 4, N = 3 };
  double w[M * N], w0[M * N], g[M * N], mom[M * N], nu = 0.0;
  size_t k;
  int i;
  for (k = 0; k < sizeof kinds / sizeof kinds[0]; ++k) {
    polarkit_optimizer* p = polarkit_optimizer_new(kinds[k]);
    CHECK(p != NULL);
    if (p == NULL) continue;
    for (i = 0; i < M * N; ++i) {
      w[i] = w0[i] = next_uniform();
      g[i] = next_uniform();
      mom[i] = 0.0;
    }
    CHECK_OK(polarkit_optimizer_set(p, "lr", "0.1"));
    CHECK_OK(polarkit_optimizer_step_d(p, M, N, w, M, g, M, mom, M, &nu));
    CHECK(max_abs_diff_d(w, w0, M * N) > 1e-3);
    CHECK(all_finite_d(w, M * N));
    CHECK(nu == 1.0);
    polarkit_optimizer_free(p);
  }
}

static void test_step_errors(void) {
  enum { M = 4, N = 3 };
  double w[M * N], w0[M * N], g[M * N], mom[M * N], mom0[M * N], big[3 * M * N] = {0}, nu = 0.0;
  polarkit_optimizer* p = polarkit_optimizer_new("muon");
  int i;
  CHECK(p != NULL);
  if (p == NULL) return;
  for (i = 0; i < M * N; ++i) {
    w[i] = w0[i] = next_uniform();
    g[i] = next_uniform();
    mom[i] = mom0[i] = next_uniform();
  }
  CHECK_FAILS(polarkit_optimizer_step_d(NULL, M, N, w, M, g, M, mom, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "opt is NULL");
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, 0, w, M, g, M, mom, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "m and n must be positive");
  CHECK_FAILS(polarkit_optimizer_step_d(p, -1, N, w, M, g, M, mom, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "m and n must be positive");
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, NULL, M, g, M, mom, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "w is NULL");
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, w, M, NULL, M, mom, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "g is NULL");
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, w, M - 1, g, M, mom, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldw = 3");
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, w, M, g, 2, mom, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldg = 2");
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, w, M, g, M, mom, 1, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldm = 1");
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, big, M, big + 1, M, mom, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, w, M, g, M, w, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, w, M, g, M, g, M, &nu),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  /* NaN gradient: code 2 before any work, w and momentum unchanged. */
  g[7] = NAN;
  nu = 0.0;
  CHECK_FAILS(polarkit_optimizer_step_d(p, M, N, w, M, g, M, mom, M, &nu),
              POLARKIT_ERROR_NON_FINITE_INPUT, "NaN or Inf");
  CHECK(strstr(polarkit_last_error(), "polarkit_optimizer_step_d") != NULL);
  CHECK(isnan(nu));
  CHECK(memcmp(w, w0, sizeof w) == 0);
  CHECK(memcmp(mom, mom0, sizeof mom) == 0);
  {
    float ws[M * N], gs[M * N], ms[M * N];
    for (i = 0; i < M * N; ++i) {
      ws[i] = 1.0f;
      gs[i] = 0.5f;
      ms[i] = 0.0f;
    }
    gs[2] = (float)INFINITY;
    CHECK_FAILS(polarkit_optimizer_step_s(p, M, N, ws, M, gs, M, ms, M, NULL),
                POLARKIT_ERROR_NON_FINITE_INPUT, "NaN or Inf");
    CHECK(strstr(polarkit_last_error(), "polarkit_optimizer_step_s") != NULL);
    CHECK_FAILS(polarkit_optimizer_step_s(p, M, N, ws, M, gs, M, NULL, M, NULL),
                POLARKIT_ERROR_INVALID_ARGUMENT, "momentum is NULL");
    CHECK_FAILS(polarkit_optimizer_step_s(p, 0, N, ws, M, gs, M, ms, M, NULL),
                POLARKIT_ERROR_INVALID_ARGUMENT, "m and n must be positive");
  }
  polarkit_optimizer_free(p);
}

#ifdef POLARKIT_TEST_PTHREADS
/* The last error is per thread: a new thread starts with "" and its failures do not touch the
 * main thread's message. */
static void* thread_body(void* arg) {
  int* ok = (int*)arg;
  const char* before = polarkit_last_error();
  ok[0] = before != NULL && before[0] == '\0';
  ok[1] = polarkit_options_set(NULL, "tol", "0") == POLARKIT_ERROR_INVALID_ARGUMENT &&
          strstr(polarkit_last_error(), "opts is NULL") != NULL;
  return NULL;
}

static void test_last_error_is_thread_local(void) {
  pthread_t thread;
  int ok[2] = {0, 0};
  CHECK(polarkit_optimizer_new("adam") == NULL);
  CHECK(pthread_create(&thread, NULL, thread_body, ok) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(ok[0]);
  CHECK(ok[1]);
  CHECK(strstr(polarkit_last_error(), "'adam'") != NULL);
}
#endif

/* After host-memory calls only, nothing is cached on any device: a success that leaves the last
 * error alone, with or without the CUDA backend. */
static void test_release_cached_device_memory(void) {
  CHECK(polarkit_optimizer_new("adam") == NULL);
  CHECK(polarkit_release_cached_device_memory() == POLARKIT_SUCCESS);
  CHECK(strstr(polarkit_last_error(), "'adam'") != NULL);
}

/* The report fields polarkit_info has no room for: the rank of a 4 x 3 matrix of ones is 1, U is
 * orthonormal all the same; a full-rank batch reports n per item; misuse is an error. */
/* Bad options are the same error with and without info (info asks for a scratch H, which used
 * to be allocated on the options' device before the options were checked: NOT_COMPILED on a CPU
 * build with info, INVALID_ARGUMENT without). Found by fuzzing. */
static void test_options_checked_before_scratch(void) {
  float a[6] = {1, 2, 3, 4, 5, 7};
  float u[6];
  polarkit_info info;
  polarkit_options* o = polarkit_options_new();
  CHECK(polarkit_options_set(o, "method", "auto") == 0);
  CHECK(polarkit_options_set(o, "precision", "tf32") == 0);
  CHECK(polarkit_options_set(o, "device", "cuda") == 0);
  CHECK(polarkit_polar_s(3, 2, a, 3, u, 3, NULL, 2, o, NULL) == POLARKIT_ERROR_INVALID_ARGUMENT);
  CHECK(polarkit_polar_s(3, 2, a, 3, u, 3, NULL, 2, o, &info) == POLARKIT_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(polarkit_last_error(), "tf32") != NULL);
  polarkit_options_free(o);
}

static void test_last_report(void) {
  double a[12];
  double u[12];
  double b[2][9];
  double ub[2][9];
  char value[POLARKIT_VALUE_MAX];
  char small[2];
  int i;
  for (i = 0; i < 12; ++i) a[i] = 1.0;
  CHECK(polarkit_last_report_get(0, "rank", value, sizeof value) == POLARKIT_ERROR_INVALID_ARGUMENT);
  CHECK(polarkit_polar_d(4, 3, a, 4, u, 4, NULL, 3, NULL, NULL) == 0);
  CHECK(ortho_defect_d(4, 3, u, 4) < 1e-14);
  CHECK(polarkit_last_report_get(0, "rank", value, sizeof value) == 0);
  CHECK(strcmp(value, "1") == 0);
  CHECK(polarkit_last_report_get(0, "method_used", value, sizeof value) == 0);
  CHECK(strcmp(value, "svd") == 0); /* the default (adaptive Polar Express) ends in the SVD here */
  CHECK(polarkit_last_report_get(0, "steps", value, sizeof value) == 0);
  CHECK(polarkit_last_report_get(0, "nope", value, sizeof value) == POLARKIT_ERROR_INVALID_ARGUMENT);
  CHECK(strstr(polarkit_last_error(), "rank") != NULL); /* names the keys it knows */
  CHECK(polarkit_last_report_get(1, "rank", value, sizeof value) == POLARKIT_ERROR_INVALID_ARGUMENT);
  CHECK(polarkit_last_report_get(0, "method_used", small, sizeof small) ==
        POLARKIT_ERROR_INVALID_ARGUMENT);
  CHECK(polarkit_last_report_get(0, NULL, value, sizeof value) == POLARKIT_ERROR_INVALID_ARGUMENT);
  {
    polarkit_options* o = polarkit_options_new();
    const double* in[2];
    double* out[2];
    CHECK(polarkit_options_set(o, "method", "qdwh") == 0);
    for (i = 0; i < 9; ++i) {
      b[0][i] = (i % 4 == 0) ? 2.0 : 0.1 * i; /* diagonally dominant: full rank */
      b[1][i] = (i % 4 == 0) ? 3.0 : -0.05 * i;
    }
    in[0] = b[0];
    in[1] = b[1];
    out[0] = ub[0];
    out[1] = ub[1];
    CHECK(polarkit_polar_batched_d(2, 3, 3, in, 3, out, 3, NULL, 3, o, NULL) == 0);
    CHECK(polarkit_last_report_get(1, "rank", value, sizeof value) == 0);
    CHECK(strcmp(value, "3") == 0);
    CHECK(polarkit_last_report_get(1, "method_used", value, sizeof value) == 0);
    CHECK(strcmp(value, "qdwh") == 0);
    CHECK(polarkit_last_report_get(2, "rank", value, sizeof value) == POLARKIT_ERROR_INVALID_ARGUMENT);
    polarkit_options_free(o);
  }
  /* A failed call leaves no report. */
  a[0] = NAN;
  CHECK(polarkit_polar_d(4, 3, a, 4, u, 4, NULL, 3, NULL, NULL) == POLARKIT_ERROR_NON_FINITE_INPUT);
  CHECK(polarkit_last_report_get(0, "rank", value, sizeof value) == POLARKIT_ERROR_INVALID_ARGUMENT);
}

/* ---- Row-major buffers (numpy and torch's C order): the key "layout" ---------------------- */

/* The unit roundoff of the two precisions, and of bfloat16 (8 significand bits). */
static double unit_roundoff(int single) { return single ? ldexp(1.0, -24) : ldexp(1.0, -53); }
static const double bf16_unit = 1.0 / 256;

/* One test serves float and double: buffers are void*, elements are read and written as
   double (exactly, for float), and the calls dispatch on `single`. */
static double load(const void* x, int single, int64_t i) {
  return single ? (double)((const float*)x)[i] : ((const double*)x)[i];
}

static void store(void* x, int single, int64_t i, double v) {
  if (single) {
    ((float*)x)[i] = (float)v;
  } else {
    ((double*)x)[i] = v;
  }
}

static int polar_x(int single, int64_t m, int64_t n, const void* a, int64_t lda, void* u,
                   int64_t ldu, void* h, int64_t ldh, const polarkit_options* o) {
  if (single) {
    return polarkit_polar_s(m, n, (const float*)a, lda, (float*)u, ldu, (float*)h, ldh, o, NULL);
  }
  return polarkit_polar_d(m, n, (const double*)a, lda, (double*)u, ldu, (double*)h, ldh, o, NULL);
}

enum { ITEMS = 2 }; /* the batches of these tests */

static int polar_batched_x(int single, int64_t m, int64_t n, void* const* a, int64_t lda,
                           void* const* u, int64_t ldu, void* const* h, int64_t ldh,
                           const polarkit_options* o) {
  const float* as[ITEMS];
  float* us[ITEMS];
  float* hs[ITEMS];
  const double* ad[ITEMS];
  double* ud[ITEMS];
  double* hd[ITEMS];
  int k;
  for (k = 0; k < ITEMS; ++k) {
    as[k] = (const float*)a[k];
    us[k] = (float*)u[k];
    hs[k] = (float*)h[k];
    ad[k] = (const double*)a[k];
    ud[k] = (double*)u[k];
    hd[k] = (double*)h[k];
  }
  if (single) return polarkit_polar_batched_s(ITEMS, m, n, as, lda, us, ldu, hs, ldh, o, NULL);
  return polarkit_polar_batched_d(ITEMS, m, n, ad, lda, ud, ldu, hd, ldh, o, NULL);
}

static int step_x(int single, const polarkit_optimizer* p, int64_t m, int64_t n, void* w,
                  int64_t ldw, const void* g, int64_t ldg, void* mom, int64_t ldm) {
  if (single) {
    return polarkit_optimizer_step_s(p, m, n, (float*)w, ldw, (const float*)g, ldg, (float*)mom,
                                     ldm, NULL);
  }
  return polarkit_optimizer_step_d(p, m, n, (double*)w, ldw, (const double*)g, ldg,
                                   (double*)mom, ldm, NULL);
}

enum { DIM = 12, LD = DIM + 3, BUFFER = DIM * LD }; /* room for any matrix of these tests */
static const double sentinel = 99.0;                  /* the padding: never read or written */

static void fill_sentinel(void* x, int single) {
  int64_t i;
  for (i = 0; i < BUFFER; ++i) store(x, single, i, sentinel);
}

/* Whether every element outside the r × c matrix at x (lines of `length` elements `ld` apart,
   `lines` of them) still holds the sentinel. */
static int padding_untouched(const void* x, int single, int64_t lines, int64_t length, int64_t ld) {
  int64_t i;
  for (i = 0; i < BUFFER; ++i) {
    const int inside = i / ld < lines && i % ld < length;
    if (!inside && load(x, single, i) != sentinel) return 0;
  }
  return 1;
}

/* A diagonally dominant m × n matrix, row-major with leading dimension ld: 3 on the diagonal
   plus entries in (-1/4, 1/4). For the shapes used here (at most 28 entries) the noise has
   2-norm <= Frobenius norm < sqrt(28)/4 < 1.33, so every sigma lies in [1.67, 4.33]: kappa < 2.6. */
static void fill_dominant(void* a, int single, int64_t m, int64_t n, int64_t ld) {
  int64_t i, j;
  for (i = 0; i < m; ++i) {
    for (j = 0; j < n; ++j) store(a, single, i * ld + j, 0.25 * next_uniform() + (i == j ? 3.0 : 0.0));
  }
}

static int same_layout_failures = 0;

/* Row-major a (m × n, lda = n + 2) gives, with layout "row-major":
 *   - the U of the column-major call on an explicit column-major copy of A, bit for bit: both
 *     calls copy A exactly into the same column-major iterate and run the same computation;
 *     H to 4·m·u·||A||_F, since H = sym(U^T A) is one product whose BLAS call differs with the
 *     operands' storage (each entry is a dot product of length m, within m·u·||A||_F of the
 *     exact one);
 *   - the U of the column-major call on its own storage read as the n × m transpose (polar(A^T)
 *     = U^T): for m != n bit for bit (the library iterates the tall orientation, the same view
 *     of the same memory either way); for m = n a different computation (A against A^T), both
 *     accurate to a few n·u times kappa < 2.6: within 32·n·u;
 *   - from the batched entry point the same U and H as the single calls, bit for bit;
 *   and writes nothing outside the matrices. */
static void check_row_major_polar(int single, int64_t m, int64_t n, const char* method) {
  const int64_t lda = n + 2, ldu = n + 1, ldh = n + 3;
  const double u_unit = unit_roundoff(single);
  double a_r[ITEMS][BUFFER], a_c[ITEMS][BUFFER], u_r[ITEMS][BUFFER], h_r[ITEMS][BUFFER];
  double u_c[BUFFER], h_c[BUFFER], u_t[BUFFER], u_b[ITEMS][BUFFER], h_b[ITEMS][BUFFER];
  void* as[ITEMS];
  void* ubs[ITEMS];
  void* hbs[ITEMS];
  double worst_h = 0.0, worst_t = 0.0, norm_a = 0.0;
  int64_t i, j;
  int k, bits_u = 1, bits_t = 1, bits_batch = 1, pads = 1;
  polarkit_options* rows = polarkit_options_new();
  polarkit_options* cols = polarkit_options_new();
  CHECK_OK(polarkit_options_set(rows, "layout", "row-major"));
  CHECK_OK(polarkit_options_set(rows, "method", method));
  CHECK_OK(polarkit_options_set(cols, "method", method));

  for (k = 0; k < ITEMS; ++k) {
    fill_sentinel(a_r[k], single);
    fill_sentinel(u_r[k], single);
    fill_sentinel(h_r[k], single);
    fill_sentinel(u_b[k], single);
    fill_sentinel(h_b[k], single);
    fill_dominant(a_r[k], single, m, n, lda);
    for (i = 0; i < m; ++i) {
      for (j = 0; j < n; ++j) store(a_c[k], single, i + j * m, load(a_r[k], single, i * lda + j));
    }
    as[k] = a_r[k];
    ubs[k] = u_b[k];
    hbs[k] = h_b[k];

    CHECK_OK(polar_x(single, m, n, a_r[k], lda, u_r[k], ldu, h_r[k], ldh, rows));
    CHECK_OK(polar_x(single, m, n, a_c[k], m, u_c, m, h_c, n, cols));
    CHECK_OK(polar_x(single, n, m, a_r[k], lda, u_t, ldu, NULL, 1, cols));
    pads = pads && padding_untouched(u_r[k], single, m, n, ldu) &&
           padding_untouched(h_r[k], single, n, n, ldh);
    norm_a = 0.0;
    for (i = 0; i < m; ++i) {
      for (j = 0; j < n; ++j) norm_a += load(a_c[k], single, i + j * m) * load(a_c[k], single, i + j * m);
    }
    norm_a = sqrt(norm_a);
    for (i = 0; i < m; ++i) {
      for (j = 0; j < n; ++j) {
        const double ur = load(u_r[k], single, i * ldu + j);
        const double ut = load(u_t, single, j + i * ldu); /* the same position: U^T(j, i) */
        bits_u = bits_u && ur == load(u_c, single, i + j * m);
        bits_t = bits_t && ur == ut;
        if (fabs(ur - ut) > worst_t) worst_t = fabs(ur - ut);
      }
    }
    for (i = 0; i < n; ++i) {
      for (j = 0; j < n; ++j) {
        const double d = fabs(load(h_r[k], single, i * ldh + j) - load(h_c, single, i + j * n));
        if (d / norm_a > worst_h) worst_h = d / norm_a;
      }
    }
  }
  CHECK_OK(polar_batched_x(single, m, n, as, lda, ubs, ldu, hbs, ldh, rows));
  for (k = 0; k < ITEMS; ++k) {
    bits_batch = bits_batch && padding_untouched(u_b[k], single, m, n, ldu);
    for (i = 0; i < m * ldu; ++i) bits_batch = bits_batch && load(u_b[k], single, i) == load(u_r[k], single, i);
    for (i = 0; i < n * ldh; ++i) bits_batch = bits_batch && load(h_b[k], single, i) == load(h_r[k], single, i);
  }
  ++checks;
  if (!bits_u || !pads || !bits_batch || worst_h > 4.0 * (double)m * u_unit ||
      (m != n && !bits_t) || (m == n && worst_t > 32.0 * (double)n * u_unit)) {
    ++failures;
    ++same_layout_failures;
    fprintf(stderr,
            "row-major polar %s %lldx%lld (%s): U as column-major copy's %s, padding %s, batch %s, "
            "H off by %.3g ||A||_F (bar %.3g), U vs the transposed storage's: %s, off by %.3g\n",
            single ? "float" : "double", (long long)m, (long long)n, method,
            bits_u ? "bit for bit" : "DIFFERS", pads ? "untouched" : "WRITTEN",
            bits_batch ? "same" : "DIFFERS", worst_h, 4.0 * (double)m * u_unit,
            bits_t ? "bit for bit" : "differs", worst_t);
  }
  polarkit_options_free(rows);
  polarkit_options_free(cols);
}

static void test_row_major_polar(void) {
  static const int64_t shapes[3][2] = {{7, 4}, {4, 7}, {5, 5}};
  int single, s;
  for (single = 0; single < 2; ++single) {
    for (s = 0; s < 3; ++s) {
      check_row_major_polar(single, shapes[s][0], shapes[s][1], "polar-express-adaptive");
      check_row_major_polar(single, shapes[s][0], shapes[s][1], "qdwh");
    }
  }
}

/* The checks count lines in the layout: a row-major m × n matrix needs ld >= n (not m), and
   spans ld·(m − 1) + n elements, which the overlap checks use. */
static void test_row_major_checks(void) {
  double a[64], u[64], w[128], g[128], mom[128];
  polarkit_options* o = polarkit_options_new();
  polarkit_optimizer* p = polarkit_optimizer_new("muon");
  int i;
  for (i = 0; i < 64; ++i) a[i] = next_uniform() + (i % 4 == 0 ? 2.0 : 0.0);
  for (i = 0; i < 128; ++i) w[i] = g[i] = mom[i] = 0.5 * next_uniform();
  CHECK_OK(polarkit_options_set(o, "layout", "row-major"));
  CHECK_OK(polarkit_optimizer_set(p, "layout", "row-major"));

  /* 6 × 3: ld 3 suffices row-major (it would not column-major), ld 2 does not. */
  CHECK_OK(polarkit_polar_d(6, 3, a, 3, u, 3, NULL, 3, o, NULL));
  CHECK_FAILS(polarkit_polar_d(6, 3, a, 2, u, 3, NULL, 3, o, NULL), POLARKIT_ERROR_INVALID_ARGUMENT,
              "lda = 2 is below max(1, 3) = 3 (row-major");
  CHECK_FAILS(polarkit_polar_d(6, 3, a, 3, u, 2, NULL, 3, o, NULL), POLARKIT_ERROR_INVALID_ARGUMENT,
              "ldu = 2 is below max(1, 3) = 3");
  CHECK_FAILS(polarkit_polar_d(6, 3, a, 3, u, 3, u + 20, 2, o, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldh = 2 is below max(1, 3) = 3");
  /* 2 × 5 with ld 5 spans 10 elements (column-major it would span 5·4 + 2 = 22). */
  CHECK_OK(polarkit_polar_d(2, 5, a, 5, a + 10, 5, NULL, 5, o, NULL));
  CHECK_FAILS(polarkit_polar_d(2, 5, a, 5, a + 9, 5, NULL, 5, o, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "u and a overlap");
  CHECK_FAILS(polarkit_polar_d(2, 5, a, 5, u, 5, a + 9, 5, o, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "h and a overlap");

  /* A torch weight (d_out, d_in) = (12, 7): ldw >= 7. */
  CHECK_OK(polarkit_optimizer_step_d(p, 12, 7, w, 7, g, 7, mom, 7, NULL));
  CHECK_FAILS(polarkit_optimizer_step_d(p, 12, 7, w, 6, g, 7, mom, 7, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldw = 6 is below max(1, 7) = 7 (row-major");
  CHECK_FAILS(polarkit_optimizer_step_d(p, 12, 7, w, 7, g, 6, mom, 7, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldg = 6");
  CHECK_FAILS(polarkit_optimizer_step_d(p, 12, 7, w, 7, g, 7, mom, 6, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldm = 6");
  /* 3 × 4 with ld 4 spans 12 elements. */
  CHECK_OK(polarkit_optimizer_step_d(p, 3, 4, w, 4, w + 12, 4, w + 24, 4, NULL));
  CHECK_FAILS(polarkit_optimizer_step_d(p, 3, 4, w, 4, w + 11, 4, mom, 4, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "w and g overlap");
  CHECK_FAILS(polarkit_optimizer_step_d(p, 3, 4, w, 4, g, 4, w + 11, 4, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  {
    /* Across the items of a batch, by the same rule: w[1] starts inside w[0]'s 12 elements. */
    double* ws[2] = {w, w + 11};
    const double* gs[2] = {g, g + 12};
    double* ms[2] = {mom, mom + 12};
    double w_before[128];
    memcpy(w_before, w, sizeof w);
    CHECK_FAILS(polarkit_optimizer_step_batched_d(p, 2, 3, 4, ws, 4, gs, 4, ms, 4, NULL),
                POLARKIT_ERROR_INVALID_ARGUMENT, "w[1] and w[0] overlap");
    CHECK(memcmp(w_before, w, sizeof w) == 0);
    ws[1] = w + 12; /* adjacent: fine */
    CHECK_OK(polarkit_optimizer_step_batched_d(p, 2, 3, 4, ws, 4, gs, 4, ms, 4, NULL));
  }
  polarkit_options_free(o);
  polarkit_optimizer_free(p);
}

/* torch.optim.Muon's step (nesterov, adjust_lr_fn "original") on a row-major d_out × d_in
 * weight, in double:
 *   buf = beta·buf + (1 − beta)·g;  D = (1 − beta)·g + beta·buf;
 *   X = D / max(||D||_F, eps) in the wide orientation (D^T when d_out > d_in);
 *   5 times X ← aX + (bA + cA²)X with A = XX^T, (a, b, c) = (3.4445, −4.775, 2.0315);
 *   W ← W·(1 − lr·wd) − lr·sqrt(max(1, d_out/d_in))·O, O = X back in the weight's orientation.
 * w, g and buf are tight (ld = d_in). */
static void torch_muon_step(int64_t rows, int64_t cols, double* w, const double* g, double* buf,
                            double lr, double wd, double beta, double eps) {
  const double qa = 3.4445, qb = -4.775, qc = 2.0315;
  const int tall = rows > cols;
  const int64_t r = tall ? cols : rows, c = tall ? rows : cols;
  double d[DIM * DIM], x[DIM * DIM], gram[DIM * DIM], poly[DIM * DIM], next[DIM * DIM];
  double norm = 0.0, adjusted;
  int64_t i, j, k;
  int step;
  for (i = 0; i < rows * cols; ++i) {
    buf[i] = beta * buf[i] + (1.0 - beta) * g[i];
    d[i] = (1.0 - beta) * g[i] + beta * buf[i];
    norm += d[i] * d[i];
  }
  norm = sqrt(norm);
  for (i = 0; i < r; ++i) {
    for (j = 0; j < c; ++j) x[i * c + j] = (tall ? d[j * cols + i] : d[i * cols + j]) / (norm > eps ? norm : eps);
  }
  for (step = 0; step < 5; ++step) {
    for (i = 0; i < r; ++i) {
      for (j = 0; j < r; ++j) {
        double s = 0.0;
        for (k = 0; k < c; ++k) s += x[i * c + k] * x[j * c + k];
        gram[i * r + j] = s;
      }
    }
    for (i = 0; i < r; ++i) {
      for (j = 0; j < r; ++j) {
        double s = 0.0;
        for (k = 0; k < r; ++k) s += gram[i * r + k] * gram[k * r + j];
        poly[i * r + j] = qb * gram[i * r + j] + qc * s;
      }
    }
    for (i = 0; i < r; ++i) {
      for (j = 0; j < c; ++j) {
        double s = 0.0;
        for (k = 0; k < r; ++k) s += poly[i * r + k] * x[k * c + j];
        next[i * c + j] = qa * x[i * c + j] + s;
      }
    }
    memcpy(x, next, sizeof(double) * (size_t)(r * c));
  }
  adjusted = lr * sqrt((double)rows / (double)cols > 1.0 ? (double)rows / (double)cols : 1.0);
  for (i = 0; i < rows; ++i) {
    for (j = 0; j < cols; ++j) {
      const double o = tall ? x[j * c + i] : x[i * c + j];
      w[i * cols + j] = w[i * cols + j] * (1.0 - lr * wd) - adjusted * o;
    }
  }
}

/* A C-ABI Muon step on a row-major (d_out, d_in) weight (w with ldw = d_in + 1, the momentum
 * with ld d_in + 2) is torch.optim.Muon's, for two steps, tall and wide, float and double.
 * Tolerance: the library rounds in another order (the tall orientation, BLAS); each of the 5
 * steps adds errors of about d·u relative to ||X|| (d = max(d_out, d_in); 8·d·u allows for the
 * three products) and the later steps amplify them by at most max |p'(x)| <= 4 on [0, 1.2], so
 * O is within 4^5·8·d·u; W and buf take a few more roundings: 4·u·max|W| (and 4u for buf,
 * |buf| < 1). The column-major
 * reading of the same buffers (the transposed weight) gets the shape scale wrong, by
 * lr·(sqrt(12/7) − 1)·|O| ~ 5e-3 here, above the tolerance: checked to fail. */
static void check_muon_matches_torch(int single, int64_t rows, int64_t cols) {
  const double lr = 0.02, wd = 0.1, beta = 0.95, eps = 1e-7;
  const int64_t ldw = cols + 1, ldm = cols + 2;
  const double u_unit = unit_roundoff(single);
  const int64_t d = rows > cols ? rows : cols;
  const double scale = sqrt((double)rows / (double)cols > 1.0 ? (double)rows / (double)cols : 1.0);
  const double w_max = 2.0; /* |W| < 2 throughout */
  const double tol = 4.0 * u_unit * w_max + lr * scale * pow(4.0, 5) * 8.0 * (double)d * u_unit;
  double w[BUFFER], g[BUFFER], mom[BUFFER], w_ref[DIM * DIM], g_ref[DIM * DIM], buf_ref[DIM * DIM];
  double w_cols[BUFFER], mom_cols[BUFFER];
  double worst_w = 0.0, worst_m = 0.0, worst_cols = 0.0;
  polarkit_optimizer* p = polarkit_optimizer_new("muon");
  int64_t i, j;
  int step;
  CHECK_OK(polarkit_optimizer_set(p, "lr", "0.02")); /* torch's other defaults are polarkit's */
  CHECK_OK(polarkit_optimizer_set(p, "layout", "row-major"));
  fill_sentinel(w, single);
  fill_sentinel(mom, single);
  for (i = 0; i < rows; ++i) {
    for (j = 0; j < cols; ++j) {
      store(w, single, i * ldw + j, 2.0 * next_uniform());
      store(mom, single, i * ldm + j, 0.0);
      w_ref[i * cols + j] = load(w, single, i * ldw + j);
      buf_ref[i * cols + j] = 0.0;
    }
  }
  for (i = 0; i < BUFFER; ++i) {
    store(w_cols, single, i, load(w, single, i));
    store(mom_cols, single, i, load(mom, single, i));
  }
  for (step = 0; step < 2; ++step) {
    for (i = 0; i < rows * cols; ++i) {
      store(g, single, i, next_uniform());
      g_ref[i] = load(g, single, i);
    }
    CHECK_OK(step_x(single, p, rows, cols, w, ldw, g, cols, mom, ldm));
    torch_muon_step(rows, cols, w_ref, g_ref, buf_ref, lr, wd, beta, eps);
    CHECK_OK(polarkit_optimizer_set(p, "layout", "column-major"));
    CHECK_OK(step_x(single, p, cols, rows, w_cols, ldw, g, cols, mom_cols, ldm));
    CHECK_OK(polarkit_optimizer_set(p, "layout", "row-major"));
  }
  for (i = 0; i < rows; ++i) {
    for (j = 0; j < cols; ++j) {
      const double dw = fabs(load(w, single, i * ldw + j) - w_ref[i * cols + j]);
      const double dm = fabs(load(mom, single, i * ldm + j) - buf_ref[i * cols + j]);
      const double dc = fabs(load(w_cols, single, i * ldw + j) - w_ref[i * cols + j]);
      if (dw > worst_w) worst_w = dw;
      if (dm > worst_m) worst_m = dm;
      if (dc > worst_cols) worst_cols = dc;
    }
  }
  ++checks;
  if (worst_w > tol || worst_m > 4.0 * u_unit || worst_cols <= tol ||
      !padding_untouched(w, single, rows, cols, ldw) ||
      !padding_untouched(mom, single, rows, cols, ldm)) {
    ++failures;
    fprintf(stderr,
            "muon %s %lldx%lld row-major vs torch: W off by %.3g (bar %.3g), buf off by %.3g (bar "
            "%.3g), column-major reading off by %.3g (must exceed the bar)\n",
            single ? "float" : "double", (long long)rows, (long long)cols, worst_w, tol, worst_m,
            4.0 * u_unit, worst_cols);
  }
  polarkit_optimizer_free(p);
}

static void test_row_major_muon(void) {
  int single;
  for (single = 0; single < 2; ++single) {
    check_muon_matches_torch(single, 12, 7);
    check_muon_matches_torch(single, 7, 12);
  }
}

/* "layout" and "device": defaults, round trips, bad values (the handle then unchanged). */
static void test_layout_and_device_keys(void) {
  polarkit_options* o = polarkit_options_new();
  polarkit_optimizer* p = polarkit_optimizer_new("polargrad");
  char value[POLARKIT_VALUE_MAX];
  CHECK(o != NULL && p != NULL);
  if (o == NULL || p == NULL) return;
  expect_option(o, "layout", "column-major");
  CHECK_OK(polarkit_options_set(o, "layout", "row-major"));
  expect_option(o, "layout", "row-major");
  CHECK_FAILS(polarkit_options_set(o, "layout", "C"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "invalid value 'C' for key 'layout' (accepted: column-major, row-major)");
  CHECK_FAILS(polarkit_options_set(o, "layout", "row_major"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "for key 'layout'");
  expect_option(o, "layout", "row-major");
  CHECK_OK(polarkit_options_set(o, "layout", "column-major"));
  expect_option(o, "layout", "column-major");

  expect_hyper(p, "layout", "column-major");
  expect_hyper(p, "device", "cpu");
  CHECK_OK(polarkit_optimizer_set(p, "layout", "row-major"));
  expect_hyper(p, "layout", "row-major");
  CHECK_OK(polarkit_optimizer_set(p, "device", "cuda"));
  expect_hyper(p, "device", "cuda");
  CHECK_FAILS(polarkit_optimizer_set(p, "layout", "F"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "invalid value 'F' for key 'layout' (accepted: column-major, row-major)");
  CHECK_FAILS(polarkit_optimizer_set(p, "device", "tpu"), POLARKIT_ERROR_INVALID_ARGUMENT,
              "invalid value 'tpu' for key 'device' (accepted: cpu, cuda)");
  expect_hyper(p, "layout", "row-major");
  expect_hyper(p, "device", "cuda");
  CHECK_OK(polarkit_optimizer_set(p, "device", "cpu"));
  expect_hyper(p, "device", "cpu");
  expect_hyper(p, "kind", "polargrad"); /* the other hyper-parameters are untouched */
  expect_hyper(p, "lr", "0.02");
  CHECK_FAILS(polarkit_optimizer_get(p, "colour", value, sizeof value),
              POLARKIT_ERROR_INVALID_ARGUMENT, "accepted keys: kind, lr, momentum");
  polarkit_options_free(o);
  polarkit_optimizer_free(p);
}

/* The keys an unknown-key message lists are exactly the keys the handle takes: each one reads
 * back, and its value is accepted back unchanged; the list ends with the storage keys. */
static void check_listed_keys(const char* message, int optimizer, polarkit_options* o,
                              polarkit_optimizer* p, int expected_count) {
  const char* list = strstr(message, "accepted keys: ");
  char key[64], value[POLARKIT_VALUE_MAX * 4], again[POLARKIT_VALUE_MAX * 4];
  int count = 0;
  CHECK(list != NULL);
  if (list == NULL) return;
  list += strlen("accepted keys: ");
  CHECK(strstr(list, "device, layout)") != NULL);
  while (*list != '\0' && *list != ')') {
    size_t length = strcspn(list, ",)");
    if (length >= sizeof key) length = sizeof key - 1;
    memcpy(key, list, length);
    key[length] = '\0';
    list += length;
    if (*list == ',') list += 2; /* ", " */
    ++count;
    if (optimizer) {
      CHECK_OK(polarkit_optimizer_get(p, key, value, sizeof value));
      CHECK_OK(polarkit_optimizer_set(p, key, value));
      CHECK_OK(polarkit_optimizer_get(p, key, again, sizeof again));
    } else {
      CHECK_OK(polarkit_options_get(o, key, value, sizeof value));
      CHECK_OK(polarkit_options_set(o, key, value));
      CHECK_OK(polarkit_options_get(o, key, again, sizeof again));
    }
    CHECK(strcmp(value, again) == 0);
  }
  CHECK(count == expected_count);
}

static void test_key_lists(void) {
  polarkit_options* o = polarkit_options_new();
  polarkit_optimizer* p = polarkit_optimizer_new("muon");
  char message[2048];
  if (o == NULL || p == NULL) return;
  CHECK(polarkit_options_set(o, "colour", "red") == POLARKIT_ERROR_INVALID_ARGUMENT);
  strncpy(message, polarkit_last_error(), sizeof message - 1);
  message[sizeof message - 1] = '\0';
  check_listed_keys(message, 0, o, NULL, 16);
  CHECK(polarkit_optimizer_set(p, "beta2", "0.99") == POLARKIT_ERROR_INVALID_ARGUMENT);
  strncpy(message, polarkit_last_error(), sizeof message - 1);
  message[sizeof message - 1] = '\0';
  check_listed_keys(message, 1, NULL, p, 17);
  polarkit_options_free(o);
  polarkit_optimizer_free(p);
}

/* The optimizer's "device": w, g and momentum in CUDA device memory. Host buffers cannot stand
 * in for device memory where a GPU runs, so the probe is an empty solve with device "cuda":
 * POLARKIT_ERROR_NOT_COMPILED without the CUDA backend (a step must then fail the same way, before
 * touching any buffer), POLARKIT_ERROR_BACKEND_FAILURE without a GPU (likewise); a GPU: skipped. */
static void test_optimizer_device(void) {
  double w[12], g[12], mom[12], w0[12];
  polarkit_options* o = polarkit_options_new();
  polarkit_optimizer* p = polarkit_optimizer_new("muon");
  int probe, i;
  if (o == NULL || p == NULL) return;
  CHECK_OK(polarkit_options_set(o, "device", "cuda"));
  probe = polarkit_polar_d(0, 0, NULL, 1, NULL, 1, NULL, 1, o, NULL);
  CHECK(probe == POLARKIT_SUCCESS || probe == POLARKIT_ERROR_NOT_COMPILED ||
        probe == POLARKIT_ERROR_BACKEND_FAILURE);
  for (i = 0; i < 12; ++i) {
    w[i] = w0[i] = next_uniform();
    g[i] = next_uniform();
    mom[i] = 0.0;
  }
  CHECK_OK(polarkit_optimizer_set(p, "device", "cuda"));
  if (probe == POLARKIT_ERROR_NOT_COMPILED) {
    CHECK_FAILS(polarkit_optimizer_step_d(p, 4, 3, w, 4, g, 4, mom, 4, NULL),
                POLARKIT_ERROR_NOT_COMPILED, "CUDA backend is not compiled");
    CHECK(memcmp(w, w0, sizeof w) == 0);
  } else if (probe == POLARKIT_ERROR_BACKEND_FAILURE) {
    CHECK(polarkit_optimizer_step_d(p, 4, 3, w, 4, g, 4, mom, 4, NULL) ==
          POLARKIT_ERROR_BACKEND_FAILURE);
  }
  polarkit_options_free(o);
  polarkit_optimizer_free(p);
}

/* ---- bfloat16 entry points ---------------------------------------------------------------- */

static float bf16_to_float(uint16_t b) {
  const uint32_t bits = (uint32_t)b << 16;
  float x;
  memcpy(&x, &bits, sizeof x);
  return x;
}

/* A bf16 test value: x with its low 16 bits dropped (exactly representable; not a rounding). */
static uint16_t bf16_cut(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof bits);
  return (uint16_t)(bits >> 16);
}

/* The spacing of bf16 numbers (8 significand bits) in the binade of x != 0. */
static double bf16_ulp(double x) {
  int e;
  frexp(x, &e);
  return ldexp(1.0, e - 8);
}

/* ||U^T U - I||_F / sqrt(n) of an m × n (m >= n) column-major bf16 matrix. */
static double bf16_ortho(int64_t m, int64_t n, const uint16_t* u, int64_t ld) {
  double sum = 0.0;
  int64_t i, j, k;
  for (i = 0; i < n; ++i) {
    for (j = 0; j < n; ++j) {
      double s = (i == j) ? -1.0 : 0.0;
      for (k = 0; k < m; ++k) s += (double)bf16_to_float(u[k + i * ld]) * bf16_to_float(u[k + j * ld]);
      sum += s * s;
    }
  }
  return sqrt(sum / (double)n);
}

/* ||A - U H||_F / ||A||_F, column-major bf16. */
static double bf16_backward(int64_t m, int64_t n, const uint16_t* a, const uint16_t* u,
                            const uint16_t* h) {
  double r = 0.0, s = 0.0;
  int64_t i, j, k;
  for (i = 0; i < m; ++i) {
    for (j = 0; j < n; ++j) {
      double uh = 0.0;
      const double aij = bf16_to_float(a[i + j * m]);
      for (k = 0; k < n; ++k) uh += (double)bf16_to_float(u[i + k * m]) * bf16_to_float(h[k + j * n]);
      r += (aij - uh) * (aij - uh);
      s += aij * aij;
    }
  }
  return sqrt(r / s);
}

/* The report's step letters include a reduced-precision step ('L'). */
static int last_steps_reduced(void) {
  char steps[POLARKIT_VALUE_MAX * 4];
  if (polarkit_last_report_get(0, "steps", steps, sizeof steps) != 0) return -1;
  return strchr(steps, 'L') != NULL;
}

/* polarkit_polar_bf16 of a 24 × 12 bf16 matrix. Bars from u = 2^-8: the bf16 iteration stops at
 * ||U^T U - I||_F/sqrt(n) <= 4u (its acceptance level, tests/core/test_reduced_precision.cpp);
 * rounding U to bf16 moves each entry by at most u relative, each entry of U^T U by at most 2u,
 * ||U^T U - I||_F/sqrt(n) by at most 2u more: 6u, bar 7u. Refined in float, only the final
 * rounding is left: 2u, bar 3u. A = U H to the bf16 iteration's 4u plus the roundings of U and
 * H (u each): bar 7u. A float U read as bf16 (or its bits truncated wrong, or polar(A^T)) is
 * far outside. */
static void test_polar_bf16(void) {
  enum { M = 24, N = 12 };
  uint16_t a[M * N], u[M * N], h[N * N], a_r[M * N], u_r[M * N], nan_a[M * N];
  polarkit_options* o = polarkit_options_new();
  polarkit_info info;
  int64_t i, j;
  int same = 1, untouched = 1;
  for (i = 0; i < M; ++i) {
    for (j = 0; j < N; ++j) a[i + j * M] = bf16_cut((float)(next_uniform() + (i == j ? 3.0 : 0.0)));
  }
  /* Defaults: a Newton-Schulz method, iterated in bf16 (the step letters say 'L'). */
  CHECK_OK(polarkit_polar_bf16(M, N, a, M, u, M, h, N, NULL, &info));
  CHECK(bf16_ortho(M, N, u, M) <= 7.0 * bf16_unit);
  CHECK(bf16_ortho(M, N, u, M) > 0.0); /* bf16 rounding: not exactly orthonormal */
  CHECK(bf16_backward(M, N, a, u, h) <= 7.0 * bf16_unit);
  CHECK(info.converged == 1);
  CHECK(last_steps_reduced() == 1);
  /* refine: continued in float, only the final rounding is left. */
  CHECK_OK(polarkit_options_set(o, "refine", "true"));
  CHECK_OK(polarkit_polar_bf16(M, N, a, M, u, M, h, N, o, NULL));
  CHECK(bf16_ortho(M, N, u, M) <= 3.0 * bf16_unit);
  CHECK_OK(polarkit_options_set(o, "refine", "false"));
  /* A method outside the family computes in float; asking it for bf16 is refused. */
  CHECK_OK(polarkit_options_set(o, "method", "qdwh"));
  CHECK_OK(polarkit_polar_bf16(M, N, a, M, u, M, NULL, 1, o, NULL));
  CHECK(bf16_ortho(M, N, u, M) <= 3.0 * bf16_unit);
  CHECK(last_steps_reduced() == 0);
  CHECK_OK(polarkit_options_set(o, "precision", "bf16"));
  CHECK_FAILS(polarkit_polar_bf16(M, N, a, M, u, M, NULL, 1, o, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "precision 'bf16'");
  CHECK_OK(polarkit_options_set(o, "precision", "working"));

  /* Row-major: the column-major result, bit for bit (the same float computation). */
  CHECK_OK(polarkit_options_set(o, "method", "polar-express-adaptive"));
  CHECK_OK(polarkit_polar_bf16(M, N, a, M, u, M, NULL, 1, o, NULL));
  for (i = 0; i < M; ++i) {
    for (j = 0; j < N; ++j) a_r[i * N + j] = a[i + j * M];
  }
  CHECK_OK(polarkit_options_set(o, "layout", "row-major"));
  CHECK_OK(polarkit_polar_bf16(M, N, a_r, N, u_r, N, NULL, 1, o, NULL));
  for (i = 0; i < M; ++i) {
    for (j = 0; j < N; ++j) same = same && u_r[i * N + j] == u[i + j * M];
  }
  CHECK(same);
  CHECK_FAILS(polarkit_polar_bf16(M, N, a_r, N - 1, u_r, N, NULL, 1, o, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "lda = 11 is below max(1, 12) = 12 (row-major");
  CHECK_OK(polarkit_options_set(o, "layout", "column-major"));

  /* Bad arguments; on failure u is untouched. */
  CHECK_FAILS(polarkit_polar_bf16(M, N, NULL, M, u, M, NULL, 1, NULL, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "a is NULL");
  CHECK_FAILS(polarkit_polar_bf16(M, N, a, M, NULL, M, NULL, 1, NULL, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "u is NULL");
  CHECK_FAILS(polarkit_polar_bf16(M, N, a, M, u, M - 1, NULL, 1, NULL, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldu = 23 is below max(1, 24) = 24");
  CHECK_FAILS(polarkit_polar_bf16(-1, N, a, M, u, M, NULL, 1, NULL, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "m and n must be non-negative");
  CHECK_FAILS(polarkit_polar_bf16(M / 2, N, a, M, a + 1, M, NULL, 1, NULL, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "u and a overlap");
  CHECK(strstr(polarkit_last_error(), "polarkit_polar_bf16") != NULL);
  memcpy(nan_a, a, sizeof a);
  nan_a[5] = 0x7fc0; /* NaN */
  for (i = 0; i < M * N; ++i) u[i] = 0x1234;
  CHECK_FAILS(polarkit_polar_bf16(M, N, nan_a, M, u, M, NULL, 1, NULL, NULL),
              POLARKIT_ERROR_NON_FINITE_INPUT, "NaN or Inf");
  nan_a[5] = 0xff80; /* -Inf */
  CHECK_FAILS(polarkit_polar_bf16(M, N, nan_a, M, u, M, NULL, 1, NULL, NULL),
              POLARKIT_ERROR_NON_FINITE_INPUT, "NaN or Inf");
  CHECK_OK(polarkit_options_set(o, "device", "cuda"));
  CHECK_FAILS(polarkit_polar_bf16(M, N, a, M, u, M, NULL, 1, o, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "host memory only");
  for (i = 0; i < M * N; ++i) untouched = untouched && u[i] == 0x1234;
  CHECK(untouched);
  /* An empty problem: H is the zero matrix. */
  for (i = 0; i < N * N; ++i) h[i] = 0x1234;
  CHECK_OK(polarkit_polar_bf16(0, N, NULL, 1, NULL, 1, h, N, NULL, NULL));
  CHECK(h[0] == 0 && h[N * N - 1] == 0);
  polarkit_options_free(o);
}

/* polarkit_optimizer_step_bf16 is polarkit_optimizer_step_s on the widened values, rounded to
 * bf16: within 1 bf16 ulp of the float step, the momentum too — and, as the same float step
 * rounded to nearest, within half an ulp (truncation would not be); a failed step leaves w and
 * the momentum untouched. Row-major 12 × 7. */
static void test_step_bf16(void) {
  enum { M = 12, N = 7, LDW = N + 1 };
  uint16_t w[M * LDW], g[M * N], mom[M * N], w0[M * LDW], mom0[M * N];
  float wf[M * LDW], gf[M * N], mf[M * N];
  polarkit_optimizer* p = polarkit_optimizer_new("muon");
  double nu = 0.0;
  int i, within = 1, nearest = 1, moved = 0, untouched;
  CHECK(p != NULL);
  if (p == NULL) return;
  CHECK_OK(polarkit_optimizer_set(p, "lr", "0.05"));
  CHECK_OK(polarkit_optimizer_set(p, "layout", "row-major"));
  for (i = 0; i < M * LDW; ++i) {
    w[i] = w0[i] = (i % LDW == N) ? 0x1234 : bf16_cut((float)next_uniform());
    wf[i] = bf16_to_float(w[i]);
  }
  for (i = 0; i < M * N; ++i) {
    g[i] = bf16_cut((float)next_uniform());
    mom[i] = mom0[i] = bf16_cut((float)(0.1 * next_uniform())); /* a state from earlier steps */
    gf[i] = bf16_to_float(g[i]);
    mf[i] = bf16_to_float(mom[i]);
  }
  CHECK_OK(polarkit_optimizer_step_s(p, M, N, wf, LDW, gf, N, mf, N, NULL));
  CHECK_OK(polarkit_optimizer_step_bf16(p, M, N, w, LDW, g, N, mom, N, &nu));
  CHECK(nu == 1.0);
  for (i = 0; i < M * LDW; ++i) {
    if (i % LDW == N) {
      within = within && w[i] == 0x1234; /* the padding */
      continue;
    }
    within = within && fabs((double)bf16_to_float(w[i]) - wf[i]) <= bf16_ulp(wf[i]);
    nearest = nearest && fabs((double)bf16_to_float(w[i]) - wf[i]) <= 0.5 * bf16_ulp(wf[i]);
    moved += w[i] != w0[i];
  }
  for (i = 0; i < M * N; ++i) {
    within = within && fabs((double)bf16_to_float(mom[i]) - mf[i]) <= bf16_ulp(mf[i]);
    nearest = nearest && fabs((double)bf16_to_float(mom[i]) - mf[i]) <= 0.5 * bf16_ulp(mf[i]);
  }
  CHECK(within);
  CHECK(nearest);
  CHECK(moved > M * N / 4); /* the update is not lost below bf16's rounding */

  /* Bad arguments: w and the momentum untouched. */
  memcpy(w0, w, sizeof w);
  memcpy(mom0, mom, sizeof mom);
  g[3] = 0x7f80; /* +Inf */
  CHECK_FAILS(polarkit_optimizer_step_bf16(p, M, N, w, LDW, g, N, mom, N, &nu),
              POLARKIT_ERROR_NON_FINITE_INPUT, "NaN or Inf");
  CHECK(strstr(polarkit_last_error(), "polarkit_optimizer_step_bf16") != NULL);
  CHECK(isnan(nu));
  g[3] = 0x3f80; /* 1 */
  CHECK_FAILS(polarkit_optimizer_step_bf16(p, M, N, w, LDW, g, N, NULL, N, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "momentum is NULL");
  CHECK_FAILS(polarkit_optimizer_step_bf16(p, M, N, w, N - 1, g, N, mom, N, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "ldw = 6 is below max(1, 7) = 7");
  CHECK_FAILS(polarkit_optimizer_step_bf16(p, M, N, w, LDW, w + 1, N, mom, N, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "overlap");
  CHECK_FAILS(polarkit_optimizer_step_bf16(NULL, M, N, w, LDW, g, N, mom, N, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "opt is NULL");
  CHECK_OK(polarkit_optimizer_set(p, "device", "cuda"));
  CHECK_FAILS(polarkit_optimizer_step_bf16(p, M, N, w, LDW, g, N, mom, N, NULL),
              POLARKIT_ERROR_INVALID_ARGUMENT, "host memory only");
  untouched = memcmp(w, w0, sizeof w) == 0 && memcmp(mom, mom0, sizeof mom) == 0;
  CHECK(untouched);
  polarkit_optimizer_free(p);
}

int main(void) {
  test_last_error_starts_empty();
  test_options();
  test_polar_d();
  test_polar_d_wide();
  test_polar_s();
  test_polar_errors();
  test_empty_problem_pointers();
  test_polar_batched();
  test_last_report();
  test_options_checked_before_scratch();
  test_optimizer_handles();
  test_muon_step();
  test_batched_step();
  test_polargrad_step();
  test_lmo_steps();
  test_step_errors();
  test_release_cached_device_memory();
  test_layout_and_device_keys();
  test_key_lists();
  test_row_major_checks();
  test_row_major_polar();
  test_row_major_muon();
  test_optimizer_device();
  test_polar_bf16();
  test_step_bf16();
#ifdef POLARKIT_TEST_PTHREADS
  test_last_error_is_thread_local();
#endif
  if (failures != 0) {
    fprintf(stderr, "test_c_api: %d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("test_c_api: all %d checks passed\n", checks);
  return 0;
}
