#include "blas/blas.hpp"
#include "blas/fortran.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <string>
#include <type_traits>
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
void dsyevd_(const char*, const char*, const int*, double*, const int*, double*, double*,
             const int*, int*, const int*, int*, std::size_t, std::size_t);
void ssyevd_(const char*, const char*, const int*, float*, const int*, float*, float*, const int*,
             int*, const int*, int*, std::size_t, std::size_t);
void dsyev_(const char*, const char*, const int*, double*, const int*, double*, double*,
            const int*, int*, std::size_t, std::size_t);
void ssyev_(const char*, const char*, const int*, float*, const int*, float*, float*, const int*,
            int*, std::size_t, std::size_t);
}

namespace polarkit::blas {

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

int threads() {
  const ThreadControls& c = thread_controls();
  return c.get != nullptr ? c.get() : 0;
}

void set_threads(int count) {
  const ThreadControls& c = thread_controls();
  if (c.set != nullptr) c.set(count);
}

int narrow(index_t value) {
  if (value < 0 || value > INT_MAX) {
    throw Error(ErrorCode::invalid_argument,
                "dimension " + std::to_string(value) + " does not fit the BLAS integer type");
  }
  return static_cast<int>(value);
}

using fortran::Char;
using fortran::Int;
using fortran::pick;

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
char vectors_job(T*& u, index_t& ldu, T*& vt, index_t& ldvt, T& dummy) {
  if (u != nullptr && vt != nullptr) return 'S';
  u = vt = &dummy;
  ldu = ldvt = 1;
  return 'N';
}

// Workspace of at least one element: LAPACK wants valid pointers for n = 0 too.
template <class T>
std::vector<T> work_of(index_t rows, index_t n) {
  return std::vector<T>(static_cast<std::size_t>(rows) * static_cast<std::size_t>(n > 0 ? n : 1));
}

}  // namespace

template <Real T>
void gemm(Op transa, Op transb, index_t m, index_t n, index_t k, T alpha, const T* a, index_t lda,
          const T* b, index_t ldb, T beta, T* c, index_t ldc) {
  pick<T>(dgemm_, sgemm_)(Char(transa), Char(transb), Int(m), Int(n), Int(k), &alpha, a,
                          Int(lda), b, Int(ldb), &beta, c, Int(ldc), 1, 1);
}

template <Real T>
void gemv(Op trans, index_t m, index_t n, T alpha, const T* a, index_t lda, const T* x,
          index_t incx, T beta, T* y, index_t incy) {
  pick<T>(dgemv_, sgemv_)(Char(trans), Int(m), Int(n), &alpha, a, Int(lda), x, Int(incx), &beta,
                          y, Int(incy), 1);
}

template <Real T>
void syrk(Uplo uplo, Op trans, index_t n, index_t k, T alpha, const T* a, index_t lda, T beta,
          T* c, index_t ldc) {
  pick<T>(dsyrk_, ssyrk_)(Char(uplo), Char(trans), Int(n), Int(k), &alpha, a, Int(lda), &beta, c,
                          Int(ldc), 1, 1);
}

template <Real T>
int gesdd(index_t m, index_t n, T* a, index_t lda, T* s, T* u, index_t ldu, T* vt, index_t ldvt) {
  T dummy{};
  const Char jobz(vectors_job(u, ldu, vt, ldvt, dummy));
  const Int im(m), in(n), ilda(lda), ildu(ldu), ildvt(ldvt);
  std::vector<int> iwork(static_cast<std::size_t>(8 * std::min(im.value(), in.value())));
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    pick<T>(dgesdd_, sgesdd_)(jobz, im, in, a, ilda, s, u, ildu, vt, ildvt, work, &lwork,
                              iwork.data(), &info, 1);
  });
}

template <Real T>
int gesvd(index_t m, index_t n, T* a, index_t lda, T* s, T* u, index_t ldu, T* vt, index_t ldvt) {
  T dummy{};
  const Char job(vectors_job(u, ldu, vt, ldvt, dummy));
  const Int im(m), in(n), ilda(lda), ildu(ldu), ildvt(ldvt);
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    pick<T>(dgesvd_, sgesvd_)(job, job, im, in, a, ilda, s, u, ildu, vt, ildvt, work, &lwork,
                              &info, 1, 1);
  });
}

