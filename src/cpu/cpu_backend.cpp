// The CPU backend: BLAS/LAPACK for the products and the SVD, plain loops for the O(mn) kernels.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "blas/blas.hpp"
#include "core/api/checks.hpp"
#include "core/kernels/backends.hpp"
#include "cpu/host_cache.hpp"
#include "cpu/parallel_passes.hpp"
#include "optim/kernels.hpp"

namespace polarkit::detail {
namespace {

// The prefix of this backend's argument errors ("cpu backend: copy: shape mismatch").
constexpr std::string_view who = "cpu backend";

// Calls f(i, j) for every element, walking memory contiguously.
template <class T, class F>
void for_each(MatrixView<T> A, F&& f) {
  if (A.empty()) return;  // 0 × 2^31 would still run the outer loop 2^31 times
  if (A.is_col_major()) {
    for (index_t j = 0; j < A.cols(); ++j) {
      for (index_t i = 0; i < A.rows(); ++i) f(i, j);
    }
  } else {
    for (index_t i = 0; i < A.rows(); ++i) {
      for (index_t j = 0; j < A.cols(); ++j) f(i, j);
    }
  }
}

// for_each for element-wise passes that write element (i, j) only: columns (rows, for a
// row-major A) spread over cores by cpu/parallel_passes.hpp.
template <class T, class F>
void for_each_parallel(MatrixView<T> A, F&& f) {
  if (A.empty()) return;
  const bool col_major = A.is_col_major();
  const index_t outer = col_major ? A.cols() : A.rows();
  const index_t inner = col_major ? A.rows() : A.cols();
  cpu::for_block_ranges(outer, outer * inner, false, [&](index_t o0, index_t o1) {
    // Two loop nests, not a layout test per element: the inner loop must vectorise.
    if (col_major) {
      for (index_t j = o0; j < o1; ++j) {
        for (index_t i = 0; i < inner; ++i) f(i, j);
      }
    } else {
      for (index_t i = o0; i < o1; ++i) {
        for (index_t j = 0; j < inner; ++j) f(i, j);
      }
    }
  });
}

// sqrt(Σ v²) over the values a generator yields, safe from overflow and underflow: the plain
// double sum is used when it is representable, otherwise the values are rescaled by a power of 2.
template <class T, class Value>
double norm2_of(MatrixView<T> A, Value&& value) {
  double sum = 0.0;
  double amax = 0.0;
  for_each(A, [&](index_t i, index_t j) {
    const double v = value(i, j);
    sum += v * v;
    amax = std::max(amax, std::abs(v));
  });
  if (amax == 0.0 || (std::isfinite(sum) && sum > 1e-280)) {
    return std::sqrt(sum);
  }
  int exponent = 0;
  std::frexp(amax, &exponent);
  double scaled = 0.0;
  for_each(A, [&](index_t i, index_t j) {
    const double v = std::ldexp(value(i, j), -exponent);
    scaled += v * v;
  });
  return std::ldexp(std::sqrt(scaled), exponent);
}

blas::Op op_of(Layout layout) {
  return layout == Layout::col_major ? blas::Op::no_trans : blas::Op::trans;
}

// Σ p[k]² over a contiguous column in double, in four partial sums so the adds do not wait on
// one another (as testkit/accuracy.cpp's long-double dot; a single chain waits on the adder's
// latency at every element).
template <class T>
double column_sum_squares(const T* p, index_t len) {
  double s0 = 0.0;
  double s1 = 0.0;
  double s2 = 0.0;
  double s3 = 0.0;
  index_t k = 0;
  for (; k + 4 <= len; k += 4) {
    const double v0 = static_cast<double>(p[k]);
    const double v1 = static_cast<double>(p[k + 1]);
    const double v2 = static_cast<double>(p[k + 2]);
    const double v3 = static_cast<double>(p[k + 3]);
    s0 += v0 * v0;
    s1 += v1 * v1;
    s2 += v2 * v2;
    s3 += v3 * v3;
  }
  for (; k < len; ++k) s0 += static_cast<double>(p[k]) * static_cast<double>(p[k]);
  return (s0 + s1) + (s2 + s3);
}

// Σ_j column(j) in column order: the column sums spread over cores (each into its own slot),
// then added in order on the calling thread, so the result is the same for any split.
template <class F>
double sum_over_columns(index_t rows, index_t cols, F&& column) {
  double sum = 0.0;
  if (rows * cols < cpu::parallel_pass_elements) {  // one thread would run it: no slots needed
    for (index_t j = 0; j < cols; ++j) sum += column(j);
    return sum;
  }
  // One buffer per calling thread, grown once: the norms run every iteration. (Named through a
  // reference: inside the lambda the name of a thread_local would mean the worker's own copy.)
  thread_local std::vector<double> buffer;
  std::vector<double>& sums = buffer;
  sums.resize(static_cast<std::size_t>(cols));
  cpu::for_block_ranges(cols, rows * cols, false, [&](index_t j0, index_t j1) {
    for (index_t j = j0; j < j1; ++j) sums[static_cast<std::size_t>(j)] = column(j);
  });
  for (const double v : sums) sum += v;
  return sum;
}

// The plain sum is safe where it is finite and far from underflow; elsewhere the callers fall
// back to the rescaled norm2_of.
bool plain_sum_is_safe(double sum) { return std::isfinite(sum) && sum > 1e-280; }

// The optimizer's kernels (optim/kernels.hpp) on the same class, not a class of their own: they
// are made of this backend's pieces (norm_fro, copy, for_each), and one object per type means
// one instance of each interface that optim_kernels_for() and backend_for() both reach.
template <class T>
class CpuBackend final : public Backend<T>, public optim::detail::OptimKernels<T> {
 public:
  [[nodiscard]] MemorySpace space() const override { return MemorySpace::host; }

