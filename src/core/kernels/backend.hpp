// The few kernels the solvers need, implemented once per backend (Ginkgo's executor/kernel split).
//
// Solvers in src/core/ are written against these interfaces only: the Newton–Schulz loop against
// ProductBackend (which the 16-bit formats and TF32 products also implement), the rest against
// Backend. Matrices are views: a row-major view is the transpose of a column-major one, so
// gemm(alpha, A.transposed(), B, ...) computes AᵀB without a copy. Outputs (C, G, dst of arithmetic kernels) must be column-major.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "core/kernels/half.hpp"
#include "polarkit/coefficients.hpp"
#include "polarkit/matrix.hpp"

namespace polarkit::detail {

/// How a backend's products round: u of the operands they multiply, and whether they accumulate
/// in a wider format than that (16-bit storage and TF32 inputs accumulate in float). The
/// iterations' stopping tests and rounding floors are derived from it.
struct Rounding {
  double unit_roundoff;
  bool wide_accumulation;
};

/// Estimates of ‖R⁻¹‖₁ and ‖R⁻¹‖_∞ for an upper triangular R; +∞ each for a singular R.
struct InverseNorms {
  double one;
  double infinity;
};

/// The matrices of a batch, item i at [i]: all of one shape (the batched kernels' operands).
template <class T>
using Views = std::span<const MatrixView<T>>;

/// The read-only views of a batch's matrices.
template <class T>
std::vector<MatrixView<const T>> const_views(const std::vector<MatrixView<T>>& views) {
  return {views.begin(), views.end()};
}

/// The kernels of the polynomial (Newton–Schulz) iterations: products, sums and norms. Every
/// storage format has them, the 16-bit ones and TF32 products included (ReducedBackend).
template <class T>
class ProductBackend {
 public:
  ProductBackend() = default;
  ProductBackend(const ProductBackend&) = delete;
  ProductBackend& operator=(const ProductBackend&) = delete;
  virtual ~ProductBackend() = default;

  [[nodiscard]] virtual MemorySpace space() const = 0;

  [[nodiscard]] virtual Rounding rounding() const { return {unit_roundoff<T>, false}; }

  /// A zero-filled rows × cols column-major matrix in this backend's memory.
  virtual Matrix<T> allocate(index_t rows, index_t cols) = 0;

  /// dst = alpha · src (same logical shape, any layouts; src may be dst). One of the two may be
  /// host memory: a device backend uploads, or downloads and returns once dst holds the values.
  /// alpha = 0 writes exact zeros without reading src (the BLAS beta = 0 convention).
  virtual void copy(double alpha, MatrixView<const T> src, MatrixView<T> dst) = 0;

  /// C = alpha · A · B + beta · C.
  virtual void gemm(double alpha, MatrixView<const T> A, MatrixView<const T> B, double beta,
                    MatrixView<T> C) = 0;

  /// G = alpha · XᵀX + beta · G, both triangles filled (SYRK and a mirror).
  virtual void gram(double alpha, MatrixView<const T> X, double beta, MatrixView<T> G) = 0;

  /// True when gram() is a full GEMM (2mn² flops, not SYRK's mn²): cuBLAS has no SYRK for the
  /// 16-bit formats or TF32. The flop counts report what ran.
  [[nodiscard]] virtual bool gram_by_gemm() const { return false; }

  /// C = alpha · A + beta · C.
  virtual void add(double alpha, MatrixView<const T> A, double beta, MatrixView<T> C) = 0;

  /// C = C + gamma · I.
  virtual void add_diagonal(double gamma, MatrixView<T> C) = 0;

  /// ‖A‖_F without overflow or harmful underflow.
  virtual double norm_fro(MatrixView<const T> A) = 0;

  /// ‖G − I‖_F for square G.
  virtual double norm_fro_minus_identity(MatrixView<const T> G) = 0;

  /// ⟨A, B⟩_F = Σ a_ij b_ij.
  virtual double dot(MatrixView<const T> A, MatrixView<const T> B) = 0;

  /// ‖A − B‖_F.
  virtual double norm_fro_difference(MatrixView<const T> A, MatrixView<const T> B) = 0;

  // ---- batched kernels: one kernel on every item of a batch (batched polar) -------------------
  // Each default calls the kernel above item by item, so a batch computes exactly what a loop
  // over its items does, bit for bit. A backend overrides them where one launch, or one read-back
  // of all the scalars, serves the whole batch (the CUDA backend).

  /// How many matrices a batched solve iterates together by default (PolarOptions::batch_group).
  /// Item-by-item kernels gain nothing from groups but memory and cache misses: one.
  [[nodiscard]] virtual int batch_group() const { return 1; }

