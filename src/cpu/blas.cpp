#include "cpu/blas.hpp"

#include <climits>
#include <cstddef>
#include <string>
#include <vector>

// Fortran interfaces. The trailing size_t arguments are the hidden lengths of the character
// arguments that gfortran-built libraries (reference BLAS/LAPACK) expect.
extern "C" {
void dgemm_(const char*, const char*, const int*, const int*, const int*, const double*,
            const double*, const int*, const double*, const int*, const double*, double*,
            const int*, std::size_t, std::size_t);
void sgemm_(const char*, const char*, const int*, const int*, const int*, const float*,
            const float*, const int*, const float*, const int*, const float*, float*, const int*,
            std::size_t, std::size_t);
void dsyrk_(const char*, const char*, const int*, const int*, const double*, const double*,
            const int*, const double*, double*, const int*, std::size_t, std::size_t);
void ssyrk_(const char*, const char*, const int*, const int*, const float*, const float*,
            const int*, const float*, float*, const int*, std::size_t, std::size_t);
void dgesdd_(const char*, const int*, const int*, double*, const int*, double*, double*,
             const int*, double*, const int*, double*, const int*, int*, int*, std::size_t);
void sgesdd_(const char*, const int*, const int*, float*, const int*, float*, float*, const int*,
             float*, const int*, float*, const int*, int*, int*, std::size_t);
void dgesvd_(const char*, const char*, const int*, const int*, double*, const int*, double*,
             double*, const int*, double*, const int*, double*, const int*, int*, std::size_t,
             std::size_t);
void sgesvd_(const char*, const char*, const int*, const int*, float*, const int*, float*, float*,
             const int*, float*, const int*, float*, const int*, int*, std::size_t, std::size_t);
}

namespace polarkit::cpu {

int blas_int(index_t value) {
  if (value < 0 || value > INT_MAX) {
    throw Error(ErrorCode::invalid_argument,
                "dimension " + std::to_string(value) + " does not fit the BLAS integer type");
  }
  return static_cast<int>(value);
}

void gemm(char transa, char transb, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc) {
  dgemm_(&transa, &transb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}
void gemm(char transa, char transb, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  sgemm_(&transa, &transb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}

void syrk(char uplo, char trans, int n, int k, double alpha, const double* a, int lda, double beta,
          double* c, int ldc) {
  dsyrk_(&uplo, &trans, &n, &k, &alpha, a, &lda, &beta, c, &ldc, 1, 1);
}
void syrk(char uplo, char trans, int n, int k, float alpha, const float* a, int lda, float beta,
          float* c, int ldc) {
  ssyrk_(&uplo, &trans, &n, &k, &alpha, a, &lda, &beta, c, &ldc, 1, 1);
}

namespace {

// The LAPACK workspace-query protocol (lwork = -1) shared by every driver below.
template <class T, class Call>
int with_workspace(Call&& call) {
  int info = 0;
  T query{};
  int lwork = -1;
  call(&query, lwork, info);
  if (info != 0) {
    return info;
  }
  lwork = static_cast<int>(query) + 1;
  std::vector<T> work(static_cast<std::size_t>(lwork));
  call(work.data(), lwork, info);
  return info;
}

template <class T, class Driver>
int gesdd_impl(Driver driver, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt) {
  std::vector<int> iwork(static_cast<std::size_t>(8 * (m < n ? m : n)));
  const char jobz = 'S';
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    driver(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork.data(), &info, 1);
  });
}

template <class T, class Driver>
int gesvd_impl(Driver driver, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt) {
  const char job = 'S';
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    driver(&job, &job, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, &info, 1, 1);
  });
}

}  // namespace

int gesdd(int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt, int ldvt) {
  return gesdd_impl(dgesdd_, m, n, a, lda, s, u, ldu, vt, ldvt);
}
int gesdd(int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt, int ldvt) {
  return gesdd_impl(sgesdd_, m, n, a, lda, s, u, ldu, vt, ldvt);
}
int gesvd(int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt, int ldvt) {
  return gesvd_impl(dgesvd_, m, n, a, lda, s, u, ldu, vt, ldvt);
}
int gesvd(int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt, int ldvt) {
  return gesvd_impl(sgesvd_, m, n, a, lda, s, u, ldu, vt, ldvt);
}

}  // namespace polarkit::cpu
