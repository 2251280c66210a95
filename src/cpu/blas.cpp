#include "cpu/blas.hpp"

#include <dlfcn.h>

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
void dgemv_(const char*, const int*, const int*, const double*, const double*, const int*,
            const double*, const int*, const double*, double*, const int*, std::size_t);
void sgemv_(const char*, const int*, const int*, const float*, const float*, const int*,
            const float*, const int*, const float*, float*, const int*, std::size_t);
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
void dtrsv_(const char*, const char*, const char*, const int*, const double*, const int*, double*,
            const int*, std::size_t, std::size_t, std::size_t);
void strsv_(const char*, const char*, const char*, const int*, const float*, const int*, float*,
            const int*, std::size_t, std::size_t, std::size_t);
void dtrsm_(const char*, const char*, const char*, const char*, const int*, const int*,
            const double*, const double*, const int*, double*, const int*, std::size_t,
            std::size_t, std::size_t, std::size_t);
void strsm_(const char*, const char*, const char*, const char*, const int*, const int*,
            const float*, const float*, const int*, float*, const int*, std::size_t, std::size_t,
            std::size_t, std::size_t);
void dgeqrf_(const int*, const int*, double*, const int*, double*, double*, const int*, int*);
void sgeqrf_(const int*, const int*, float*, const int*, float*, float*, const int*, int*);
void dorgqr_(const int*, const int*, const int*, double*, const int*, const double*, double*,
             const int*, int*);
void sorgqr_(const int*, const int*, const int*, float*, const int*, const float*, float*,
             const int*, int*);
void dpotrf_(const char*, const int*, double*, const int*, int*, std::size_t);
void spotrf_(const char*, const int*, float*, const int*, int*, std::size_t);
void dtrtri_(const char*, const char*, const int*, double*, const int*, int*, std::size_t,
             std::size_t);
void strtri_(const char*, const char*, const int*, float*, const int*, int*, std::size_t,
             std::size_t);
double dlantr_(const char*, const char*, const char*, const int*, const int*, const double*,
               const int*, double*, std::size_t, std::size_t, std::size_t);
float slantr_(const char*, const char*, const char*, const int*, const int*, const float*,
              const int*, float*, std::size_t, std::size_t, std::size_t);
void dtrcon_(const char*, const char*, const char*, const int*, const double*, const int*,
             double*, double*, int*, int*, std::size_t, std::size_t, std::size_t);
void strcon_(const char*, const char*, const char*, const int*, const float*, const int*, float*,
             float*, int*, int*, std::size_t, std::size_t, std::size_t);
void dgeqrt_(const int*, const int*, const int*, double*, const int*, double*, const int*,
             double*, int*);
void sgeqrt_(const int*, const int*, const int*, float*, const int*, float*, const int*, float*,
             int*);
void dgemqrt_(const char*, const char*, const int*, const int*, const int*, const int*,
              const double*, const int*, const double*, const int*, double*, const int*, double*,
              int*, std::size_t, std::size_t);
void sgemqrt_(const char*, const char*, const int*, const int*, const int*, const int*,
              const float*, const int*, const float*, const int*, float*, const int*, float*,
              int*, std::size_t, std::size_t);
void dgetrf_(const int*, const int*, double*, const int*, int*, int*);
void sgetrf_(const int*, const int*, float*, const int*, int*, int*);
void dgetri_(const int*, double*, const int*, const int*, double*, const int*, int*);
void sgetri_(const int*, float*, const int*, const int*, float*, const int*, int*);
}

