// ScaLAPACK, PBLAS and BLACS as polarkit calls them. Debian's ScaLAPACK 2.2 ships no C headers,
// so the prototypes of the entry points used are declared here, once: the BLACS C interface
// (Cblacs_*, C?gsum2d, ...) and the Fortran symbols (trailing underscore; the ScaLAPACK routines
// proper are Fortran and take the hidden lengths of their character arguments, the PBLAS ones
// are C and do not). Then typed wrappers in the manner of src/blas/: one function template per
// routine for float and double, blas's enums for the options, 64-bit sizes and 0-based global
// offsets, narrowed (blas::narrow) and made 1-based here and nowhere else.
#pragma once

// MPI's C interface only: Open MPI's mpi.h otherwise brings its deprecated C++ bindings, whose
// symbols live in a library (libmpi_cxx) that MPI::MPI_C does not link.
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <cstddef>
#include <span>
#include <type_traits>

#include "blas/blas.hpp"

extern "C" {
// --- BLACS (C interface) ---
void Cblacs_get(int context, int what, int* value);
void Cblacs_gridinit(int* context, const char* order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int* nprow, int* npcol, int* myrow, int* mycol);
void Cblacs_gridexit(int context);
int Cblacs_pnum(int context, int prow, int pcol);
int Csys2blacs_handle(MPI_Comm comm);
void Cigamx2d(int context, const char* scope, const char* top, int m, int n, int* a, int lda,
              int* ra, int* ca, int ldia, int rdest, int cdest);
void Cigamn2d(int context, const char* scope, const char* top, int m, int n, int* a, int lda,
              int* ra, int* ca, int ldia, int rdest, int cdest);
void Cdgamx2d(int context, const char* scope, const char* top, int m, int n, double* a, int lda,
              int* ra, int* ca, int ldia, int rdest, int cdest);
void Cdgamn2d(int context, const char* scope, const char* top, int m, int n, double* a, int lda,
              int* ra, int* ca, int ldia, int rdest, int cdest);
void Cdgsum2d(int context, const char* scope, const char* top, int m, int n, double* a, int lda,
              int rdest, int cdest);
void Csgsum2d(int context, const char* scope, const char* top, int m, int n, float* a, int lda,
              int rdest, int cdest);
void Cigebs2d(int context, const char* scope, const char* top, int m, int n, const int* a, int lda);
void Cigebr2d(int context, const char* scope, const char* top, int m, int n, int* a, int lda,
              int rsrc, int csrc);
void Cdgebs2d(int context, const char* scope, const char* top, int m, int n, const double* a,
              int lda);
void Cdgebr2d(int context, const char* scope, const char* top, int m, int n, double* a, int lda,
              int rsrc, int csrc);

// --- ScaLAPACK tools (Fortran) ---
int numroc_(const int* n, const int* nb, const int* iproc, const int* isrcproc, const int* nprocs);
void descinit_(int* desc, const int* m, const int* n, const int* mb, const int* nb,
               const int* irsrc, const int* icsrc, const int* context, const int* lld, int* info);

// --- PBLAS (C, Fortran-callable) ---
void pdgemm_(const char*, const char*, const int*, const int*, const int*, const double*,
             const double*, const int*, const int*, const int*, const double*, const int*,
             const int*, const int*, const double*, double*, const int*, const int*, const int*);
void psgemm_(const char*, const char*, const int*, const int*, const int*, const float*,
             const float*, const int*, const int*, const int*, const float*, const int*,
             const int*, const int*, const float*, float*, const int*, const int*, const int*);
void pdgemv_(const char*, const int*, const int*, const double*, const double*, const int*,
             const int*, const int*, const double*, const int*, const int*, const int*, const int*,
             const double*, double*, const int*, const int*, const int*, const int*);
void psgemv_(const char*, const int*, const int*, const float*, const float*, const int*,
             const int*, const int*, const float*, const int*, const int*, const int*, const int*,
             const float*, float*, const int*, const int*, const int*, const int*);
void pdsymv_(const char*, const int*, const double*, const double*, const int*, const int*,
             const int*, const double*, const int*, const int*, const int*, const int*,
             const double*, double*, const int*, const int*, const int*, const int*);
void pssymv_(const char*, const int*, const float*, const float*, const int*, const int*,
             const int*, const float*, const int*, const int*, const int*, const int*,
             const float*, float*, const int*, const int*, const int*, const int*);
void pdsyrk_(const char*, const char*, const int*, const int*, const double*, const double*,
             const int*, const int*, const int*, const double*, double*, const int*, const int*,
             const int*);
void pssyrk_(const char*, const char*, const int*, const int*, const float*, const float*,
             const int*, const int*, const int*, const float*, float*, const int*, const int*,
             const int*);
void pdtrsm_(const char*, const char*, const char*, const char*, const int*, const int*,
             const double*, const double*, const int*, const int*, const int*, double*,
             const int*, const int*, const int*);
void pstrsm_(const char*, const char*, const char*, const char*, const int*, const int*,
             const float*, const float*, const int*, const int*, const int*, float*, const int*,
             const int*, const int*);
void pdtrsv_(const char*, const char*, const char*, const int*, const double*, const int*,
             const int*, const int*, double*, const int*, const int*, const int*, const int*);
void pstrsv_(const char*, const char*, const char*, const int*, const float*, const int*,
             const int*, const int*, float*, const int*, const int*, const int*, const int*);
void pdgeadd_(const char*, const int*, const int*, const double*, const double*, const int*,
              const int*, const int*, const double*, double*, const int*, const int*, const int*);
void psgeadd_(const char*, const int*, const int*, const float*, const float*, const int*,
              const int*, const int*, const float*, float*, const int*, const int*, const int*);
void pdtradd_(const char*, const char*, const int*, const int*, const double*, const double*,
              const int*, const int*, const int*, const double*, double*, const int*, const int*,
              const int*);
void pstradd_(const char*, const char*, const int*, const int*, const float*, const float*,
              const int*, const int*, const int*, const float*, float*, const int*, const int*,
              const int*);
void pdtran_(const int*, const int*, const double*, const double*, const int*, const int*,
             const int*, const double*, double*, const int*, const int*, const int*);
void pstran_(const int*, const int*, const float*, const float*, const int*, const int*,
             const int*, const float*, float*, const int*, const int*, const int*);

// --- redistribution (C, Fortran-callable) ---
void pdgemr2d_(const int*, const int*, const double*, const int*, const int*, const int*, double*,
               const int*, const int*, const int*, const int*);
void psgemr2d_(const int*, const int*, const float*, const int*, const int*, const int*, float*,
               const int*, const int*, const int*, const int*);

// --- ScaLAPACK (Fortran: hidden character lengths last) ---
void pdlacpy_(const char*, const int*, const int*, const double*, const int*, const int*,
              const int*, double*, const int*, const int*, const int*, std::size_t);
void pslacpy_(const char*, const int*, const int*, const float*, const int*, const int*,
              const int*, float*, const int*, const int*, const int*, std::size_t);
void pdlaset_(const char*, const int*, const int*, const double*, const double*, double*,
              const int*, const int*, const int*, std::size_t);
void pslaset_(const char*, const int*, const int*, const float*, const float*, float*, const int*,
              const int*, const int*, std::size_t);
double pdlange_(const char*, const int*, const int*, const double*, const int*, const int*,
                const int*, double*, std::size_t);
float pslange_(const char*, const int*, const int*, const float*, const int*, const int*,
               const int*, float*, std::size_t);
double pdlansy_(const char*, const char*, const int*, const double*, const int*, const int*,
                const int*, double*, std::size_t, std::size_t);
float pslansy_(const char*, const char*, const int*, const float*, const int*, const int*,
               const int*, float*, std::size_t, std::size_t);
double pdlantr_(const char*, const char*, const char*, const int*, const int*, const double*,
                const int*, const int*, const int*, double*, std::size_t, std::size_t,
                std::size_t);
float pslantr_(const char*, const char*, const char*, const int*, const int*, const float*,
               const int*, const int*, const int*, float*, std::size_t, std::size_t, std::size_t);
double pdlatra_(const int*, const double*, const int*, const int*, const int*);
float pslatra_(const int*, const float*, const int*, const int*, const int*);
void pdgeqrf_(const int*, const int*, double*, const int*, const int*, const int*, double*,
              double*, const int*, int*);
void psgeqrf_(const int*, const int*, float*, const int*, const int*, const int*, float*, float*,
              const int*, int*);
void pdorgqr_(const int*, const int*, const int*, double*, const int*, const int*, const int*,
              const double*, double*, const int*, int*);
void psorgqr_(const int*, const int*, const int*, float*, const int*, const int*, const int*,
              const float*, float*, const int*, int*);
void pdtrtri_(const char*, const char*, const int*, double*, const int*, const int*, const int*,
              int*, std::size_t, std::size_t);
void pstrtri_(const char*, const char*, const int*, float*, const int*, const int*, const int*,
              int*, std::size_t, std::size_t);
void pdpotrf_(const char*, const int*, double*, const int*, const int*, const int*, int*,
              std::size_t);
void pspotrf_(const char*, const int*, float*, const int*, const int*, const int*, int*,
              std::size_t);
void pdgesvd_(const char*, const char*, const int*, const int*, double*, const int*, const int*,
              const int*, double*, double*, const int*, const int*, const int*, double*,
              const int*, const int*, const int*, double*, const int*, int*, std::size_t,
              std::size_t);
void psgesvd_(const char*, const char*, const int*, const int*, float*, const int*, const int*,
              const int*, float*, float*, const int*, const int*, const int*, float*, const int*,
              const int*, const int*, float*, const int*, int*, std::size_t, std::size_t);
}

