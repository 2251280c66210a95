#include "mpi/scalapack/pblas.hpp"

#include <algorithm>

#include "blas/fortran.hpp"

namespace polarkit::pblas {

using blas::fortran::Char;
using blas::fortran::Int;
using blas::fortran::pick;

namespace {

// The four arguments by which ScaLAPACK names a submatrix: the local array, the 1-based global
// row and column where it starts, and the descriptor.
template <class T>
struct Operand {
  explicit Operand(Sub<T> s) : a(s.local), ia(s.i + 1), ja(s.j + 1), desc(s.desc) {}
  T* a;
  Int ia;
  Int ja;
  const int* desc;
};

Char part_letter(Part part) {
  return Char(part == Part::upper ? 'U' : part == Part::lower ? 'L' : 'A');
}

// Descriptor fields (ScaLAPACK's DESC_: dtype, ctxt, m, n, mb, nb, rsrc, csrc, lld).
constexpr int ctxt_ = 1, mb_ = 4, nb_ = 5, rsrc_ = 6, csrc_ = 7;

struct Coordinates {
  int nprow = 0, npcol = 0, myrow = -1, mycol = -1;
};

Coordinates coordinates(int context) {
  Coordinates c;
  Cblacs_gridinfo(context, &c.nprow, &c.npcol, &c.myrow, &c.mycol);
  return c;
}

// The query protocol: work[0] holds the size asked for (lwork = −1).
template <class T>
index_t queried(T value) {
  return std::max<index_t>(1, static_cast<index_t>(value) + 1);
}

}  // namespace

index_t local_size(index_t n, index_t nb, int proc, int source, int procs) {
  return numroc_(Int(n), Int(nb), &proc, &source, &procs);
}

template <Real T>
void gemm(Op ta, Op tb, index_t m, index_t n, index_t k, Scalar<T> alpha, In<T> A, In<T> B,
          Scalar<T> beta, Sub<T> C) {
  const Operand a(A);
  const Operand b(B);
  const Operand c(C);
  pick<T>(pdgemm_, psgemm_)(Char(ta), Char(tb), Int(m), Int(n), Int(k), &alpha, a.a, a.ia, a.ja,
                            a.desc, b.a, b.ia, b.ja, b.desc, &beta, c.a, c.ia, c.ja, c.desc);
}

template <Real T>
void gemv(Op t, index_t m, index_t n, Scalar<T> alpha, In<T> A, In<T> x, Scalar<T> beta,
          Sub<T> y) {
  const Operand a(A);
  const Operand vx(x);
  const Operand vy(y);
  const Int one(1);
  pick<T>(pdgemv_, psgemv_)(Char(t), Int(m), Int(n), &alpha, a.a, a.ia, a.ja, a.desc, vx.a, vx.ia,
                            vx.ja, vx.desc, one, &beta, vy.a, vy.ia, vy.ja, vy.desc, one);
}

template <Real T>
void symv(Uplo uplo, index_t n, Scalar<T> alpha, In<T> A, In<T> x, Scalar<T> beta, Sub<T> y) {
  const Operand a(A);
  const Operand vx(x);
  const Operand vy(y);
  const Int one(1);
  pick<T>(pdsymv_, pssymv_)(Char(uplo), Int(n), &alpha, a.a, a.ia, a.ja, a.desc, vx.a, vx.ia,
                            vx.ja, vx.desc, one, &beta, vy.a, vy.ia, vy.ja, vy.desc, one);
}

template <Real T>
void syrk(Uplo uplo, Op t, index_t n, index_t k, Scalar<T> alpha, In<T> A, Scalar<T> beta,
          Sub<T> C) {
  const Operand a(A);
  const Operand c(C);
  pick<T>(pdsyrk_, pssyrk_)(Char(uplo), Char(t), Int(n), Int(k), &alpha, a.a, a.ia, a.ja, a.desc,
                            &beta, c.a, c.ia, c.ja, c.desc);
}

template <Real T>
void trsm(Side side, Uplo uplo, Op t, Diag diag, index_t m, index_t n, Scalar<T> alpha, In<T> A,
          Sub<T> B) {
  const Operand a(A);
  const Operand b(B);
  pick<T>(pdtrsm_, pstrsm_)(Char(side), Char(uplo), Char(t), Char(diag), Int(m), Int(n), &alpha,
                            a.a, a.ia, a.ja, a.desc, b.a, b.ia, b.ja, b.desc);
}

template <Real T>
void trsv(Uplo uplo, Op t, Diag diag, index_t n, In<T> A, Sub<T> x) {
  const Operand a(A);
  const Operand vx(x);
  pick<T>(pdtrsv_, pstrsv_)(Char(uplo), Char(t), Char(diag), Int(n), a.a, a.ia, a.ja, a.desc,
                            vx.a, vx.ia, vx.ja, vx.desc, Int(1));
}

template <Real T>
void geadd(Op t, index_t m, index_t n, Scalar<T> alpha, In<T> A, Scalar<T> beta, Sub<T> C) {
  const Operand a(A);
  const Operand c(C);
  pick<T>(pdgeadd_, psgeadd_)(Char(t), Int(m), Int(n), &alpha, a.a, a.ia, a.ja, a.desc, &beta,
                              c.a, c.ia, c.ja, c.desc);
}

template <Real T>
void tradd(Uplo uplo, Op t, index_t m, index_t n, Scalar<T> alpha, In<T> A, Scalar<T> beta,
           Sub<T> C) {
  const Operand a(A);
  const Operand c(C);
  pick<T>(pdtradd_, pstradd_)(Char(uplo), Char(t), Int(m), Int(n), &alpha, a.a, a.ia, a.ja,
                              a.desc, &beta, c.a, c.ia, c.ja, c.desc);
}

template <Real T>
void tran(index_t m, index_t n, Scalar<T> alpha, In<T> A, Scalar<T> beta, Sub<T> C) {
  const Operand a(A);
  const Operand c(C);
  pick<T>(pdtran_, pstran_)(Int(m), Int(n), &alpha, a.a, a.ia, a.ja, a.desc, &beta, c.a, c.ia,
                            c.ja, c.desc);
}

template <Real T>
void gemr2d(index_t m, index_t n, In<T> A, Sub<T> B, int context) {
  const Operand a(A);
  const Operand b(B);
  pick<T>(pdgemr2d_, psgemr2d_)(Int(m), Int(n), a.a, a.ia, a.ja, a.desc, b.a, b.ia, b.ja, b.desc,
                                &context);
}

template <Real T>
void lacpy(Part part, index_t m, index_t n, In<T> A, Sub<T> B) {
  const Operand a(A);
  const Operand b(B);
  pick<T>(pdlacpy_, pslacpy_)(part_letter(part), Int(m), Int(n), a.a, a.ia, a.ja, a.desc, b.a,
                              b.ia, b.ja, b.desc, 1);
}

template <Real T>
void laset(Part part, index_t m, index_t n, Scalar<T> offdiag, Scalar<T> diag, Sub<T> A) {
  const Operand a(A);
  pick<T>(pdlaset_, pslaset_)(part_letter(part), Int(m), Int(n), &offdiag, &diag, a.a, a.ia, a.ja,
                              a.desc, 1);
}

template <Real T>
double lange(Norm norm, index_t m, index_t n, In<T> A) {
  const Operand a(A);
  T unused{};  // Norm::fro and Norm::max reference no workspace
  return static_cast<double>(pick<T>(pdlange_, pslange_)(Char(norm), Int(m), Int(n), a.a, a.ia,
                                                         a.ja, a.desc, &unused, 1));
}

template <Real T>
double lansy(Norm norm, Uplo uplo, index_t n, In<T> A) {
  const Operand a(A);
  T unused{};
  return static_cast<double>(pick<T>(pdlansy_, pslansy_)(Char(norm), Char(uplo), Int(n), a.a,
                                                         a.ia, a.ja, a.desc, &unused, 1, 1));
}

template <Real T>
double lantr(Norm norm, Uplo uplo, index_t n, In<T> A, std::span<T> work) {
  const Operand a(A);
  return static_cast<double>(pick<T>(pdlantr_, pslantr_)(Char(norm), Char(uplo),
                                                         Char(Diag::non_unit), Int(n), Int(n),
                                                         a.a, a.ia, a.ja, a.desc, work.data(), 1,
                                                         1, 1));
}

template <Real T>
index_t lantr_work(index_t n, In<T> A) {
  // LOCr and LOCc of sub(A) with its offsets in the first block (ScaLAPACK's Mp0, Nq0).
  const Coordinates c = coordinates(A.desc[ctxt_]);
  const index_t mb = A.desc[mb_];
  const index_t nb = A.desc[nb_];
  const auto row_source = static_cast<int>((A.desc[rsrc_] + A.i / mb) % c.nprow);
  const auto col_source = static_cast<int>((A.desc[csrc_] + A.j / nb) % c.npcol);
  const index_t rows = local_size(n + A.i % mb, mb, c.myrow, row_source, c.nprow);
  const index_t cols = local_size(n + A.j % nb, nb, c.mycol, col_source, c.npcol);
  return std::max<index_t>(1, std::max(rows, cols));
}

template <Real T>
double latra(index_t n, In<T> A) {
  const Operand a(A);
  return static_cast<double>(pick<T>(pdlatra_, pslatra_)(Int(n), a.a, a.ia, a.ja, a.desc));
}

namespace {

// The routines with a workspace, called with an array of lwork elements, or with lwork = −1 to
// ask for its size (work[0] then holds it).
template <class T>
int call_geqrf(index_t m, index_t n, Sub<T> A, T* tau, T* work, int lwork) {
  const Operand a(A);
  int info = 0;
  pick<T>(pdgeqrf_, psgeqrf_)(Int(m), Int(n), a.a, a.ia, a.ja, a.desc, tau, work, &lwork, &info);
  return info;
}

template <class T>
int call_orgqr(index_t m, index_t n, index_t k, Sub<T> A, const T* tau, T* work, int lwork) {
  const Operand a(A);
  int info = 0;
  pick<T>(pdorgqr_, psorgqr_)(Int(m), Int(n), Int(k), a.a, a.ia, a.ja, a.desc, tau, work, &lwork,
                              &info);
  return info;
}

template <class T>
int call_gesvd(Job job, index_t m, index_t n, Sub<T> A, T* s, Sub<T> U, Sub<T> VT, T* work,
               int lwork) {
  const Operand a(A);
  const Operand u(U);
  const Operand vt(VT);
  int info = 0;
  pick<T>(pdgesvd_, psgesvd_)(Char(job), Char(job), Int(m), Int(n), a.a, a.ia, a.ja, a.desc, s,
                              u.a, u.ia, u.ja, u.desc, vt.a, vt.ia, vt.ja, vt.desc, work, &lwork,
                              &info, 1, 1);
  return info;
}

template <class T>
int length(std::span<T> work) {
  return blas::narrow(static_cast<index_t>(work.size()));
}

}  // namespace

template <Real T>
int geqrf(index_t m, index_t n, Sub<T> A, T* tau, std::span<T> work) {
  return call_geqrf(m, n, A, tau, work.data(), length(work));
}

template <Real T>
index_t geqrf_work(index_t m, index_t n, Sub<T> A) {
  T query{};
  T tau{};
  call_geqrf(m, n, A, &tau, &query, -1);
  return queried(query);
}

template <Real T>
int orgqr(index_t m, index_t n, index_t k, Sub<T> A, const T* tau, std::span<T> work) {
  return call_orgqr(m, n, k, A, tau, work.data(), length(work));
}

template <Real T>
index_t orgqr_work(index_t m, index_t n, index_t k, Sub<T> A) {
  T query{};
  T tau{};
  call_orgqr(m, n, k, A, &tau, &query, -1);
  return queried(query);
}

template <Real T>
int trtri(Uplo uplo, index_t n, Sub<T> A) {
  const Operand a(A);
  int info = 0;
  pick<T>(pdtrtri_, pstrtri_)(Char(uplo), Char(Diag::non_unit), Int(n), a.a, a.ia, a.ja, a.desc,
                              &info, 1, 1);
  return info;
}

template <Real T>
int potrf(Uplo uplo, index_t n, Sub<T> A) {
  const Operand a(A);
  int info = 0;
  pick<T>(pdpotrf_, pspotrf_)(Char(uplo), Int(n), a.a, a.ia, a.ja, a.desc, &info, 1);
  return info;
}

template <Real T>
int gesvd(Job job, index_t m, index_t n, Sub<T> A, T* s, Sub<T> U, Sub<T> VT, std::span<T> work) {
  return call_gesvd(job, m, n, A, s, U, VT, work.data(), length(work));
}

template <Real T>
index_t gesvd_work(Job job, index_t m, index_t n, Sub<T> A, T* s, Sub<T> U, Sub<T> VT) {
  T query{};
  call_gesvd(job, m, n, A, s, U, VT, &query, -1);
  return queried(query);
}

template <Real T>
void sum(int context, std::span<T> values) {
  if (values.empty()) return;
  const int count = blas::narrow(static_cast<index_t>(values.size()));
  pick<T>(Cdgsum2d, Csgsum2d)(context, "All", " ", count, 1, values.data(), count, -1, -1);
}

namespace {

template <class T, class Combine>
void combine(Combine f, int context, std::span<T> values) {
  if (values.empty()) return;
  const int count = blas::narrow(static_cast<index_t>(values.size()));
  f(context, "All", " ", count, 1, values.data(), count, nullptr, nullptr, -1, -1, -1);
}

template <class T, class Send, class Receive>
void broadcast_from(Send send, Receive receive, int context, std::span<T> values, int row,
                    int col) {
  if (values.empty()) return;
  const int count = blas::narrow(static_cast<index_t>(values.size()));
  const Coordinates c = coordinates(context);
  if (c.myrow == row && c.mycol == col) {
    send(context, "All", " ", count, 1, values.data(), count);
  } else {
    receive(context, "All", " ", count, 1, values.data(), count, row, col);
  }
}

}  // namespace

void max(int context, std::span<int> values) { combine(Cigamx2d, context, values); }
void max(int context, std::span<double> values) { combine(Cdgamx2d, context, values); }
void min(int context, std::span<int> values) { combine(Cigamn2d, context, values); }
void min(int context, std::span<double> values) { combine(Cdgamn2d, context, values); }
void broadcast(int context, std::span<int> values, int row, int col) {
  broadcast_from(Cigebs2d, Cigebr2d, context, values, row, col);
}
void broadcast(int context, std::span<double> values, int row, int col) {
  broadcast_from(Cdgebs2d, Cdgebr2d, context, values, row, col);
}

// The two instantiations Real allows.
#define POLARKIT_PBLAS_INSTANTIATE(T)                                                            \
  template void gemm<T>(Op, Op, index_t, index_t, index_t, T, In<T>, In<T>, T, Sub<T>);         \
  template void gemv<T>(Op, index_t, index_t, T, In<T>, In<T>, T, Sub<T>);                      \
  template void symv<T>(Uplo, index_t, T, In<T>, In<T>, T, Sub<T>);                             \
  template void syrk<T>(Uplo, Op, index_t, index_t, T, In<T>, T, Sub<T>);                       \
  template void trsm<T>(Side, Uplo, Op, Diag, index_t, index_t, T, In<T>, Sub<T>);              \
  template void trsv<T>(Uplo, Op, Diag, index_t, In<T>, Sub<T>);                                \
  template void geadd<T>(Op, index_t, index_t, T, In<T>, T, Sub<T>);                           \
  template void tradd<T>(Uplo, Op, index_t, index_t, T, In<T>, T, Sub<T>);                      \
  template void tran<T>(index_t, index_t, T, In<T>, T, Sub<T>);                                 \
  template void gemr2d<T>(index_t, index_t, In<T>, Sub<T>, int);                                \
  template void lacpy<T>(Part, index_t, index_t, In<T>, Sub<T>);                                \
  template void laset<T>(Part, index_t, index_t, T, T, Sub<T>);                                 \
  template double lange<T>(Norm, index_t, index_t, In<T>);                                      \
  template double lansy<T>(Norm, Uplo, index_t, In<T>);                                         \
  template double lantr<T>(Norm, Uplo, index_t, In<T>, std::span<T>);                           \
  template index_t lantr_work<T>(index_t, In<T>);                                               \
  template double latra<T>(index_t, In<T>);                                                     \
  template int geqrf<T>(index_t, index_t, Sub<T>, T*, std::span<T>);                            \
  template index_t geqrf_work<T>(index_t, index_t, Sub<T>);                                     \
  template int orgqr<T>(index_t, index_t, index_t, Sub<T>, const T*, std::span<T>);             \
  template index_t orgqr_work<T>(index_t, index_t, index_t, Sub<T>);                            \
  template int trtri<T>(Uplo, index_t, Sub<T>);                                                 \
  template int potrf<T>(Uplo, index_t, Sub<T>);                                                 \
  template int gesvd<T>(Job, index_t, index_t, Sub<T>, T*, Sub<T>, Sub<T>, std::span<T>);       \
  template index_t gesvd_work<T>(Job, index_t, index_t, Sub<T>, T*, Sub<T>, Sub<T>);            \
  template void sum<T>(int, std::span<T>);
POLARKIT_PBLAS_INSTANTIATE(float)
POLARKIT_PBLAS_INSTANTIATE(double)
#undef POLARKIT_PBLAS_INSTANTIATE

}  // namespace polarkit::pblas