  // From the host cache (cpu/host_cache.hpp): no fresh pages to fault in for the matrices of
  // each solve.
  Matrix<T> allocate(index_t rows, index_t cols) override {
    require(rows >= 0 && cols >= 0, who, "allocate: negative size");
    const std::size_t count = checked_element_count<T>(rows, cols, "cpu backend");
    if (count == 0) return Matrix<T>(rows, cols);
    require_host_memory("cpu backend", rows, cols, count * sizeof(T));
    void* block = nullptr;
    try {
      block = host_acquire(count * sizeof(T));
    } catch (const std::bad_alloc&) {
      throw_out_of_memory("cpu backend", rows, cols, count * sizeof(T));
    }
    return Matrix<T>(static_cast<T*>(block), rows, cols, MemorySpace::host,
                     [](T* p) { host_release(p); });
  }

  void copy(double alpha, MatrixView<const T> src, MatrixView<T> dst) override {
    require(src.rows() == dst.rows() && src.cols() == dst.cols(), who, "copy: shape mismatch");
    if (dst.empty()) return;
    const T a = static_cast<T>(alpha);
    const auto element = [&](index_t i, index_t j) {
      dst(i, j) = alpha == 1.0 ? src(i, j) : alpha == 0.0 ? T(0) : a * src(i, j);
    };
    if (src.layout() == dst.layout() || alpha == 0.0) {
      for_each_parallel(dst, element);
      return;
    }
    // A transposing copy (a wide A into its tall iterate, U back out) in square tiles: walking
    // dst contiguously reads src with a stride of its leading dimension, one cache line per
    // element; a tile's rows and columns both stay in cache (768 × 3072 float: 24 ms -> 5 ms).
    constexpr index_t tile = 32;
    const index_t column_tiles = (dst.cols() + tile - 1) / tile;
    cpu::for_block_ranges(column_tiles, dst.rows() * dst.cols(), false, [&](index_t t0, index_t t1) {
      for (index_t j0 = t0 * tile; j0 < std::min(t1 * tile, dst.cols()); j0 += tile) {
        for (index_t i0 = 0; i0 < dst.rows(); i0 += tile) {
          const index_t rows = std::min(tile, dst.rows() - i0);
          const index_t cols = std::min(tile, dst.cols() - j0);
          for_each(dst.block(i0, j0, rows, cols),
                   [&](index_t i, index_t j) { element(i0 + i, j0 + j); });
        }
      }
    });
  }

  // for_each_item: the default, in order on the calling thread. Not side by side with
  // single-threaded BLAS, as it once was: OpenBLAS's results depend on its thread count, which
  // is process-wide. Measured with 0.3.21 (1 against 2 threads): dgemm, dsyrk and dtrsm for some
  // shapes (e.g. 7 × 257 × 512), sgemv and dgemv for some shapes, potrf from n = 64, getrf +
  // getri and trtri from 96, geqrf from 128, gesdd from 48, syevd from 32. Side by side, a
  // batch's items came out different from single calls, and every solve another thread ran
  // meanwhile had the count lowered under it (tests/cpu/test_concurrency.cpp). Bit-identical batches
  // and thread-independent results are worth more than the 5–15% it gained for batches of small
  // matrices (docs/performance.md).