namespace polarkit::pblas {

using blas::Diag;
using blas::Job;
using blas::Norm;
using blas::Op;
using blas::Real;
using blas::Side;
using blas::Uplo;

/// The part of a matrix lacpy and laset touch: a triangle (with the diagonal) or all of it.
enum class Part { upper, lower, all };

/// sub(A) = A(i : …, j : …) of a distributed matrix A: the calling process's local array, A's
/// descriptor and the 0-based global offsets of the submatrix (its size is the routine's).
template <class T>
struct Sub {
  T* local = nullptr;
  const int* desc = nullptr;
  index_t i = 0;
  index_t j = 0;

  /// The same submatrix, read-only.
  operator Sub<const T>() const  // NOLINT(google-explicit-constructor)
    requires(!std::is_const_v<T>)
  {
    return {local, desc, i, j};
  }
};

/// A read-only operand: not used to deduce T (a mutable Sub converts).
template <class T>
using In = std::type_identity_t<Sub<const T>>;
/// A scalar of the routine's type, not used to deduce T.
template <class T>
using Scalar = std::type_identity_t<T>;

/// The local size of a distributed dimension (ScaLAPACK's numroc): rows or columns of n that
/// process coordinate `proc` of `procs` holds, blocks of nb dealt from process `source`.
index_t local_size(index_t n, index_t nb, int proc, int source, int procs);

// --- PBLAS ---
/// sub(C) = alpha·op(sub(A))·op(sub(B)) + beta·sub(C), C m × n, inner size k.
template <Real T>
void gemm(Op ta, Op tb, index_t m, index_t n, index_t k, Scalar<T> alpha, In<T> A, In<T> B,
          Scalar<T> beta, Sub<T> C);
/// y = alpha·op(sub(A))·x + beta·y, A m × n, x and y columns of distributed matrices.
template <Real T>
void gemv(Op t, index_t m, index_t n, Scalar<T> alpha, In<T> A, In<T> x, Scalar<T> beta, Sub<T> y);
/// y = alpha·sub(A)·x + beta·y for a symmetric n × n A of which the uplo triangle is read.
template <Real T>
void symv(Uplo uplo, index_t n, Scalar<T> alpha, In<T> A, In<T> x, Scalar<T> beta, Sub<T> y);
/// The uplo triangle of sub(C) = alpha·op(A)·op(A)ᵀ + beta·sub(C), C n × n, op(A) n × k.
template <Real T>
void syrk(Uplo uplo, Op t, index_t n, index_t k, Scalar<T> alpha, In<T> A, Scalar<T> beta,
          Sub<T> C);
/// sub(B) ← alpha·sub(B)·op(A)⁻¹ (Side::right) or alpha·op(A)⁻¹·sub(B), B m × n.
template <Real T>
void trsm(Side side, Uplo uplo, Op t, Diag diag, index_t m, index_t n, Scalar<T> alpha, In<T> A,
          Sub<T> B);
/// x ← op(A)⁻¹·x, A n × n triangular, x a column.
template <Real T>
void trsv(Uplo uplo, Op t, Diag diag, index_t n, In<T> A, Sub<T> x);
/// sub(C) = alpha·op(sub(A)) + beta·sub(C), C m × n.
template <Real T>
void geadd(Op t, index_t m, index_t n, Scalar<T> alpha, In<T> A, Scalar<T> beta, Sub<T> C);
/// The uplo triangle of sub(C) = alpha·op(sub(A)) + beta·sub(C), C m × n.
template <Real T>
void tradd(Uplo uplo, Op t, index_t m, index_t n, Scalar<T> alpha, In<T> A, Scalar<T> beta,
           Sub<T> C);
/// sub(C) = alpha·sub(A)ᵀ + beta·sub(C), C m × n (A n × m).
template <Real T>
void tran(index_t m, index_t n, Scalar<T> alpha, In<T> A, Scalar<T> beta, Sub<T> C);

// --- redistribution and auxiliaries ---
/// sub(B) = sub(A), m × n, between any two distributions; context: one that holds every process
/// of both grids.
template <Real T>
void gemr2d(index_t m, index_t n, In<T> A, Sub<T> B, int context);
/// sub(B) = sub(A) on the given part, m × n (A and B distributed alike).
template <Real T>
void lacpy(Part part, index_t m, index_t n, In<T> A, Sub<T> B);
/// The given part of sub(A), m × n: offdiag off the diagonal, diag on it.
template <Real T>
void laset(Part part, index_t m, index_t n, Scalar<T> offdiag, Scalar<T> diag, Sub<T> A);

/// Norms of sub(A): general m × n, symmetric n × n (uplo triangle), triangular n × n
/// (non-unit). The value is the same on every process of the grid. Norm::fro and Norm::max
/// need no workspace; one and inf are used on triangular matrices only (lantr_work).
template <Real T>
double lange(Norm norm, index_t m, index_t n, In<T> A);
template <Real T>
double lansy(Norm norm, Uplo uplo, index_t n, In<T> A);
template <Real T>
double lantr(Norm norm, Uplo uplo, index_t n, In<T> A, std::span<T> work);
/// The workspace lantr needs for norm one or inf of an n × n sub(A).
template <Real T>
index_t lantr_work(index_t n, In<T> A);
/// tr sub(A), n × n, on every process.
template <Real T>
double latra(index_t n, In<T> A);

// --- factorisations: info as ScaLAPACK returns it; a workspace query (lwork = −1) each ---
/// Householder QR of sub(A), m × n (geqrf), and its explicit Q of n columns (orgqr, k
/// reflectors); tau: the local part of LOCc(ja + n − 1) elements.
template <Real T>
int geqrf(index_t m, index_t n, Sub<T> A, T* tau, std::span<T> work);
template <Real T>
index_t geqrf_work(index_t m, index_t n, Sub<T> A);
template <Real T>
int orgqr(index_t m, index_t n, index_t k, Sub<T> A, const T* tau, std::span<T> work);
template <Real T>
index_t orgqr_work(index_t m, index_t n, index_t k, Sub<T> A);
/// Inverse of a non-unit triangular sub(A) in place (trtri); info > 0: exactly singular.
template <Real T>
int trtri(Uplo uplo, index_t n, Sub<T> A);
/// Cholesky factorisation of the uplo triangle of sub(A) (potrf); info > 0: not positive
/// definite.
template <Real T>
int potrf(Uplo uplo, index_t n, Sub<T> A);
/// Thin SVD of sub(A), m × n with m ≥ n (gesvd; A overwritten): s the n singular values (on every
/// process), U m × n and VT n × n when job is Job::vec, not referenced for Job::no_vec.
template <Real T>
int gesvd(Job job, index_t m, index_t n, Sub<T> A, T* s, Sub<T> U, Sub<T> VT, std::span<T> work);
template <Real T>
index_t gesvd_work(Job job, index_t m, index_t n, Sub<T> A, T* s, Sub<T> U, Sub<T> VT);

// --- BLACS collectives over the whole grid of a context (results on every process) ---
/// Element-wise sums, maxima and minima.
template <Real T>
void sum(int context, std::span<T> values);
void max(int context, std::span<int> values);
void max(int context, std::span<double> values);
void min(int context, std::span<int> values);
void min(int context, std::span<double> values);
/// Every process gets the values of process (row, col).
void broadcast(int context, std::span<int> values, int row, int col);
void broadcast(int context, std::span<double> values, int row, int col);

}  // namespace polarkit::pblas