template <Real T>
void trsv(Uplo uplo, Op trans, Diag diag, index_t n, const T* a, index_t lda, T* x, index_t incx) {
  pick<T>(dtrsv_, strsv_)(Char(uplo), Char(trans), Char(diag), Int(n), a, Int(lda), x, Int(incx),
                          1, 1, 1);
}

template <Real T>
void trsm(Side side, Uplo uplo, Op transa, Diag diag, index_t m, index_t n, T alpha, const T* a,
          index_t lda, T* b, index_t ldb) {
  pick<T>(dtrsm_, strsm_)(Char(side), Char(uplo), Char(transa), Char(diag), Int(m), Int(n),
                          &alpha, a, Int(lda), b, Int(ldb), 1, 1, 1, 1);
}

template <Real T>
int geqrf(index_t m, index_t n, T* a, index_t lda, T* tau) {
  const Int im(m), in(n), ilda(lda);
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    pick<T>(dgeqrf_, sgeqrf_)(im, in, a, ilda, tau, work, &lwork, &info);
  });
}

template <Real T>
int orgqr(index_t m, index_t n, index_t k, T* a, index_t lda, const T* tau) {
  const Int im(m), in(n), ik(k), ilda(lda);
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    pick<T>(dorgqr_, sorgqr_)(im, in, ik, a, ilda, tau, work, &lwork, &info);
  });
}

template <Real T>
int geqrt(index_t m, index_t n, index_t nb, T* a, index_t lda, T* t, index_t ldt) {
  const Int im(m), in(n), inb(nb), ilda(lda), ildt(ldt);
  std::vector<T> work = work_of<T>(nb, n);
  int info = 0;
  pick<T>(dgeqrt_, sgeqrt_)(im, in, inb, a, ilda, t, ildt, work.data(), &info);
  return info;
}

template <Real T>
int gemqrt(index_t m, index_t n, index_t k, index_t nb, const T* v, index_t ldv, const T* t,
           index_t ldt, T* c, index_t ldc) {
  const Int im(m), in(n), ik(k), inb(nb), ildv(ldv), ildt(ldt), ildc(ldc);
  std::vector<T> work = work_of<T>(nb, n);
  int info = 0;
  pick<T>(dgemqrt_, sgemqrt_)(Char(Side::left), Char(Op::no_trans), im, in, ik, inb, v, ildv, t,
                              ildt, c, ildc, work.data(), &info, 1, 1);
  return info;
}

template <Real T>
int potrf(Uplo uplo, index_t n, T* a, index_t lda) {
  int info = 0;
  pick<T>(dpotrf_, spotrf_)(Char(uplo), Int(n), a, Int(lda), &info, 1);
  return info;
}

template <Real T>
int trtri(Uplo uplo, index_t n, T* a, index_t lda) {
  int info = 0;
  pick<T>(dtrtri_, strtri_)(Char(uplo), Char(Diag::non_unit), Int(n), a, Int(lda), &info, 1, 1);
  return info;
}

template <Real T>
double lantr(Norm norm, Uplo uplo, index_t n, const T* a, index_t lda) {
  const Int in(n), ilda(lda);
  std::vector<T> work = work_of<T>(1, n);
  return static_cast<double>(pick<T>(dlantr_, slantr_)(Char(norm), Char(uplo),
                                                       Char(Diag::non_unit), in, in, a, ilda,
                                                       work.data(), 1, 1, 1));
}

template <Real T>
int trcon(Norm norm, Uplo uplo, index_t n, const T* a, index_t lda, T& rcond) {
  const Int in(n), ilda(lda);
  std::vector<T> work(static_cast<std::size_t>(3 * n));
  std::vector<int> iwork(static_cast<std::size_t>(n));
  int info = 0;
  pick<T>(dtrcon_, strcon_)(Char(norm), Char(uplo), Char(Diag::non_unit), in, a, ilda, &rcond,
                            work.data(), iwork.data(), &info, 1, 1, 1);
  return info;
}

