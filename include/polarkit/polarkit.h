/* polarkit/polarkit.h — the stable C ABI of polarkit (C99 and C++).
 *
 * For PyTorch/JAX extensions, Rust, Julia and plain C. Conventions:
 *   - Matrices are column-major with an explicit leading dimension: element (i, j) of an m × n
 *     matrix X with leading dimension ldx is X[i + j * ldx], and ldx >= max(1, m).
 *   - Or row-major, the C order of numpy and torch buffers, with the key "layout" set to
 *     "row-major" (polarkit_options_set, polarkit_optimizer_set): every matrix of the call is
 *     then row-major, element (i, j) is X[i * ldx + j] and ldx >= max(1, n) is the distance
 *     between rows. The buffers are used in place, never copied or transposed, and m × n is the
 *     shape as the caller sees it (a torch weight of shape (d_out, d_in) is m = d_out,
 *     n = d_in).
 *   - Inputs (const pointers) are never modified. Outputs must not overlap the inputs or each
 *     other: two blocks of one array (the same leading dimension and layout) overlap where they
 *     share an element, other buffers where their address ranges meet. The C++ API applies the
 *     same rule.
 *   - Handles are opaque; the caller owns every buffer and all optimizer state (functional, like
 *     optax). Handles may be shared between threads for reading (polar and step calls take them
 *     as const); *_set on a handle must not race with other calls using that handle.
 *   - Every function that can fail returns a status (0 = success, see polarkit_status) and never
 *     lets an exception or a C++ error escape. The reason for the last failure is available from
 *     polarkit_last_error(), per thread.
 *
 *   polarkit_options* o = polarkit_options_new();
 *   polarkit_options_set(o, "method", "qdwh");
 *   polarkit_info info;
 *   if (polarkit_polar_d(m, n, a, m, u, m, h, n, o, &info) != 0)
 *     fprintf(stderr, "polar: %s\n", polarkit_last_error());
 *   polarkit_options_free(o);
 */
#ifndef POLARKIT_POLARKIT_H
#define POLARKIT_POLARKIT_H

#include <stddef.h>
#include <stdint.h>

/* POLARKIT_API marks the exported entry points of libpolarkit.so (default visibility even when
 * the library is built with -fvisibility=hidden). */
#if defined(_WIN32)
#define POLARKIT_API
#elif defined(__GNUC__) || defined(__clang__)
#define POLARKIT_API __attribute__((visibility("default")))
#else
#define POLARKIT_API
#endif

