/* test_c_api.c — the C ABI (include/polarkit/polarkit.h) exercised from C99.
 *
 * Calls every function of the header, success and error paths, checks status codes, the thread's
 * last-error message, the polar identities (U^T U = I, A = U H) and optimizer steps. Prints every
 * failed check and exits non-zero if any failed. Built as C (tests/CMakeLists.txt) against the
 * static library, and against libpolarkit.so by tests/c_api_shared.cmake. */
#include <math.h>
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
              POLARKIT_ERROR_INVALID_ARGUMENT, "share memory");
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