template <Real T>
int invert_lu(index_t n, T* a, index_t lda) {
  const Int in(n), ilda(lda);
  std::vector<int> pivots(static_cast<std::size_t>(n > 0 ? n : 1));
  int info = 0;
  pick<T>(dgetrf_, sgetrf_)(in, in, a, ilda, pivots.data(), &info);
  if (info != 0) return info;
  return with_workspace<T>([&](T* work, int lwork, int& status) {
    pick<T>(dgetri_, sgetri_)(in, a, ilda, pivots.data(), work, &lwork, &status);
  });
}

// ---- symmetric eigensolvers (the optimizer layer's spectral power map) -------------------------

// syevd queries two workspaces (real and integer) at once.
template <Real T>
int syevd(Job jobz, Uplo uplo, index_t n, T* a, index_t lda, T* w) {
  const Char job(jobz);
  const Char triangle(uplo);
  const Int in(n), ilda(lda);
  const auto driver = pick<T>(dsyevd_, ssyevd_);
  int info = 0;
  T query{};
  int iquery = 0;
  int lwork = -1;
  int liwork = -1;
  driver(job, triangle, in, a, ilda, w, &query, &lwork, &iquery, &liwork, &info, 1, 1);
  if (info != 0) return info;
  lwork = static_cast<int>(query) + 1;
  liwork = iquery > 1 ? iquery : 1;
  std::vector<T> work(static_cast<std::size_t>(lwork));
  std::vector<int> iwork(static_cast<std::size_t>(liwork));
  driver(job, triangle, in, a, ilda, w, work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  return info;
}

template <Real T>
int syev(Job jobz, Uplo uplo, index_t n, T* a, index_t lda, T* w) {
  const Char job(jobz);
  const Char triangle(uplo);
  const Int in(n), ilda(lda);
  return with_workspace<T>([&](T* work, int lwork, int& info) {
    pick<T>(dsyev_, ssyev_)(job, triangle, in, a, ilda, w, work, &lwork, &info, 1, 1);
  });
}

// The two instantiations the header's Real allows.
#define POLARKIT_BLAS_INSTANTIATE(T)                                                              \
  template void gemm(Op, Op, index_t, index_t, index_t, T, const T*, index_t, const T*, index_t, \
                     T, T*, index_t);                                                             \
  template void gemv(Op, index_t, index_t, T, const T*, index_t, const T*, index_t, T, T*,       \
                     index_t);                                                                    \
  template void syrk(Uplo, Op, index_t, index_t, T, const T*, index_t, T, T*, index_t);          \
  template int gesdd(index_t, index_t, T*, index_t, T*, T*, index_t, T*, index_t);               \
  template int gesvd(index_t, index_t, T*, index_t, T*, T*, index_t, T*, index_t);               \
  template void trsv(Uplo, Op, Diag, index_t, const T*, index_t, T*, index_t);                   \
  template void trsm(Side, Uplo, Op, Diag, index_t, index_t, T, const T*, index_t, T*, index_t); \
  template int geqrf(index_t, index_t, T*, index_t, T*);                                          \
  template int orgqr(index_t, index_t, index_t, T*, index_t, const T*);                          \
  template int geqrt(index_t, index_t, index_t, T*, index_t, T*, index_t);                       \
  template int gemqrt(index_t, index_t, index_t, index_t, const T*, index_t, const T*, index_t,  \
                      T*, index_t);                                                               \
  template int potrf(Uplo, index_t, T*, index_t);                                                 \
  template int trtri(Uplo, index_t, T*, index_t);                                                 \
  template double lantr(Norm, Uplo, index_t, const T*, index_t);                                  \
  template int trcon(Norm, Uplo, index_t, const T*, index_t, T&);                                 \
  template int invert_lu(index_t, T*, index_t);                                                   \
  template int syevd(Job, Uplo, index_t, T*, index_t, T*);                                        \
  template int syev(Job, Uplo, index_t, T*, index_t, T*);
POLARKIT_BLAS_INSTANTIATE(float)
POLARKIT_BLAS_INSTANTIATE(double)
#undef POLARKIT_BLAS_INSTANTIATE

}  // namespace polarkit::blas