  void gemm(double alpha, MatrixView<const T> A, MatrixView<const T> B, double beta,
            MatrixView<T> C) override {
    require(A.rows() == C.rows() && B.cols() == C.cols() && A.cols() == B.rows(), who,
            "gemm: shape mismatch");
    if (!C.is_col_major()) {  // Cᵀ = BᵀAᵀ keeps the output column-major
      gemm(alpha, B.transposed(), A.transposed(), beta, C.transposed());
      return;
    }
    if (C.empty()) return;
    if (C.cols() == 1 && A.cols() > 0) {  // the Lanczos products: OpenBLAS's gemv is ~5x faster
      matvec(alpha, A, B, beta, C);
      return;
    }
    blas::gemm(op_of(A.layout()), op_of(B.layout()), C.rows(), C.cols(), A.cols(),
               static_cast<T>(alpha), A.data(), A.ld(), B.data(), B.ld(), static_cast<T>(beta),
               C.data(), C.ld());
  }

  // C = alpha · A · b + beta · C for a single column b (C column-major); A is handed to gemv as
  // it is stored, so a row-major A is the transposed product of its column-major storage.
  void matvec(double alpha, MatrixView<const T> A, MatrixView<const T> b, double beta,
              MatrixView<T> C) {
    const bool col = A.is_col_major();
    blas::gemv(op_of(A.layout()), col ? A.rows() : A.cols(), col ? A.cols() : A.rows(),
               static_cast<T>(alpha), A.data(), A.ld(), b.data(), b.is_col_major() ? 1 : b.ld(),
               static_cast<T>(beta), C.data(), 1);
  }

  void gram(double alpha, MatrixView<const T> X, double beta, MatrixView<T> G) override {
    require(G.is_col_major() && G.rows() == X.cols() && G.cols() == X.cols(), who,
            "gram: G must be a column-major n x n matrix for an m x n X");
    if (G.empty()) return;
    // XᵀX from a column-major X is SYRK 'T'; a row-major X stores Xᵀ, whose XXᵀ is SYRK 'N'.
    const blas::Op trans = X.is_col_major() ? blas::Op::trans : blas::Op::no_trans;
    blas::syrk(blas::Uplo::lower, trans, G.rows(), X.rows(), static_cast<T>(alpha), X.data(),
               X.ld(), static_cast<T>(beta), G.data(), G.ld());
    mirror_lower(G);
  }

  // D = c·S² + b·S + a·I as one SYRK into D's lower triangle and one tiled pass that adds the
  // rest and mirrors it (the default's SYRK, mirror, add and diagonal are four passes; the
  // results are the same bit for bit: the same operations in the same order on each entry).
  void polynomial_batched(std::span<const Quintic> q, Views<const T> S, Views<T> D) override {
    for (std::size_t k = 0; k < D.size(); ++k) {
      const MatrixView<const T>& s = S[k];
      const MatrixView<T>& d = D[k];
      const index_t n = d.rows();
      if (q[k].c == 0.0 || !s.is_col_major() || !d.is_col_major() || s.rows() != n ||
          s.cols() != n || d.cols() != n) {
        ProductBackend<T>::polynomial_batched(q.subspan(k, 1), S.subspan(k, 1), D.subspan(k, 1));
        continue;
      }
      if (n == 0) continue;
      blas::syrk(blas::Uplo::lower, blas::Op::trans, n, n, static_cast<T>(q[k].c), s.data(),
                 s.ld(), T(0), d.data(), d.ld());
      const T b = static_cast<T>(q[k].b);
      const T a = static_cast<T>(q[k].a);
      const T* const sp = s.data();
      T* const dp = d.data();
      const index_t ls = s.ld();
      const index_t ld = d.ld();
      for_each_lower_tiled(n, ld, true, [=](index_t i, index_t j, index_t l, index_t u) {
        T v = b * sp[i + j * ls] + T(1) * dp[l];
        if (i == j) v += a;
        dp[l] = v;
        dp[u] = v;
      });
    }
  }