#ifdef __cplusplus
#define POLARKIT_NOEXCEPT noexcept
extern "C" {
#else
#define POLARKIT_NOEXCEPT
#endif

/* ---------------------------------------------------------------------------------------------
 * Status codes. Every int-returning function returns one of these. Codes 1..5 are the values of
 * the C++ polarkit::ErrorCode (error.hpp) and never change; 6 and 7 exist only in the C ABI.
 * ------------------------------------------------------------------------------------------- */
typedef enum polarkit_status {
  /** The call succeeded. */
  POLARKIT_SUCCESS = 0,
  /** An argument is not acceptable: a NULL handle or pointer that must not be NULL, a negative
   *  size (polar; the optimizer steps also reject empty parameters), a leading dimension below
   *  max(1, rows) (max(1, cols) row-major), overlapping input and output buffers, an unknown key
   *  or value in *_set, a NULL momentum state while momentum > 0, a hyper-parameter out of
   *  range, or device "cuda" for a bf16 entry point. */
  POLARKIT_ERROR_INVALID_ARGUMENT = 1,
  /** The input matrix (a, or the gradient g) contains NaN or Inf; rejected before any work. */
  POLARKIT_ERROR_NON_FINITE_INPUT = 2,
  /** BLAS/LAPACK (or CUDA) reported an error or failed to converge. */
  POLARKIT_ERROR_BACKEND_FAILURE = 3,
  /** The requested backend or feature is not part of this build (e.g. device "cuda" without the
   *  CUDA backend). */
  POLARKIT_ERROR_NOT_COMPILED = 4,
  /** A file could not be read or is malformed (not returned by the functions of this header;
   *  reserved so that the codes match polarkit::ErrorCode). */
  POLARKIT_ERROR_IO = 5,
  /** Memory could not be allocated (std::bad_alloc). */
  POLARKIT_ERROR_OUT_OF_MEMORY = 6,
  /** Any other failure inside the library (an unexpected exception); the message says what. */
  POLARKIT_ERROR_INTERNAL = 7
} polarkit_status;

/** The message of the most recent failed polarkit call on the calling thread (thread-local,
 *  faiss c_api style); "" if no call has failed on this thread yet. A successful call does not
 *  clear it. The pointer stays valid until the next failing polarkit call on the same thread.
 *  Never returns NULL. */
POLARKIT_API const char* polarkit_last_error(void) POLARKIT_NOEXCEPT;

/** Hands back to the CUDA driver the device memory polarkit keeps for reuse (freed matrices in
 *  its stream-ordered pool, its workspace) on every device it has used, after waiting for its
 *  queued work: for a program that shares the GPU with another caching allocator (PyTorch's,
 *  say). POLARKIT_SUCCESS, also without the CUDA backend or a device used (nothing to hand
 *  back); POLARKIT_ERROR_BACKEND_FAILURE when the runtime reports a fault of the queued work. */
POLARKIT_API int polarkit_release_cached_device_memory(void) POLARKIT_NOEXCEPT;

/** Hands back to the system the host memory polarkit keeps for reuse (the blocks of freed
 *  matrices, up to 1 GiB: fresh pages cost a zeroing and a fault each), then does what
 *  polarkit_release_cached_device_memory does. Return values as for that function. */
POLARKIT_API int polarkit_release_cached_memory(void) POLARKIT_NOEXCEPT;

/* ---------------------------------------------------------------------------------------------
 * Options of the polar decomposition
 * ------------------------------------------------------------------------------------------- */
typedef struct polarkit_options polarkit_options; /* opaque */

/** New options with the defaults of polarkit::PolarOptions: method "polar-express-adaptive",
 *  tol 0, max_iter 100, steps 0, scaling "frobenius", compute_h true, precision "working",
 *  refine false, device "cpu", layout "column-major".
 *  Returns NULL (and sets the last error) only if memory cannot be allocated. */
POLARKIT_API polarkit_options* polarkit_options_new(void) POLARKIT_NOEXCEPT;

/** Releases options made by polarkit_options_new. NULL is a no-op. */
POLARKIT_API void polarkit_options_free(polarkit_options* opts) POLARKIT_NOEXCEPT;

/** Sets one option from its text value. Keys (exact, lower case) and accepted values:
 *    "method"    "svd", "newton-schulz", "quintic", "muon", "polar-express",
 *                "polar-express-adaptive", "newton", "qdwh", "zolo", "auto"
 *                (default "polar-express-adaptive"; "muon" runs 5 steps unless "steps" is set)
 *    "tol"       a number in [0, 1): stop once ||X^T X - I||_F <= tol; 0 = to working precision
 *                (default 0)
 *    "max_iter"  an integer in [1, 1000]: most iterations when iterating to tolerance (default 100)
 *    "steps"     an integer in [0, 1000]: run exactly this many iterations (a fixed budget, as Muon
 *                does); 0 = iterate to tolerance (default 0)
 *    "scaling"   "frobenius" (alpha = ||A||_F, default) or "spectral" (Lanczos estimate of
 *                sigma_max, tighter): the normalisation X0 = A/alpha of Newton-Schulz methods
 *    "compute_h" "true"/"1" or "false"/"0": also form H and the nuclear norm (default
 *                "true")
 *    "backward_error" "true"/"1" or "false"/"0": with compute_h, also measure
 *                ||A - UH||_F/||A||_F for info->backward_error (one more product; default
 *                "false": NaN)
 *    "precision" "working" (default), "tf32", "bf16" or "fp16": the format a Newton-Schulz
 *                method iterates in (16-bit storage with float accumulation, or float with TF32
 *                products; polarkit::Precision); other methods refuse anything but "working"
 *                at polar time (POLARKIT_ERROR_INVALID_ARGUMENT), as does "tf32" for double
 *    "refine"    "true"/"1" or "false"/"0": after a reduced-precision iteration, continue in
 *                the input's precision until U is orthogonal to working precision (default
 *                "false")
 *    "batch_group" an integer >= 0: how many matrices polarkit_polar_batched_* iterates
 *                together with a Newton-Schulz method; 0 = the backend's choice (default: 1 on
 *                the CPU, 64 on a CUDA device); the results do not depend on it
 *    "two_norm_each_iterate" "true"/"1" (default) or "false"/"0": with "false", a fixed budget
 *                of a fixed-table Newton-Schulz method (muon, polar-express, ... with "steps")
 *                estimates ||X_j^T X_j - I||_2 (Lanczos) only at X0 and at the result, not at
 *                every iterate; the same U, NaN in the 2-norm history in between
 *                (polarkit::PolarOptions::two_norm_each_iterate)
 *    "measure_result" "true"/"1" (default) or "false"/"0": with "false", such a fixed budget
 *                (without "refine") measures nothing it does not need: no Gram matrix of U and
 *                no Lanczos run; info->ortho_error is NaN and info->converged 0 (not known);
 *                U and H are the same (polarkit::PolarOptions::measure_result)
 *    "coefficients" method "muon" only: the caller's quintics p(x) = a x + b x^3 + c x^5, "a,b,c"
 *                (every step) or "a,b,c;a,b,c;..." (one per step, the last repeated; at most
 *                1000); "" = Jordan's (3.4445, -4.775, 2.0315), the default. Without "steps" the
 *                budget is 5 for one triple, else the table's length
 *    "scale_floor" a finite number >= 0: Newton-Schulz methods start from X0 = A/max(alpha,
 *                scale_floor) (torch.optim.Muon's eps; default 0 = no floor)
 *    "device"    "cpu" (default: a, u and h are host memory) or "cuda" (a, u and h are CUDA
 *                device memory; polar returns POLARKIT_ERROR_NOT_COMPILED when this build has
 *                no CUDA backend)
 *    "layout"    "column-major" (default) or "row-major": how a, u and h are stored (see the
 *                conventions at the top); lda and ldu are then >= max(1, n), and ldh >= max(1, n)
 *                as before
 *  Numbers are parsed in the C locale's format ("1e-12", "0.5"); the whole value must parse.
 *  Returns 0, or POLARKIT_ERROR_INVALID_ARGUMENT for a NULL argument, an unknown key (the
 *  message lists the keys) or a value that is not accepted (the message names the key and the
 *  accepted values); the options are then unchanged. */
POLARKIT_API int polarkit_options_set(polarkit_options* opts, const char* key,
                                      const char* value) POLARKIT_NOEXCEPT;

/** Reads one option back as text, in the canonical form
 *  polarkit_options_set accepts (numbers in the shortest form that reads back exactly, e.g.
 *  "1e-12", "0.95"; booleans as "true"/"false"), into value[0..size), NUL-terminated. POLARKIT_VALUE_MAX bytes always
 *  suffice. Returns 0, or POLARKIT_ERROR_INVALID_ARGUMENT for a NULL argument, an unknown key or
 *  a buffer that is too small (value is then "" if size > 0). */
POLARKIT_API int polarkit_options_get(const polarkit_options* opts, const char* key, char* value,
                                      size_t size) POLARKIT_NOEXCEPT;

/** A buffer of this many bytes holds any value polarkit_options_get or polarkit_optimizer_get
 *  writes, except a coefficient table ("coefficients", "ns_coefficients"), whose text needs up to
 *  75 bytes per quintic. */
#define POLARKIT_VALUE_MAX 64

/* ---------------------------------------------------------------------------------------------
 * The polar decomposition A = U H
 * ------------------------------------------------------------------------------------------- */

/** What a polar solve did. On failure every double is NaN and the integers are 0. */
typedef struct polarkit_info {
  int32_t iterations;    /**< iterations taken                                            */
  int32_t converged;     /**< 1 when the final orthogonality error met the tolerance, else 0 */
  double ortho_error;    /**< final ||U^T U - I||_2 estimate (Lanczos)                    */
  double backward_error; /**< ||A - UH||_F/||A||_F; NaN unless option backward_error (and H)  */
  double nuclear_norm;   /**< tr(H) = ||A||_*, NaN if H not made                           */
  double scale;          /**< alpha used to scale A (X0 = A/alpha); 0 for A = 0            */
  double lower_bound;    /**< l0 used (lower bound on sigma_min(A/alpha))                  */
} polarkit_info;

/** Polar decomposition A = U H of the m × n matrix a (leading dimension lda; column-major, or
 *  row-major with the option "layout", as are u and h).
 *  U (m × n, leading dimension ldu) is written to u: orthonormal columns (U^T U = I) for m >= n,
 *  orthonormal rows (U U^T = I) for m < n. H = sym(U^T A) (n × n, symmetric positive
 *  semidefinite, leading dimension ldh) is written to h when h is not NULL and the option
 *  compute_h is on (else h is not touched).
 *  h may be NULL (ldh is then ignored): H is then formed in scratch memory only if it is needed,
 *  i.e. when compute_h is on and info is not NULL (for backward_error and nuclear_norm);
 *  otherwise it is not computed and those two fields are NaN.
 *  opts may be NULL (the defaults of polarkit_options_new). info may be NULL.
 *  A = 0 gives U = 0 and H = 0 (the polar factor is not unique; msign(0) = 0).
 *  An empty problem (m = 0 or n = 0) is valid: U is empty, H the n × n zero matrix, info says
 *  converged with 0 iterations; its a and u (and h when n = 0) may be NULL.
 *  Requirements (else POLARKIT_ERROR_INVALID_ARGUMENT): m >= 0 and n >= 0, a and u not NULL
 *  when m, n > 0, lda >= max(1, m), ldu >= max(1, m) (row-major: >= max(1, n)), ldh >= max(1, n)
 *  when h is not NULL, u and h do not overlap a or each other.
 *  Returns 0 on success (an iteration that does not meet the tolerance is a success with
 *  info->converged = 0), POLARKIT_ERROR_NON_FINITE_INPUT when a contains NaN or Inf,
 *  POLARKIT_ERROR_BACKEND_FAILURE, POLARKIT_ERROR_NOT_COMPILED (device "cuda" without CUDA),
 *  POLARKIT_ERROR_OUT_OF_MEMORY or POLARKIT_ERROR_INTERNAL. On failure u and h are unspecified. */
POLARKIT_API int polarkit_polar_d(int64_t m, int64_t n, const double* a, int64_t lda, double* u,
                                  int64_t ldu, double* h /* n×n or NULL */, int64_t ldh,
                                  const polarkit_options* opts /* NULL = defaults */,
                                  polarkit_info* info) POLARKIT_NOEXCEPT;

/** polarkit_polar_d in single precision (computed in float; info is reported in double). */
POLARKIT_API int polarkit_polar_s(int64_t m, int64_t n, const float* a, int64_t lda, float* u,
                                  int64_t ldu, float* h /* n×n or NULL */, int64_t ldh,
                                  const polarkit_options* opts /* NULL = defaults */,
                                  polarkit_info* info) POLARKIT_NOEXCEPT;

/** polarkit_polar_d of a bfloat16 matrix: a, u and h hold the bit patterns of bfloat16 values
 *  (the upper half of a float's bits, torch.bfloat16's storage) in uint16_t. Computed in float:
 *  a is widened exactly into a float copy (same layout), and U and H are rounded back to
 *  bfloat16, to nearest even, once the call has succeeded (on failure u and h are untouched).
 *  Precision: the working precision of a bfloat16 matrix is bf16, so precision "working" (the
 *  default) iterates a Newton-Schulz method (newton-schulz, quintic, muon, polar-express,
 *  polar-express-adaptive) in bf16 storage with float accumulation, as precision "bf16" does
 *  for polarkit_polar_s; the other methods have no 16-bit mode and compute in float. Any other
 *  precision is used as set ("tf32", "fp16", or "bf16", which the other methods refuse as for
 *  polarkit_polar_s), and "refine" continues in float until U is orthogonal to float precision
 *  before it is rounded (||U^T U - I|| then comes from the final rounding alone, a relative
 *  2^-8 per entry, instead of the bf16 iteration's few units of 2^-8). info describes the float
 *  computation (reported in double), before U and H are rounded.
 *  Host memory only: with device "cuda" it returns POLARKIT_ERROR_INVALID_ARGUMENT (convert on
 *  the device and call polarkit_polar_s there). Otherwise as polarkit_polar_d, leading
 *  dimensions counted in elements. */
POLARKIT_API int polarkit_polar_bf16(int64_t m, int64_t n, const uint16_t* a, int64_t lda,
                                     uint16_t* u, int64_t ldu, uint16_t* h /* n×n or NULL */,
                                     int64_t ldh,
                                     const polarkit_options* opts /* NULL = defaults */,
                                     polarkit_info* info) POLARKIT_NOEXCEPT;

/** Polar decompositions of count matrices of one shape: U_i of the m × n matrix a[i] (in the
 *  options' layout) into u[i] (and H_i into h[i] when h is not NULL), with info[i] (info may be NULL), each as
 *  polarkit_polar_d reports it. All a[i] share lda, all u[i] ldu, all h[i] ldh. The
 *  Newton–Schulz methods iterate the batch together (see polar_batched in polarkit/polar.hpp;
 *  on the CPU the results equal count separate calls bit for bit); the other methods solve the
 *  matrices one after another. count = 0 is a no-op. Requirements as for polarkit_polar_d, for
 *  every item, plus (POLARKIT_ERROR_INVALID_ARGUMENT) count >= 0, a and u not NULL when
 *  count > 0, every a[i] and u[i] (and h[i] when h is not NULL) not NULL, and no output
 *  overlapping any input or another output. Every item is checked before anything is written. */
POLARKIT_API int polarkit_polar_batched_d(int64_t count, int64_t m, int64_t n,
                                          const double* const* a, int64_t lda, double* const* u,
                                          int64_t ldu, double* const* h /* NULL: no H */,
                                          int64_t ldh, const polarkit_options* opts,
                                          polarkit_info* info /* count entries or NULL */)
    POLARKIT_NOEXCEPT;

/** polarkit_polar_batched_d in single precision. */
POLARKIT_API int polarkit_polar_batched_s(int64_t count, int64_t m, int64_t n,
                                          const float* const* a, int64_t lda, float* const* u,
                                          int64_t ldu, float* const* h /* NULL: no H */,
                                          int64_t ldh, const polarkit_options* opts,
                                          polarkit_info* info /* count entries or NULL */)
    POLARKIT_NOEXCEPT;

/** Report fields polarkit_info has no room for (its layout is fixed), of matrix `item` (0 for
 *  polarkit_polar_d/s) of this thread's last polarkit_polar_* call, written into value[0..size)
 *  as polarkit_options_get writes values. Keys: every scalar field of the C++ PolarInfo, among
 *  them "rank" (the numerical rank of A — singular values above max(m, n)·eps·sigma_max; -1
 *  where not determined, i.e. fixed budgets), "method_used" (the method that ran, e.g. for
 *  "auto"), "cond_estimate", "ortho_error_fro" (||U^T U - I||_F), "flops", "products" and "steps"
 *  (one letter per iteration: P polynomial, L polynomial in reduced precision, Q/K/C QDWH
 *  QR/Cholesky-QR/Cholesky, N Newton, Z Zolo-PD). Returns 0, or
 *  POLARKIT_ERROR_INVALID_ARGUMENT for a NULL argument, an unknown key, an item that the last
 *  call did not have (also when it failed, or there was none) or a buffer that is too small. */
POLARKIT_API int polarkit_last_report_get(int64_t item, const char* key, char* value,
                                          size_t size) POLARKIT_NOEXCEPT;

/* ---------------------------------------------------------------------------------------------
 * Optimizer steps: the caller owns all state (functional, like optax)
 * ------------------------------------------------------------------------------------------- */
typedef struct polarkit_optimizer polarkit_optimizer; /* opaque hyper-parameters */

/** New hyper-parameters of one optimizer kind (polarkit::optim::Config). kind:
 *    "muon"       orthogonalised momentum; defaults of torch.optim.Muon: lr 1e-3, momentum 0.95,
 *                 nesterov true, weight_decay 0.1, scale "original", method "muon", steps 5
 *    "polargrad"  W -= lr·nu·U (Lau, Long & Su 2025); defaults: lr 0.02, momentum 0.95,
 *                 nesterov false, weight_decay 0, scale "none", nu "inner",
 *                 momentum_order "momentum-first", method "qdwh", steps 0
 *    "colnorm", "rownorm", "sign", "spectral"
 *                 Scion's LMO steps W -= lr·lmo(D); the defaults of "muon" otherwise
 *  Every kind starts with layout "column-major" and device "cpu".
 *  Returns NULL and sets the last error for a NULL or unknown kind (the message lists the
 *  accepted kinds) or when memory cannot be allocated. */
POLARKIT_API polarkit_optimizer* polarkit_optimizer_new(const char* kind) POLARKIT_NOEXCEPT;

/** Releases hyper-parameters made by polarkit_optimizer_new. NULL is a no-op. */
POLARKIT_API void polarkit_optimizer_free(polarkit_optimizer* opt) POLARKIT_NOEXCEPT;

/** Sets one hyper-parameter from its text value. Keys (exact, lower case) and accepted values:
 *    "lr"             a finite number >= 0: the learning rate
 *    "momentum"       a number in [0, 1): the EMA coefficient beta; 0 disables momentum (the
 *                     momentum state may then be NULL)
 *    "nesterov"       "true"/"1" or "false"/"0": Nesterov momentum (D = beta·M + (1-beta)·G)
 *    "weight_decay"   a finite number >= 0: decoupled, W ·= (1 - lr·weight_decay)
 *    "eps"            a finite number >= 0: Muon normalises D by max(||D||_F, eps), as
 *                     torch.optim.Muon (default 1e-7; 0 = no floor)
 *    "scale"          "none" (1), "original" (sqrt(max(1, m/n))), "moonlight"
 *                     (0.2·sqrt(max(m, n))) or "spectral" (sqrt(m/n)): Muon's shape scale
 *    "nu"             "nuclear" (nu = tr(H) = ||D||_*) or "inner" (nu = <U, D>_F): PolarGrad
 *    "momentum_order" "momentum-first" (polar of the momentum) or "polar-first" (momentum on
 *                     nu·U): PolarGrad
 *    "method"         the polar oracle, any method accepted by polarkit_options_set
 *    "steps"          an integer >= 0: the oracle's fixed iteration budget; 0 = to tolerance
 *                     (muon's default 5, torch's ns_steps; with a per-step "ns_coefficients"
 *                     table, 0 runs the table's length)
 *    "ns_coefficients" muon's quintics, as polarkit_options_set's "coefficients" (torch's
 *                     ns_coefficients is one triple "a,b,c"; "" = Jordan's)
 *    "tol", "precision" the oracle's, as polarkit_options_set's keys of those names
 *    "batch_group"    an integer >= 0: how many parameters a batched step's Newton-Schulz
 *                     oracle iterates together (as polarkit_options_set's "batch_group")
 *    "two_norm_each_iterate" "true"/"1" or "false"/"0": the oracle's 2-norm estimate at every
 *                     iterate (as polarkit_options_set's key of that name); default "false" for
 *                     muon (its fixed budget reads none between X0 and U), "true" otherwise
 *    "layout"         "column-major" (default) or "row-major": how w, g and momentum are stored
 *                     (see the conventions at the top); ldw, ldg, ldm are then >= max(1, n) for
 *                     the (m, n) = (d_out, d_in) parameter, so that a torch weight is passed as
 *                     it is and gets the shape scale of its own shape
 *    "device"         "cpu" (default: w, g and momentum are host memory) or "cuda" (CUDA device
 *                     memory; a step returns POLARKIT_ERROR_NOT_COMPILED when this build has no
 *                     CUDA backend), as polarkit_options_set's "device"
 *  Returns 0, or POLARKIT_ERROR_INVALID_ARGUMENT for a NULL argument, an unknown key (the
 *  message lists the keys) or a value that is not accepted (the message names the key and the
 *  accepted values); the hyper-parameters are then unchanged. */
POLARKIT_API int polarkit_optimizer_set(polarkit_optimizer* opt, const char* key,
                                        const char* value) POLARKIT_NOEXCEPT;

/** Reads one hyper-parameter back as text (same keys and
 *  canonical forms as polarkit_optimizer_set; also "kind"), like polarkit_options_get. */
POLARKIT_API int polarkit_optimizer_get(const polarkit_optimizer* opt, const char* key,
                                        char* value, size_t size) POLARKIT_NOEXCEPT;

/** One optimizer step on the m × n parameter w (m = d_out rows, n = d_in columns; column-major,
 *  or row-major with the hyper-parameter "layout"; leading dimension ldw), updated in place, with the gradient g (m × n, ldg; never modified)
 *  and the momentum state (m × n, ldm; zero at the first step, updated in place).
 *  momentum may be NULL only when the hyper-parameter momentum is 0 (ldm is then ignored).
 *  step_nu may be NULL; otherwise it receives nu (PolarGrad; 1 for the other kinds; NaN on
 *  failure).
 *  Requirements (else POLARKIT_ERROR_INVALID_ARGUMENT): opt, w and g not NULL, m > 0 and n > 0,
 *  ldw, ldg, ldm >= max(1, m) (row-major: >= max(1, n)), and w, g, momentum pairwise
 *  non-overlapping.
 *  Returns 0, POLARKIT_ERROR_NON_FINITE_INPUT when g contains NaN or Inf (w and momentum are then
 *  unchanged), POLARKIT_ERROR_BACKEND_FAILURE, POLARKIT_ERROR_NOT_COMPILED (device "cuda"
 *  without CUDA), POLARKIT_ERROR_OUT_OF_MEMORY or POLARKIT_ERROR_INTERNAL. */
POLARKIT_API int polarkit_optimizer_step_d(const polarkit_optimizer* opt, int64_t m, int64_t n,
                                           double* w, int64_t ldw, const double* g, int64_t ldg,
                                           double* momentum /* m×n state or NULL */, int64_t ldm,
                                           double* step_nu /* out: nu used, may be NULL */)
    POLARKIT_NOEXCEPT;

/** polarkit_optimizer_step_d in single precision (nu is reported in double). */
POLARKIT_API int polarkit_optimizer_step_s(const polarkit_optimizer* opt, int64_t m, int64_t n,
                                           float* w, int64_t ldw, const float* g, int64_t ldg,
                                           float* momentum /* m×n state or NULL */, int64_t ldm,
                                           double* step_nu /* out: nu used, may be NULL */)
    POLARKIT_NOEXCEPT;

/** polarkit_optimizer_step_d on bfloat16 buffers (uint16_t bit patterns, as polarkit_polar_bf16
 *  takes them): w, g and momentum are widened exactly to float, the step is
 *  polarkit_optimizer_step_s's on those values, and w and momentum are rounded back to bfloat16,
 *  to nearest even, once it has succeeded (on failure both are untouched). The momentum state
 *  is kept in bfloat16, as torch.optim keeps its buffers in the parameter's dtype: its rounding
 *  is part of the next step. An update below half a bfloat16 ulp of an entry of w leaves that
 *  entry unchanged, as for a torch bf16 parameter. The oracle iterates in the hyper-parameter
 *  "precision" (default "working" = float; "bf16" runs Newton-Schulz in bf16 storage as
 *  torch.optim.Muon does). Host memory only: with device "cuda" it returns
 *  POLARKIT_ERROR_INVALID_ARGUMENT. Requirements and other status codes as
 *  polarkit_optimizer_step_d. */
POLARKIT_API int polarkit_optimizer_step_bf16(const polarkit_optimizer* opt, int64_t m, int64_t n,
                                              uint16_t* w, int64_t ldw, const uint16_t* g,
                                              int64_t ldg,
                                              uint16_t* momentum /* m×n state or NULL */,
                                              int64_t ldm,
                                              double* step_nu /* out: nu used, may be NULL */)
    POLARKIT_NOEXCEPT;

/** One step on each of count parameters of one shape (a parameter group): w[i], g[i] and
 *  momentum[i] as polarkit_optimizer_step_d takes them (momentum may be NULL only when the
 *  hyper-parameter momentum is 0; step_nu, when not NULL, has count entries). The polar oracle
 *  (muon, polargrad) runs once for the whole group (polar_batched), and each parameter's result
 *  equals its own polarkit_optimizer_step_d (bit for bit on the CPU). Requirements as for
 *  polarkit_optimizer_step_d for every item, count >= 0, no array or item pointer NULL, and no
 *  w[i] or momentum[i] overlapping any other operand of the group (g[i] may be shared). Every
 *  item is checked before any parameter is updated. count = 0 is a no-op. */
POLARKIT_API int polarkit_optimizer_step_batched_d(const polarkit_optimizer* opt, int64_t count,
                                                   int64_t m, int64_t n, double* const* w,
                                                   int64_t ldw, const double* const* g,
                                                   int64_t ldg,
                                                   double* const* momentum /* or NULL */,
                                                   int64_t ldm,
                                                   double* step_nu /* count entries or NULL */)
    POLARKIT_NOEXCEPT;

/** polarkit_optimizer_step_batched_d in single precision. */
POLARKIT_API int polarkit_optimizer_step_batched_s(const polarkit_optimizer* opt, int64_t count,
                                                   int64_t m, int64_t n, float* const* w,
                                                   int64_t ldw, const float* const* g,
                                                   int64_t ldg,
                                                   float* const* momentum /* or NULL */,
                                                   int64_t ldm,
                                                   double* step_nu /* count entries or NULL */)
    POLARKIT_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* POLARKIT_POLARKIT_H */