  /// Runs job(0), …, job(count − 1): independent solves of m × n matrices (or groups of them),
  /// each touching only memory of its own, in any order and possibly at the same time (the CPU
  /// backend takes this default, in order: cpu_backend.cpp says why). After every job that started has
  /// finished, rethrows the first exception one threw. Sequential by default.
  virtual void for_each_item(std::size_t count, index_t m, index_t n,
                             const std::function<void(std::size_t)>& job) {
    static_cast<void>(m);
    static_cast<void>(n);
    for (std::size_t i = 0; i < count; ++i) job(i);
  }

  /// Returns once the work queued so far is done: a device backend queues its kernels and
  /// copies on a stream and returns before they finish; the CPU's work is done on return.
  virtual void wait() {}

  /// C[i] = alpha · A[i] · B[i] + beta · C[i].
  virtual void gemm_batched(double alpha, Views<const T> A, Views<const T> B, double beta,
                            Views<T> C) {
    for (std::size_t i = 0; i < C.size(); ++i) gemm(alpha, A[i], B[i], beta, C[i]);
  }

  /// G[i] = X[i]ᵀ X[i].
  virtual void gram_batched(Views<const T> X, Views<T> G) {
    for (std::size_t i = 0; i < G.size(); ++i) gram(1.0, X[i], 0.0, G[i]);
  }

  /// D[i] = p_i(S[i]) / S[i] = c·S[i]² + b·S[i] + a·I for p_i = q[i] and a symmetric S[i] (the
  /// matrix polynomial a Newton–Schulz step multiplies by). The S² term costs a Gram product of
  /// S[i] (S² = SᵀS) where c ≠ 0.
  virtual void polynomial_batched(std::span<const Quintic> q, Views<const T> S, Views<T> D) {
    for (std::size_t i = 0; i < D.size(); ++i) {
      if (q[i].c != 0.0) {
        gram(q[i].c, S[i], 0.0, D[i]);
        add(q[i].b, S[i], 1.0, D[i]);
      } else {
        copy(q[i].b, S[i], D[i]);
      }
      add_diagonal(q[i].a, D[i]);
    }
  }

  /// dst[i] = alpha[i] · src[i].
  virtual void copy_batched(std::span<const double> alpha, Views<const T> src, Views<T> dst) {
    for (std::size_t i = 0; i < dst.size(); ++i) copy(alpha[i], src[i], dst[i]);
  }

  /// C[i] = C[i] + gamma · I.
  virtual void add_diagonal_batched(double gamma, Views<T> C) {
    for (const MatrixView<T>& c : C) add_diagonal(gamma, c);
  }

  /// ⟨A[i], B[i]⟩_F for every i.
  virtual std::vector<double> dot_batched(Views<const T> A, Views<const T> B) {
    std::vector<double> r(A.size());
    for (std::size_t i = 0; i < A.size(); ++i) r[i] = dot(A[i], B[i]);
    return r;
  }

  /// ‖A[i]‖_F for every i.
  virtual std::vector<double> norm_fro_batched(Views<const T> A) {
    std::vector<double> r(A.size());
    for (std::size_t i = 0; i < A.size(); ++i) r[i] = norm_fro(A[i]);
    return r;
  }

  /// ‖G[i] − I‖_F for every i.
  virtual std::vector<double> norm_fro_minus_identity_batched(Views<const T> G) {
    std::vector<double> r(G.size());
    for (std::size_t i = 0; i < G.size(); ++i) r[i] = norm_fro_minus_identity(G[i]);
    return r;
  }

  /// ‖A[i] − B[i]‖_F for every i.
  virtual std::vector<double> norm_fro_difference_batched(Views<const T> A, Views<const T> B) {
    std::vector<double> r(A.size());
    for (std::size_t i = 0; i < A.size(); ++i) r[i] = norm_fro_difference(A[i], B[i]);
    return r;
  }
};

/// Every kernel the solvers need, for the working precisions float and double.
template <class T>
class Backend : public ProductBackend<T> {
 public:
  /// Sets the strictly lower triangle of A to zero.
  virtual void zero_strict_lower(MatrixView<T> A) = 0;

  /// C = (C + Cᵀ) / 2 for square C.
  virtual void symmetrize(MatrixView<T> C) = 0;

  /// A = A · diag(d).
  virtual void scale_columns(std::span<const double> d, MatrixView<T> A) = 0;

  /// max |a_ij| (0 for an empty matrix).
  virtual double max_abs(MatrixView<const T> A) = 0;

  virtual double trace(MatrixView<const T> A) = 0;

  /// False when A holds a NaN or an infinity.
  virtual bool all_finite(MatrixView<const T> A) = 0;

  /// Householder QR in place (R in the upper triangle, reflectors below); tau: min(m, n) × 1.
  virtual void qr(MatrixView<T> A, MatrixView<T> tau) = 0;

  /// Overwrites a tall A factored by qr() with the explicit Q of its n columns.
  virtual void form_q(MatrixView<T> A, MatrixView<const T> tau) = 0;