  void add(double alpha, MatrixView<const T> A, double beta, MatrixView<T> C) override {
    require(A.rows() == C.rows() && A.cols() == C.cols(), who, "add: shape mismatch");
    const T a = static_cast<T>(alpha);
    const T b = static_cast<T>(beta);
    for_each_parallel(C, [&](index_t i, index_t j) {
      C(i, j) = beta == 0.0 ? a * A(i, j) : a * A(i, j) + b * C(i, j);
    });
  }

  void add_diagonal(double gamma, MatrixView<T> C) override {
    const index_t k = std::min(C.rows(), C.cols());
    for (index_t i = 0; i < k; ++i) C(i, i) += static_cast<T>(gamma);
  }

  void zero_strict_lower(MatrixView<T> A) override {
    for (index_t j = 0; j < A.cols(); ++j) {
      for (index_t i = j + 1; i < A.rows(); ++i) A(i, j) = T(0);
    }
  }

  void symmetrize(MatrixView<T> C) override {
    require(C.rows() == C.cols(), who, "symmetrize: matrix is not square");
    for (index_t j = 0; j < C.cols(); ++j) {
      for (index_t i = j + 1; i < C.rows(); ++i) {
        const T s = (C(i, j) + C(j, i)) / T(2);
        C(i, j) = s;
        C(j, i) = s;
      }
    }
  }

  void scale_columns(std::span<const double> d, MatrixView<T> A) override {
    require(static_cast<index_t>(d.size()) == A.cols(), who, "scale_columns: size mismatch");
    for_each(A, [&](index_t i, index_t j) {
      A(i, j) *= static_cast<T>(d[static_cast<std::size_t>(j)]);
    });
  }

  double max_abs(MatrixView<const T> A) override {
    double m = 0.0;
    for_each(A, [&](index_t i, index_t j) { m = std::max(m, static_cast<double>(std::abs(A(i, j)))); });
    return m;
  }

  double norm_fro(MatrixView<const T> A) override {
    if (A.is_col_major() && !A.empty()) {
      const double sum = sum_over_columns(A.rows(), A.cols(), [&](index_t j) {
        return column_sum_squares(&A(0, j), A.rows());
      });
      if (plain_sum_is_safe(sum)) return std::sqrt(sum);
    }
    return norm2_of(A, [&](index_t i, index_t j) { return static_cast<double>(A(i, j)); });
  }

  double norm_fro_minus_identity(MatrixView<const T> G) override {
    if (G.is_col_major() && !G.empty()) {
      // The diagonal entry apart, as (g − 1)²: G ≈ I, so adding g² and taking 1 off later
      // would cancel away every digit of the result.
      const index_t n = G.rows();
      const double sum = sum_over_columns(n, G.cols(), [&](index_t j) {
        if (j >= n) return column_sum_squares(&G(0, j), n);
        const double g = static_cast<double>(G(j, j)) - 1.0;
        return column_sum_squares(&G(0, j), j) + g * g + column_sum_squares(&G(j + 1, j), n - j - 1);
      });
      if (plain_sum_is_safe(sum)) return std::sqrt(sum);
    }
    return norm2_of(G, [&](index_t i, index_t j) {
      return static_cast<double>(G(i, j)) - (i == j ? 1.0 : 0.0);
    });
  }

  double dot(MatrixView<const T> A, MatrixView<const T> B) override {
    require(A.rows() == B.rows() && A.cols() == B.cols(), who, "dot: shape mismatch");
    double s = 0.0;
    for_each(A, [&](index_t i, index_t j) {
      s += static_cast<double>(A(i, j)) * static_cast<double>(B(i, j));
    });
    return s;
  }

  double trace(MatrixView<const T> A) override {
    double s = 0.0;
    const index_t k = std::min(A.rows(), A.cols());
    for (index_t i = 0; i < k; ++i) s += static_cast<double>(A(i, i));
    return s;
  }

  bool all_finite(MatrixView<const T> A) override {
    bool finite = true;
    for_each(A, [&](index_t i, index_t j) { finite = finite && std::isfinite(A(i, j)); });
    return finite;
  }

  double norm_fro_difference(MatrixView<const T> A, MatrixView<const T> B) override {
    require(A.rows() == B.rows() && A.cols() == B.cols(), who,
            "norm_fro_difference: shape mismatch");
    return norm2_of(A, [&](index_t i, index_t j) {
      return static_cast<double>(A(i, j)) - static_cast<double>(B(i, j));
    });
  }

