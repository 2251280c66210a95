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

void syrk(char uplo, char trans, int n, int k, double alpha, const double* a, int lda, double beta,
          double* c, int ldc);
void syrk(char uplo, char trans, int n, int k, float alpha, const float* a, int lda, float beta,
          float* c, int ldc);

/// Thin SVD (jobz = 'S'); a is overwritten. Returns LAPACK's info.
int gesdd(int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt, int ldvt);
int gesdd(int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt, int ldvt);

/// Thin SVD by QR iteration (jobu = jobvt = 'S'), the fallback when gesdd fails.
int gesvd(int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt, int ldvt);
int gesvd(int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt, int ldvt);

}  // namespace polarkit::cpu
