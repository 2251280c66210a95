// Thin typed wrappers over the Fortran BLAS/LAPACK symbols (blaspp-style overloads on the scalar
// type), so the CPU backend is written once as a template. Sizes are checked to fit the 32-bit
// LP64 integer before they reach Fortran.
#pragma once

#include "polarkit/matrix_view.hpp"

namespace polarkit::cpu {

/// Narrows a size to the BLAS integer; throws Error(invalid_argument) if it does not fit.
int blas_int(index_t value);

void gemm(char transa, char transb, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc);
void gemm(char transa, char transb, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc);

/// y = alpha · op(A) · x + beta · y for an m × n column-major A (beta = 0 does not read y).
void gemv(char trans, int m, int n, double alpha, const double* a, int lda, const double* x,
          int incx, double beta, double* y, int incy);
void gemv(char trans, int m, int n, float alpha, const float* a, int lda, const float* x, int incx,
          float beta, float* y, int incy);

void syrk(char uplo, char trans, int n, int k, double alpha, const double* a, int lda, double beta,
          double* c, int ldc);
void syrk(char uplo, char trans, int n, int k, float alpha, const float* a, int lda, float beta,
          float* c, int ldc);

/// Thin SVD (jobz = 'S'); a is overwritten. Returns LAPACK's info. u and vt null: the singular
/// values only (jobz = 'N'; about 2–2.5× less time at n = 1024–2048).
int gesdd(int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt, int ldvt);
int gesdd(int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt, int ldvt);

/// Thin SVD by QR iteration (jobu = jobvt = 'S', or 'N' for null u and vt), the fallback when
/// gesdd fails.
int gesvd(int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt, int ldvt);
int gesvd(int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt, int ldvt);

/// x ← op(A)⁻¹·x for a triangular A (trsv).
void trsv(char uplo, char trans, char diag, int n, const double* a, int lda, double* x, int incx);
void trsv(char uplo, char trans, char diag, int n, const float* a, int lda, float* x, int incx);

/// B ← alpha · B · op(A)⁻¹ for triangular A (side = 'R') or op(A)⁻¹ · B (side = 'L').
void trsm(char side, char uplo, char transa, char diag, int m, int n, double alpha,
          const double* a, int lda, double* b, int ldb);
void trsm(char side, char uplo, char transa, char diag, int m, int n, float alpha, const float* a,
          int lda, float* b, int ldb);

/// Householder QR (geqrf) and the explicit Q of its first n columns (orgqr). Return info.
int geqrf(int m, int n, double* a, int lda, double* tau);
int geqrf(int m, int n, float* a, int lda, float* tau);
int orgqr(int m, int n, int k, double* a, int lda, const double* tau);
int orgqr(int m, int n, int k, float* a, int lda, const float* tau);

/// Blocked Householder QR with compact-WY block reflectors and a recursive panel (geqrt, block
/// size nb): the reflectors below the diagonal of a, the nb × n triangular factors T in t.
/// Unlike geqrf's Level-2 panel it runs near the GEMM rate on the panel too.
int geqrt(int m, int n, int nb, double* a, int lda, double* t, int ldt);
int geqrt(int m, int n, int nb, float* a, int lda, float* t, int ldt);

/// c ← Q·c for the Q of geqrt (gemqrt, side 'L', trans 'N'): c is m × n, v (m × k) and
/// t (nb × k) are geqrt's a and t.
int gemqrt(int m, int n, int k, int nb, const double* v, int ldv, const double* t, int ldt,
           double* c, int ldc);
int gemqrt(int m, int n, int k, int nb, const float* v, int ldv, const float* t, int ldt, float* c,
           int ldc);

/// Cholesky factorisation (potrf). info > 0: not positive definite.
int potrf(char uplo, int n, double* a, int lda);
int potrf(char uplo, int n, float* a, int lda);

/// Inverse of a non-unit triangular matrix in place (trtri). info > 0: exactly singular.
int trtri(char uplo, int n, double* a, int lda);
int trtri(char uplo, int n, float* a, int lda);

/// ‖A‖ of a triangular matrix (lantr) and its reciprocal condition estimate (trcon) in the
/// 1-norm (norm = '1') or the ∞-norm (norm = 'I').
double lantr(char norm, char uplo, int n, const double* a, int lda);
double lantr(char norm, char uplo, int n, const float* a, int lda);
int trcon(char norm, char uplo, int n, const double* a, int lda, double& rcond);
int trcon(char norm, char uplo, int n, const float* a, int lda, float& rcond);

/// LU factorisation and inverse (getrf + getri). info > 0: exactly singular.
int invert_lu(int n, double* a, int lda);
int invert_lu(int n, float* a, int lda);

/// Symmetric eigendecomposition, eigenvalues ascending in w and (jobz = 'V') eigenvectors over
/// a: divide and conquer (syevd) and QR iteration (syev, the fallback). Return LAPACK's info.
int syevd(char jobz, char uplo, int n, double* a, int lda, double* w);
int syevd(char jobz, char uplo, int n, float* a, int lda, float* w);
int syev(char jobz, char uplo, int n, double* a, int lda, double* w);
int syev(char jobz, char uplo, int n, float* a, int lda, float* w);

/// The BLAS library's own thread count, where it lets a caller set it (OpenBLAS, found at run
/// time in whichever library provides dgemm_); otherwise blas_threads() is 0 and
/// set_blas_threads does nothing. Process-wide: OpenBLAS 0.3.21 has no per-thread setting.
int blas_threads();
void set_blas_threads(int threads);

}  // namespace polarkit::cpu