  // geqrt (compact-WY blocks, recursive panel) instead of geqrf, whose Level-2 panel ran at
  // 10-13 GFLOP/s against geqrt's 50 on 2 cores (n = 2048): the same reflectors, and each τ is
  // the diagonal entry of its block's triangular factor T.
  void qr(MatrixView<T> A, MatrixView<T> tau) override {
    require(A.is_col_major() && tau.rows() >= std::min(A.rows(), A.cols()), who,
            "qr: needs a column-major A and room for min(m, n) reflectors");
    if (A.empty()) return;
    const index_t k = std::min(A.rows(), A.cols());
    const index_t nb = block_size(k);
    std::vector<T> t(static_cast<std::size_t>(nb * A.cols()));
    check_info(blas::geqrt(A.rows(), A.cols(), nb, A.data(), A.ld(), t.data(), nb), "geqrt");
    for (index_t i = 0; i < k; ++i) tau(i, 0) = t[static_cast<std::size_t>(i % nb + i * nb)];
  }

  // geqrt on the stack and gemqrt applying its Q to [I; 0]: the same Householder reflectors as
  // geqrf + orgqr, on compact-WY blocks. Measured at n = 2048 (f64, 2 cores): 1.4 s against
  // 5.6 s for geqrf + orgqr.
  void stack_identity_q(double rho, MatrixView<const T> X, MatrixView<T> work, MatrixView<T> t,
                        MatrixView<T> Q) override {
    const index_t m = X.rows();
    const index_t n = X.cols();
    require(work.is_col_major() && work.rows() == m + n && work.cols() == n &&
                t.is_col_major() && t.rows() == n && t.cols() == n && Q.is_col_major() &&
                Q.rows() == m + n && Q.cols() == n, who,
            "stack_identity_q: shape or layout mismatch");
    if (n == 0) return;
    copy(rho, X, work.block(0, 0, m, n));
    const MatrixView<T> identity = work.block(m, 0, n, n);
    copy(0.0, MatrixView<const T>(identity), identity);
    add_diagonal(1.0, identity);
    check_info(blas::geqrt(m + n, n, block_size(n), work.data(), work.ld(), t.data(), t.ld()),
               "geqrt");
    // Q = H₁⋯Hₙ·[I; 0] block by block from the last, as orgqr does: block b's reflectors are
    // zero above its first row c₀, and the columns of [I; 0] left of c₀ are zero from c₀ down,
    // so block b changes Q(c₀:, c₀:) only — half the flops of one gemqrt on all of [I; 0].
    copy(0.0, MatrixView<const T>(Q), Q);
    add_diagonal(1.0, Q);
    const index_t b = block_size(n);
    for (index_t c0 = (n - 1) / b * b; c0 >= 0; c0 -= b) {
      const index_t ib = std::min(b, n - c0);
      check_info(blas::gemqrt(m + n - c0, n - c0, ib, ib, &work(c0, c0), work.ld(), &t(0, c0),
                              t.ld(), &Q(c0, c0), Q.ld()),
                 "gemqrt");
    }
  }

  void form_q(MatrixView<T> A, MatrixView<const T> tau) override {
    require(A.is_col_major() && A.rows() >= A.cols(), who, "form_q: needs a tall column-major A");
    if (A.empty()) return;
    check_info(blas::orgqr(A.rows(), A.cols(), A.cols(), A.data(), A.ld(), tau.data()), "orgqr");
  }

  bool cholesky(MatrixView<T> A) override {
    require(A.is_col_major() && A.rows() == A.cols(), who,
            "cholesky: needs a square column-major A");
    const int info = blas::potrf(blas::Uplo::upper, A.rows(), A.data(), A.ld());
    if (info < 0) check_info(info, "potrf");
    return info == 0;
  }

  void invert_upper(MatrixView<const T> R, MatrixView<T> Rinv) override {
    require(R.is_col_major() && Rinv.is_col_major() && R.rows() == R.cols() &&
                Rinv.rows() == R.rows() && Rinv.cols() == R.cols(), who,
            "invert_upper: shape or layout mismatch");
    if (R.empty()) return;
    copy(1.0, R, Rinv);
    zero_strict_lower(Rinv);
    check_info(blas::trtri(blas::Uplo::upper, R.rows(), Rinv.data(), Rinv.ld()), "trtri");
  }