  /// The thin orthonormal factor Q ((m + n) × n) of the stack [ρX; I] = Q·R for an m × n X,
  /// by Householder QR: Q = [Q₁; Q₂] with Q₁Q₂ᵀ = ρX(I + ρ²XᵀX)⁻¹, the step of QDWH and Zolo-PD,
  /// backward stable however ill-conditioned X is. The large rows come first on purpose: a
  /// Householder QR of rows of very different sizes is row-wise stable when the large ones
  /// lead (ordered [I; ρX], the tpqrt layout, it lost 7 digits for ρ = 1e8). Scratch: work,
  /// (m + n) × n, and t, n × n. This default runs qr() and form_q() on Q itself; the CPU
  /// overrides it with LAPACK's compact-WY routines.
  virtual void stack_identity_q(double rho, MatrixView<const T> X, MatrixView<T> work,
                                MatrixView<T> t, MatrixView<T> Q) {
    static_cast<void>(work);
    const index_t m = X.rows();
    const index_t n = X.cols();
    this->copy(rho, X, Q.block(0, 0, m, n));
    this->copy(0.0, MatrixView<const T>(t), Q.block(m, 0, n, n));
    this->add_diagonal(1.0, Q.block(m, 0, n, n));
    qr(Q, t.col(0));
    form_q(Q, MatrixView<const T>(t).col(0));
  }

  /// Cholesky factorisation A = RᵀR in place (R upper; the strict lower part is left as is).
  /// False when A is not numerically positive definite.
  virtual bool cholesky(MatrixView<T> A) = 0;

  /// B ← B · R⁻¹ (transpose = false) or B · R⁻ᵀ, R upper triangular.
  virtual void solve_upper_right(MatrixView<const T> R, bool transpose, MatrixView<T> B) = 0;

  /// Rinv ← R⁻¹ for the upper triangle R of a square matrix, the strict lower part of Rinv zero.
  /// The default solves against the identity (n³ flops); a backend with a triangular inverse
  /// (LAPACK trtri, n³/3) overrides it. Not for an exactly singular R.
  virtual void invert_upper(MatrixView<const T> R, MatrixView<T> Rinv) {
    this->copy(0.0, MatrixView<const T>(Rinv), Rinv);
    this->add_diagonal(1.0, Rinv);
    solve_upper_right(R, false, Rinv);
  }

  /// Estimates of ‖R⁻¹‖₁ and ‖R⁻¹‖_∞ for the upper triangle R of a square matrix (LAPACK trcon:
  /// Hager–Higham, usually exact); +∞ for a singular R. Both at once: a device backend moves R
  /// to the host for them, once.
  virtual InverseNorms inverse_norms_upper(MatrixView<const T> R) = 0;

  /// A ← A⁻¹ by LU with partial pivoting. False when A is exactly singular (A is then undefined).
  virtual bool invert(MatrixView<T> A) = 0;

  /// Thin SVD of a tall A (m ≥ n): A = W · diag(σ) · Vt, σ returned in descending order.
  virtual std::vector<double> svd(MatrixView<const T> A, MatrixView<T> W, MatrixView<T> Vt) = 0;

  /// The singular values of a tall A alone, descending. The default runs svd() into scratch
  /// matrices; the CPU backend asks LAPACK for the values only (2–2.5× less time).
  virtual std::vector<double> singular_values(MatrixView<const T> A) {
    Matrix<T> W = this->allocate(A.rows(), A.cols());
    Matrix<T> Vt = this->allocate(A.cols(), A.cols());
    return svd(A, W.view(), Vt.view());
  }
};

/// A backend of a 16-bit storage format S: the product kernels and the conversions from and to
/// the working precisions (rounded to nearest; S's range is float's for bfloat16, ±65504 for
/// float16).
template <class S>
class StorageBackend : public ProductBackend<S> {
 public:
  virtual void load(MatrixView<const float> src, MatrixView<S> dst) = 0;
  virtual void load(MatrixView<const double> src, MatrixView<S> dst) = 0;
  virtual void store(MatrixView<const S> src, MatrixView<float> dst) = 0;
  virtual void store(MatrixView<const S> src, MatrixView<double> dst) = 0;
};

/// The backend that owns memory of the given space. Throws Error(not_compiled) for a space whose
/// backend is not part of this build.
template <class T>
Backend<T>& backend_for(MemorySpace space);

/// The 16-bit backend of a memory space (S = bfloat16 or float16).
template <class S>
StorageBackend<S>& storage_backend_for(MemorySpace space);

/// The float backend of a memory space whose products round their inputs to TF32 (on the host,
/// an emulation: inputs rounded, then an ordinary float product).
ProductBackend<float>& tf32_backend_for(MemorySpace space);

}  // namespace polarkit::detail