namespace polarkit::cpu {

namespace {

// OpenBLAS's thread controls, looked up in the library that provides dgemm_ (dladdr, then
// dlopen with RTLD_NOLOAD): loaded through ctypes or as a plugin, polarkit's BLAS is not in the
// global symbol scope, so dlsym(RTLD_DEFAULT, …) would miss it.
struct ThreadControls {
  int (*get)() = nullptr;
  void (*set)(int) = nullptr;
};

const ThreadControls& thread_controls() {
  static const ThreadControls controls = [] {
    ThreadControls c;
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&dgemm_), &info) == 0 || info.dli_fname == nullptr) return c;
    void* library = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (library == nullptr) return c;
    // The handle stays open: the library is loaded for as long as polarkit is.
    c.get = reinterpret_cast<int (*)()>(dlsym(library, "openblas_get_num_threads"));
    c.set = reinterpret_cast<void (*)(int)>(dlsym(library, "openblas_set_num_threads"));
    if (c.get == nullptr || c.set == nullptr) c = ThreadControls{};
    return c;
  }();
  return controls;
}

}  // namespace

int blas_threads() {
  const ThreadControls& c = thread_controls();
  return c.get != nullptr ? c.get() : 0;
}

void set_blas_threads(int threads) {
  const ThreadControls& c = thread_controls();
  if (c.set != nullptr) c.set(threads);
}

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

void gemv(char trans, int m, int n, double alpha, const double* a, int lda, const double* x,
          int incx, double beta, double* y, int incy) {
  dgemv_(&trans, &m, &n, &alpha, a, &lda, x, &incx, &beta, y, &incy, 1);
}
void gemv(char trans, int m, int n, float alpha, const float* a, int lda, const float* x, int incx,
          float beta, float* y, int incy) {
  sgemv_(&trans, &m, &n, &alpha, a, &lda, x, &incx, &beta, y, &incy, 1);
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

// Null u and vt ask for the singular values alone: LAPACK's job 'N', which still wants leading
// dimensions ≥ 1 and valid pointers.
template <class T>
char vectors_job(T*& u, int& ldu, T*& vt, int& ldvt, T& dummy) {
  if (u != nullptr && vt != nullptr) return 'S';
  u = vt = &dummy;
  ldu = ldvt = 1;
  return 'N';
}

template <class T, class Driver>
int gesdd_impl(Driver driver, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt) {
  std::vector<int> iwork(static_cast<std::size_t>(8 * (m < n ? m : n)));
  T dummy{};
  const char jobz = vectors_job(u, ldu, vt, ldvt, dummy);
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    driver(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork.data(), &info, 1);
  });
}

template <class T, class Driver>
int gesvd_impl(Driver driver, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt, int ldvt) {
  T dummy{};
  const char job = vectors_job(u, ldu, vt, ldvt, dummy);
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    driver(&job, &job, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, &info, 1, 1);
  });
}

template <class T, class Geqrf>
int geqrf_impl(Geqrf driver, int m, int n, T* a, int lda, T* tau) {
  return with_workspace<T>(
      [&](T* work, int lwork, int& info) { driver(&m, &n, a, &lda, tau, work, &lwork, &info); });
}

template <class T, class Orgqr>
int orgqr_impl(Orgqr driver, int m, int n, int k, T* a, int lda, const T* tau) {
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    driver(&m, &n, &k, a, &lda, tau, work, &lwork, &info);
  });
}

template <class T, class Getrf, class Getri>
int invert_lu_impl(Getrf getrf, Getri getri, int n, T* a, int lda) {
  std::vector<int> pivots(static_cast<std::size_t>(n > 0 ? n : 1));
  int info = 0;
  getrf(&n, &n, a, &lda, pivots.data(), &info);
  if (info != 0) return info;
  return with_workspace<T>([&](T* work, int lwork, int& status) {
    getri(&n, a, &lda, pivots.data(), work, &lwork, &status);
  });
}

}  // namespace

void trsv(char uplo, char trans, char diag, int n, const double* a, int lda, double* x, int incx) {
  dtrsv_(&uplo, &trans, &diag, &n, a, &lda, x, &incx, 1, 1, 1);
}
void trsv(char uplo, char trans, char diag, int n, const float* a, int lda, float* x, int incx) {
  strsv_(&uplo, &trans, &diag, &n, a, &lda, x, &incx, 1, 1, 1);
}