  void solve_upper_right(MatrixView<const T> R, bool transpose, MatrixView<T> B) override {
    require(R.is_col_major() && B.is_col_major() && R.rows() == R.cols() && B.cols() == R.rows(),
            who, "solve_upper_right: shape or layout mismatch");
    if (B.empty()) return;
    if (B.rows() == 1) {  // a row b: b·R⁻¹ = (R⁻ᵀbᵀ)ᵀ by trsv (the Lanczos solves of ℓ's estimate)
      blas::trsv(blas::Uplo::upper, transpose ? blas::Op::no_trans : blas::Op::trans,
                 blas::Diag::non_unit, R.rows(), R.data(), R.ld(), B.data(), B.ld());
      return;
    }
    blas::trsm(blas::Side::right, blas::Uplo::upper,
               transpose ? blas::Op::trans : blas::Op::no_trans, blas::Diag::non_unit, B.rows(),
               B.cols(), T(1), R.data(), R.ld(), B.data(), B.ld());
  }

  InverseNorms inverse_norms_upper(MatrixView<const T> R) override {
    require(R.is_col_major() && R.rows() == R.cols(), who, "inverse_norms_upper: needs a square R");
    constexpr double singular = std::numeric_limits<double>::infinity();
    for (index_t i = 0; i < R.rows(); ++i) {
      if (R(i, i) == T(0)) return {singular, singular};
    }
    const auto estimate = [&](blas::Norm which) {
      const double norm = blas::lantr(which, blas::Uplo::upper, R.rows(), R.data(), R.ld());
      T rcond{};
      check_info(blas::trcon(which, blas::Uplo::upper, R.rows(), R.data(), R.ld(), rcond), "trcon");
      return rcond > T(0) ? 1.0 / (static_cast<double>(rcond) * norm) : singular;
    };
    return {estimate(blas::Norm::one), estimate(blas::Norm::inf)};
  }

  bool invert(MatrixView<T> A) override {
    require(A.is_col_major() && A.rows() == A.cols(), who, "invert: needs a square column-major A");
    const int info = blas::invert_lu(A.rows(), A.data(), A.ld());
    if (info < 0) check_info(info, "getrf/getri");
    return info == 0;
  }

  std::vector<double> svd(MatrixView<const T> A, MatrixView<T> W, MatrixView<T> Vt) override {
    require(W.is_col_major() && W.rows() == A.rows() && W.cols() == A.cols() &&
                Vt.is_col_major() && Vt.rows() == A.cols() && Vt.cols() == A.cols(), who,
            "svd: needs an m x n W and an n x n Vt, column-major");
    return lapack_svd(A, W.data(), W.ld(), Vt.data(), Vt.ld());
  }

  std::vector<double> singular_values(MatrixView<const T> A) override {
    return lapack_svd(A, nullptr, 1, nullptr, 1);
  }

 private:
  // gesdd, and gesvd where divide and conquer fails; null W and Vt: the singular values only.
  std::vector<double> lapack_svd(MatrixView<const T> A, T* W, index_t ldw, T* Vt, index_t ldvt) {
    const index_t m = A.rows();
    const index_t n = A.cols();
    require(m >= n, who, "svd: needs a tall A");
    std::vector<T> s(static_cast<std::size_t>(n));
    Matrix<T> work(m, n);
    const auto run = [&](auto driver) {
      copy(1.0, A, work.view());
      return driver(m, n, work.data(), work.ld(), s.data(), W, ldw, Vt, ldvt);
    };
    int info = run([](auto... args) { return blas::gesdd(args...); });
    if (info > 0) {  // divide and conquer failed to converge: QR iteration is slower but sturdier
      info = run([](auto... args) { return blas::gesvd(args...); });
    }
    if (info != 0) {
      throw Error(ErrorCode::backend_failure,
                  "LAPACK SVD (gesdd, then gesvd) failed with info = " + std::to_string(info));
    }
    return {s.begin(), s.end()};
  }

 public:
  // ---- OptimKernels<T> ------------------------------------------------------------------------

  std::vector<double> column_norms(MatrixView<const T> A) override {
    std::vector<double> norms(static_cast<std::size_t>(A.cols()), 0.0);
    for (index_t j = 0; j < A.cols(); ++j) norms[static_cast<std::size_t>(j)] = norm_fro(A.col(j));
    return norms;
  }

  void sign(double alpha, MatrixView<const T> src, MatrixView<T> dst) override {
    require(src.rows() == dst.rows() && src.cols() == dst.cols(), who, "sign: shape mismatch");
    const T a = static_cast<T>(alpha);
    for_each(dst, [&](index_t i, index_t j) {
      const T v = src(i, j);
      dst(i, j) = v > T(0) ? a : v < T(0) ? -a : T(0);
    });
  }

