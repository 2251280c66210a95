// Typed wrappers over the Fortran BLAS/LAPACK symbols, in the manner of BLAS++: one function
// template per routine for float and double (the s and d entry points), enums instead of
// LAPACK's option characters, and 64-bit sizes (index_t) throughout, so the CPU backend is
// written once as a template. Sizes are narrowed to the 32-bit LP64 integer here, with an
// overflow check, and nowhere else; callers never cast.
#pragma once

#include <concepts>

#include "polarkit/matrix_view.hpp"

namespace polarkit::blas {

/// The scalar types BLAS/LAPACK are wrapped for; the templates below are compiled for these only.
template <class T>
concept Real = std::same_as<T, float> || std::same_as<T, double>;

enum class Op { no_trans, trans };     ///< op(A) = A or Aᵀ ('N', 'T')
enum class Uplo { upper, lower };      ///< the triangle referenced ('U', 'L')
enum class Side { left, right };       ///< op(A) multiplies from the left or the right ('L', 'R')
enum class Diag { non_unit, unit };    ///< a triangular matrix's diagonal is read or taken as 1
enum class Job { no_vec, vec };        ///< eigenvalues only, or eigenvectors too ('N', 'V')
/// The 1-norm, the ∞-norm, the Frobenius norm or max |aᵢⱼ| ('1', 'I', 'F', 'M'; lantr and trcon
/// take the first two).
enum class Norm { one, inf, fro, max };

/// Narrows a size to the BLAS integer; throws Error(invalid_argument) if it does not fit. Every
/// wrapper below calls it on its sizes before anything else; cuBLAS and cuSOLVER take the same
/// 32-bit int, so the CUDA backend narrows with it too.
int narrow(index_t value);

/// C = alpha · op(A) · op(B) + beta · C for column-major operands; C is m × n, the inner size k.
template <Real T>
void gemm(Op transa, Op transb, index_t m, index_t n, index_t k, T alpha, const T* a, index_t lda,
          const T* b, index_t ldb, T beta, T* c, index_t ldc);

/// y = alpha · op(A) · x + beta · y for an m × n column-major A (beta = 0 does not read y).
template <Real T>
void gemv(Op trans, index_t m, index_t n, T alpha, const T* a, index_t lda, const T* x,
          index_t incx, T beta, T* y, index_t incy);

/// The uplo triangle of C = alpha · op(A) · op(A)ᵀ + beta · C for an n × n C, op(A) n × k.
template <Real T>
void syrk(Uplo uplo, Op trans, index_t n, index_t k, T alpha, const T* a, index_t lda, T beta,
          T* c, index_t ldc);

/// Thin SVD (jobz = 'S'); a is overwritten. Returns LAPACK's info. u and vt null: the singular
/// values only (jobz = 'N'; about 2–2.5× less time at n = 1024–2048).
template <Real T>
int gesdd(index_t m, index_t n, T* a, index_t lda, T* s, T* u, index_t ldu, T* vt, index_t ldvt);

/// Thin SVD by QR iteration (jobu = jobvt = 'S', or 'N' for null u and vt), the fallback when
/// gesdd fails.
template <Real T>
int gesvd(index_t m, index_t n, T* a, index_t lda, T* s, T* u, index_t ldu, T* vt, index_t ldvt);

/// x ← op(A)⁻¹·x for a triangular A (trsv).
template <Real T>
void trsv(Uplo uplo, Op trans, Diag diag, index_t n, const T* a, index_t lda, T* x, index_t incx);

/// B ← alpha · B · op(A)⁻¹ for triangular A (Side::right) or op(A)⁻¹ · B (Side::left).
template <Real T>
void trsm(Side side, Uplo uplo, Op transa, Diag diag, index_t m, index_t n, T alpha, const T* a,
          index_t lda, T* b, index_t ldb);

/// Householder QR (geqrf) and the explicit Q of its first n columns (orgqr). Return info.
template <Real T>
int geqrf(index_t m, index_t n, T* a, index_t lda, T* tau);
template <Real T>
int orgqr(index_t m, index_t n, index_t k, T* a, index_t lda, const T* tau);

/// Blocked Householder QR with compact-WY block reflectors and a recursive panel (geqrt, block
/// size nb): the reflectors below the diagonal of a, the nb × n triangular factors T in t.
/// Unlike geqrf's Level-2 panel it runs near the GEMM rate on the panel too.
template <Real T>
int geqrt(index_t m, index_t n, index_t nb, T* a, index_t lda, T* t, index_t ldt);

/// c ← Q·c for the Q of geqrt (gemqrt, side 'L', trans 'N'): c is m × n, v (m × k) and
/// t (nb × k) are geqrt's a and t.
template <Real T>
int gemqrt(index_t m, index_t n, index_t k, index_t nb, const T* v, index_t ldv, const T* t,
           index_t ldt, T* c, index_t ldc);

/// Cholesky factorisation (potrf). info > 0: not positive definite.
template <Real T>
int potrf(Uplo uplo, index_t n, T* a, index_t lda);

/// Inverse of a non-unit triangular matrix in place (trtri). info > 0: exactly singular.
template <Real T>
int trtri(Uplo uplo, index_t n, T* a, index_t lda);

/// ‖A‖ of a non-unit triangular matrix (lantr) and its reciprocal condition estimate (trcon) in
/// the 1-norm or the ∞-norm.
template <Real T>
double lantr(Norm norm, Uplo uplo, index_t n, const T* a, index_t lda);
template <Real T>
int trcon(Norm norm, Uplo uplo, index_t n, const T* a, index_t lda, T& rcond);

/// LU factorisation and inverse (getrf + getri). info > 0: exactly singular.
template <Real T>
int invert_lu(index_t n, T* a, index_t lda);

/// Symmetric eigendecomposition, eigenvalues ascending in w and (Job::vec) eigenvectors over
/// a: divide and conquer (syevd) and QR iteration (syev, the fallback). Return LAPACK's info.
template <Real T>
int syevd(Job jobz, Uplo uplo, index_t n, T* a, index_t lda, T* w);
template <Real T>
int syev(Job jobz, Uplo uplo, index_t n, T* a, index_t lda, T* w);

/// The BLAS library's own thread count, where it lets a caller set it (OpenBLAS, found at run
/// time in whichever library provides dgemm_); otherwise threads() is 0 and set_threads does
/// nothing. Process-wide: OpenBLAS 0.3.21 has no per-thread setting.
int threads();
void set_threads(int count);

}  // namespace polarkit::blas