void trsm(char side, char uplo, char transa, char diag, int m, int n, double alpha,
          const double* a, int lda, double* b, int ldb) {
  dtrsm_(&side, &uplo, &transa, &diag, &m, &n, &alpha, a, &lda, b, &ldb, 1, 1, 1, 1);
}
void trsm(char side, char uplo, char transa, char diag, int m, int n, float alpha, const float* a,
          int lda, float* b, int ldb) {
  strsm_(&side, &uplo, &transa, &diag, &m, &n, &alpha, a, &lda, b, &ldb, 1, 1, 1, 1);
}

int geqrf(int m, int n, double* a, int lda, double* tau) { return geqrf_impl(dgeqrf_, m, n, a, lda, tau); }
int geqrf(int m, int n, float* a, int lda, float* tau) { return geqrf_impl(sgeqrf_, m, n, a, lda, tau); }
int orgqr(int m, int n, int k, double* a, int lda, const double* tau) {
  return orgqr_impl(dorgqr_, m, n, k, a, lda, tau);
}
int orgqr(int m, int n, int k, float* a, int lda, const float* tau) {
  return orgqr_impl(sorgqr_, m, n, k, a, lda, tau);
}

int potrf(char uplo, int n, double* a, int lda) {
  int info = 0;
  dpotrf_(&uplo, &n, a, &lda, &info, 1);
  return info;
}
int potrf(char uplo, int n, float* a, int lda) {
  int info = 0;
  spotrf_(&uplo, &n, a, &lda, &info, 1);
  return info;
}

int trtri(char uplo, int n, double* a, int lda) {
  int info = 0;
  const char diag = 'N';
  dtrtri_(&uplo, &diag, &n, a, &lda, &info, 1, 1);
  return info;
}
int trtri(char uplo, int n, float* a, int lda) {
  int info = 0;
  const char diag = 'N';
  strtri_(&uplo, &diag, &n, a, &lda, &info, 1, 1);
  return info;
}

double lantr(char norm, char uplo, int n, const double* a, int lda) {
  const char diag = 'N';
  std::vector<double> work(static_cast<std::size_t>(n > 0 ? n : 1));
  return dlantr_(&norm, &uplo, &diag, &n, &n, a, &lda, work.data(), 1, 1, 1);
}
double lantr(char norm, char uplo, int n, const float* a, int lda) {
  const char diag = 'N';
  std::vector<float> work(static_cast<std::size_t>(n > 0 ? n : 1));
  return static_cast<double>(slantr_(&norm, &uplo, &diag, &n, &n, a, &lda, work.data(), 1, 1, 1));
}

int trcon(char norm, char uplo, int n, const double* a, int lda, double& rcond) {
  const char diag = 'N';
  std::vector<double> work(static_cast<std::size_t>(3 * n));
  std::vector<int> iwork(static_cast<std::size_t>(n));
  int info = 0;
  dtrcon_(&norm, &uplo, &diag, &n, a, &lda, &rcond, work.data(), iwork.data(), &info, 1, 1, 1);
  return info;
}
int trcon(char norm, char uplo, int n, const float* a, int lda, float& rcond) {
  const char diag = 'N';
  std::vector<float> work(static_cast<std::size_t>(3 * n));
  std::vector<int> iwork(static_cast<std::size_t>(n));
  int info = 0;
  strcon_(&norm, &uplo, &diag, &n, a, &lda, &rcond, work.data(), iwork.data(), &info, 1, 1, 1);
  return info;
}

namespace {

template <class T, class Geqrt>
int geqrt_impl(Geqrt driver, int m, int n, int nb, T* a, int lda, T* t, int ldt) {
  std::vector<T> work(static_cast<std::size_t>(nb) * static_cast<std::size_t>(n > 0 ? n : 1));
  int info = 0;
  driver(&m, &n, &nb, a, &lda, t, &ldt, work.data(), &info);
  return info;
}

template <class T, class Gemqrt>
int gemqrt_impl(Gemqrt driver, int m, int n, int k, int nb, const T* v, int ldv, const T* t,
                int ldt, T* c, int ldc) {
  std::vector<T> work(static_cast<std::size_t>(nb) * static_cast<std::size_t>(n > 0 ? n : 1));
  const char side = 'L';
  const char trans = 'N';
  int info = 0;
  driver(&side, &trans, &m, &n, &k, &nb, v, &ldv, t, &ldt, c, &ldc, work.data(), &info, 1, 1);
  return info;
}

}  // namespace