  std::vector<double> symmetric_eigen(MatrixView<const T> A, MatrixView<T> V) override {
    const index_t n = A.rows();
    require(A.cols() == n && V.is_col_major() && V.rows() == n && V.cols() == n, who,
            "symmetric_eigen: needs a square A and a column-major V of its size");
    if (n == 0) return {};
    std::vector<T> w(static_cast<std::size_t>(n));
    const auto run = [&](auto driver) {
      copy(1.0, A, V);
      return driver(blas::Job::vec, blas::Uplo::lower, n, V.data(), V.ld(), w.data());
    };
    int info = run([](auto... args) { return blas::syevd(args...); });
    if (info > 0) {  // divide and conquer failed to converge: QR iteration is slower but sturdier
      info = run([](auto... args) { return blas::syev(args...); });
    }
    if (info != 0) {
      throw Error(ErrorCode::backend_failure,
                  "LAPACK symmetric eigensolver (syevd, then syev) failed with info = " +
                      std::to_string(info));
    }
    return {w.begin(), w.end()};
  }

 private:
  // The compact-WY block size: 128 was fastest for geqrt (and within 10% for gemqrt) at n = 512-2048
  // (f64, 2 cores; 64 within 15%, 32 up to 1.5x slower); never more than the columns.
  static index_t block_size(index_t k) { return std::min<index_t>(k, 128); }

  static void check_info(int info, const char* routine) {
    if (info != 0) {
      throw Error(ErrorCode::backend_failure,
                  std::string("LAPACK ") + routine + " failed with info = " + std::to_string(info));
    }
  }

  // Calls f(i, j, l, u) for every (i, j) of the lower triangle of a column-major n × n matrix
  // (the diagonal too if with_diagonal), with l and u the offsets of (i, j) and (j, i), in tiles
  // of 8 rows × 128 columns. The mirror entries (j, i) of a tile lie in 8 rows ld apart: with a
  // power-of-two ld they share one L1 set, so only as many rows as the cache's 8 ways may be in
  // flight (measured, float, n = 1024: 0.22 ms against 4.2 ms for 64 × 64 tiles, 3.7 ms of an
  // 11 ms Gram step; n = 2048: 1.6 against 15.5 ms).
  template <class F>
  static void for_each_lower_tiled(index_t n, index_t ld, bool with_diagonal, F&& f) {
    constexpr index_t tile_cols = 128;
    constexpr index_t tile_rows = 8;
    // Column tiles write disjoint entries (their own columns below the diagonal, their own rows
    // above it), so they are spread over cores.
    const index_t tiles = (n + tile_cols - 1) / tile_cols;
    cpu::for_block_ranges(tiles, n * (n + 1) / 2, true, [&](index_t t0, index_t t1) {
      for (index_t jb = t0 * tile_cols; jb < std::min(t1 * tile_cols, n); jb += tile_cols) {
        const index_t je = std::min(jb + tile_cols, n);
        for (index_t ib = jb; ib < n; ib += tile_rows) {
          const index_t ie = std::min(ib + tile_rows, n);
          for (index_t j = jb; j < je; ++j) {
            for (index_t i = std::max(ib, with_diagonal ? j : j + 1); i < ie; ++i) {
              f(i, j, i + j * ld, j + i * ld);
            }
          }
        }
      }
    });
  }

  static void mirror_lower(MatrixView<T> G) {
    T* const g = G.data();
    for_each_lower_tiled(G.rows(), G.ld(), false,
                         [g](index_t, index_t, index_t l, index_t u) { g[u] = g[l]; });
  }
};

template <class T>
CpuBackend<T>& the_cpu_backend() {
  static CpuBackend<T> backend;
  return backend;
}

}  // namespace

template <class T>
Backend<T>& cpu_backend() {
  return the_cpu_backend<T>();
}

template Backend<float>& cpu_backend<float>();
template Backend<double>& cpu_backend<double>();

}  // namespace polarkit::detail

namespace polarkit::optim::detail {

template <class T>
OptimKernels<T>& cpu_optim_kernels() {
  return polarkit::detail::the_cpu_backend<T>();
}

template OptimKernels<float>& cpu_optim_kernels<float>();
template OptimKernels<double>& cpu_optim_kernels<double>();

}  // namespace polarkit::optim::detail