int geqrt(int m, int n, int nb, double* a, int lda, double* t, int ldt) {
  return geqrt_impl(dgeqrt_, m, n, nb, a, lda, t, ldt);
}
int geqrt(int m, int n, int nb, float* a, int lda, float* t, int ldt) {
  return geqrt_impl(sgeqrt_, m, n, nb, a, lda, t, ldt);
}
int gemqrt(int m, int n, int k, int nb, const double* v, int ldv, const double* t, int ldt,
           double* c, int ldc) {
  return gemqrt_impl(dgemqrt_, m, n, k, nb, v, ldv, t, ldt, c, ldc);
}
int gemqrt(int m, int n, int k, int nb, const float* v, int ldv, const float* t, int ldt, float* c,
           int ldc) {
  return gemqrt_impl(sgemqrt_, m, n, k, nb, v, ldv, t, ldt, c, ldc);
}

int invert_lu(int n, double* a, int lda) { return invert_lu_impl<double>(dgetrf_, dgetri_, n, a, lda); }
int invert_lu(int n, float* a, int lda) { return invert_lu_impl<float>(sgetrf_, sgetri_, n, a, lda); }

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

// ---- symmetric eigensolvers (the optimizer layer's spectral power map) -------------------------

extern "C" {
void dsyevd_(const char*, const char*, const int*, double*, const int*, double*, double*,
             const int*, int*, const int*, int*, std::size_t, std::size_t);
void ssyevd_(const char*, const char*, const int*, float*, const int*, float*, float*, const int*,
             int*, const int*, int*, std::size_t, std::size_t);
void dsyev_(const char*, const char*, const int*, double*, const int*, double*, double*,
            const int*, int*, std::size_t, std::size_t);
void ssyev_(const char*, const char*, const int*, float*, const int*, float*, float*, const int*,
            int*, std::size_t, std::size_t);
}

namespace polarkit::cpu {
namespace {

// syevd queries two workspaces (real and integer) at once.
template <class T, class Driver>
int syevd_impl(Driver driver, char jobz, char uplo, int n, T* a, int lda, T* w) {
  int info = 0;
  T query{};
  int iquery = 0;
  int lwork = -1;
  int liwork = -1;
  driver(&jobz, &uplo, &n, a, &lda, w, &query, &lwork, &iquery, &liwork, &info, 1, 1);
  if (info != 0) return info;
  lwork = static_cast<int>(query) + 1;
  liwork = iquery > 1 ? iquery : 1;
  std::vector<T> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  driver(&jobz, &uplo, &n, a, &lda, w, work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  return info;
}

template <class T, class Driver>
int syev_impl(Driver driver, char jobz, char uplo, int n, T* a, int lda, T* w) {
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    driver(&jobz, &uplo, &n, a, &lda, w, work, &lwork, &info, 1, 1);
  });
}

}  // namespace

int syevd(char jobz, char uplo, int n, double* a, int lda, double* w) {
  return syevd_impl<double>(dsyevd_, jobz, uplo, n, a, lda, w);
}
int syevd(char jobz, char uplo, int n, float* a, int lda, float* w) {
  return syevd_impl<float>(ssyevd_, jobz, uplo, n, a, lda, w);
}
int syev(char jobz, char uplo, int n, double* a, int lda, double* w) {
  return syev_impl<double>(dsyev_, jobz, uplo, n, a, lda, w);
}
int syev(char jobz, char uplo, int n, float* a, int lda, float* w) {
  return syev_impl<float>(ssyev_, jobz, uplo, n, a, lda, w);
}

}  // namespace polarkit::cpu
