// Ops: a solver's handle on its backend that also counts the work done, so every PolarInfo
// reports flops and matrix products without each solver adding them up by hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/kernels/backend.hpp"
#include "core/kernels/phases.hpp"
#include "polarkit/info.hpp"

namespace polarkit::detail {

/// Flops of a Householder QR of an m × n matrix (geqrf); forming its explicit Q (orgqr) costs
/// the same.
inline double qr_flops(index_t m, index_t n) {
  const double dm = static_cast<double>(m);
  const double dn = static_cast<double>(n);
  return 2.0 * dm * dn * dn - 2.0 * dn * dn * dn / 3.0;
}

/// Indices of the items of a batch that a batched call works on (its views in the same order).
using Items = std::span<const std::size_t>;

/// Be: the backend interface the solver needs; the Newton–Schulz loop asks for ProductBackend<T>
/// only, so it runs in the 16-bit formats too. A batched solve counts the work of each item
/// apart (flops(i), products(i)); the single-matrix calls count for item 0.
template <class T, class Be = Backend<T>>
class Ops {
 public:
  explicit Ops(Be& backend, std::size_t items = 1)
      : backend_(backend), flops_(items, 0.0), products_(items, 0) {}
  Ops(const Ops&) = delete;
  Ops& operator=(const Ops&) = delete;

  /// A scope of work timed as one phase of the report (PolarInfo::phases): from construction to
  /// destruction, less the phases opened inside it. A device backend's queue is waited for at
  /// both ends, so the time is the work's, not its queueing's.
  class Phase {
   public:
    Phase(Ops& ops, std::string_view name) : ops_(ops) { ops_.open(name); }
    Phase(const Phase&) = delete;
    Phase& operator=(const Phase&) = delete;
    ~Phase() { ops_.close(); }

   private:
    Ops& ops_;
  };

  /// The phases timed so far (PolarInfo::phases).
  [[nodiscard]] const std::vector<PhaseTime>& phases() const noexcept { return clock_.phases(); }

  [[nodiscard]] Be& backend() const noexcept { return backend_; }
  [[nodiscard]] Rounding rounding() const { return backend_.rounding(); }
  [[nodiscard]] std::size_t items() const noexcept { return flops_.size(); }
  [[nodiscard]] double flops(std::size_t item = 0) const { return flops_.at(item); }
  /// GEMM/SYRK calls whose operands are matrices on both sides (matrix–vector products used by
  /// the Lanczos estimates are counted in flops only).
  [[nodiscard]] std::int64_t products(std::size_t item = 0) const { return products_.at(item); }

  Matrix<T> allocate(index_t rows, index_t cols) { return backend_.allocate(rows, cols); }

  void gemm(double alpha, MatrixView<const T> A, MatrixView<const T> B, double beta,
            MatrixView<T> C) {
    backend_.gemm(alpha, A, B, beta, C);
    count(0, gemm_flops(A, C), is_product(C));
  }

  void gram(double alpha, MatrixView<const T> X, double beta, MatrixView<T> G) {
    backend_.gram(alpha, X, beta, G);
    count(0, gram_flops(X, G), G.rows() > 1);
  }

  void gemm_batched(Items items, double alpha, Views<const T> A, Views<const T> B, double beta,
                    Views<T> C) {
    if (C.empty()) return;
    backend_.gemm_batched(alpha, A, B, beta, C);
    for (const std::size_t i : items) count(i, gemm_flops(A[0], C[0]), is_product(C[0]));
  }

  void gram_batched(Items items, Views<const T> X, Views<T> G) {
    if (G.empty()) return;
    backend_.gram_batched(X, G);
    for (const std::size_t i : items) count(i, gram_flops(X[0], G[0]), G[0].rows() > 1);
  }

  /// D[k] = c·S[k]² + b·S[k] + a·I for (a, b, c) = q[k] (ProductBackend::polynomial_batched).
  void polynomial_batched(Items items, std::span<const Quintic> q, Views<const T> S, Views<T> D) {
    if (D.empty()) return;
    backend_.polynomial_batched(q, S, D);
    for (std::size_t k = 0; k < items.size(); ++k) {
      if (q[k].c != 0.0) count(items[k], gram_flops(S[0], D[0]), D[0].rows() > 1);
    }
  }

  // The factorisations, solves and inverses of the single-matrix solvers (Backend<T> only),
  // each counted here with its classical flop count (Golub & Van Loan) for item 0, so that no
  // solver adds flops by hand. The O(mn) passes go to backend() directly: they count no flops.

  /// Householder QR in place (Backend::qr): qr_flops(m, n).
  void qr(MatrixView<T> A, MatrixView<T> tau) {
    backend_.qr(A, tau);
    flops_[0] += qr_flops(A.rows(), A.cols());
  }

  /// The explicit Q of a qr() (Backend::form_q): as many flops again.
  void form_q(MatrixView<T> A, MatrixView<const T> tau) {
    backend_.form_q(A, tau);
    flops_[0] += qr_flops(A.rows(), A.cols());
  }

  /// The Q of [ρX; I] (Backend::stack_identity_q): its QR and explicit Q.
  void stack_identity_q(double rho, MatrixView<const T> X, MatrixView<T> work, MatrixView<T> t,
                        MatrixView<T> Q) {
    backend_.stack_identity_q(rho, X, work, t, Q);
    flops_[0] += 2.0 * qr_flops(X.rows() + X.cols(), X.cols());
  }

  /// Cholesky in place (Backend::cholesky): n³/3, counted whether or not A proves positive
  /// definite (a failure is found late as often as early).
  bool cholesky(MatrixView<T> A) {
    flops_[0] += cube(A.rows()) / 3.0;
    return backend_.cholesky(A);
  }

  /// B ← B·R⁻¹ or B·R⁻ᵀ (Backend::solve_upper_right): m·n² for an m × n B.
  void solve_upper_right(MatrixView<const T> R, bool transpose, MatrixView<T> B) {
    backend_.solve_upper_right(R, transpose, B);
    flops_[0] += d(B.rows()) * d(B.cols()) * d(B.cols());
  }

  /// Rinv ← R⁻¹ (Backend::invert_upper): n³/3.
  void invert_upper(MatrixView<const T> R, MatrixView<T> Rinv) {
    backend_.invert_upper(R, Rinv);
    flops_[0] += cube(R.rows()) / 3.0;
  }

  /// A ← A⁻¹ by LU (Backend::invert): 2n³, counted where A is not exactly singular.
  bool invert(MatrixView<T> A) {
    if (!backend_.invert(A)) return false;
    flops_[0] += 2.0 * cube(A.rows());
    return true;
  }

  /// Thin SVD (Backend::svd): the R-SVD's 6mn² + 20n³.
  std::vector<double> svd(MatrixView<const T> A, MatrixView<T> W, MatrixView<T> Vt) {
    std::vector<double> sigma = backend_.svd(A, W, Vt);
    flops_[0] += 6.0 * d(A.rows()) * d(A.cols()) * d(A.cols()) + 20.0 * cube(A.cols());
    return sigma;
  }

  /// The singular values alone (Backend::singular_values): the bidiagonalisation's 4mn² − 4n³/3.
  std::vector<double> singular_values(MatrixView<const T> A) {
    std::vector<double> sigma = backend_.singular_values(A);
    flops_[0] += 4.0 * d(A.rows()) * d(A.cols()) * d(A.cols()) - 4.0 * cube(A.cols()) / 3.0;
    return sigma;
  }

  /// The work another Ops counted for one of its items, as this one's item 0 (one matrix's
  /// share of a batched solve).
  template <class Other>
  void add_work(const Other& other, std::size_t item) {
    flops_[0] += other.flops(item);
    products_[0] += other.products(item);
    add_phases(other.phases());
  }

  /// Work done by another Ops (a phase of the solve in another precision), item by item.
  template <class Other>
  void add_work(const Other& other) {
    for (std::size_t i = 0; i < other.items(); ++i) {
      flops_.at(i) += other.flops(i);
      products_.at(i) += other.products(i);
    }
    add_phases(other.phases());
  }

  /// Phases timed elsewhere (another Ops of the same solve), merged by name.
  void add_phases(const std::vector<PhaseTime>& more) { clock_.merge(more); }

 private:
  static double d(index_t v) { return static_cast<double>(v); }
  static double cube(index_t v) { return d(v) * d(v) * d(v); }
  static double gemm_flops(MatrixView<const T> A, MatrixView<T> C) {
    return 2.0 * d(C.rows()) * d(C.cols()) * d(A.cols());
  }
  double gram_flops(MatrixView<const T> X, MatrixView<T> G) const {
    const double syrk = d(G.rows()) * d(G.rows()) * d(X.rows());
    return backend_.gram_by_gemm() ? 2.0 * syrk : syrk;
  }
  static bool is_product(MatrixView<T> C) { return C.rows() > 1 && C.cols() > 1; }
  void count(std::size_t item, double flops, bool is_product) {
    flops_[item] += flops;
    products_[item] += is_product ? 1 : 0;
  }

  double total_flops() const {
    double t = 0.0;
    for (const double f : flops_) t += f;
    return t;
  }
  void open(std::string_view name) {
    backend_.wait();
    clock_.open(name, total_flops());
  }
  void close() noexcept {
    try {
      backend_.wait();
    } catch (...) {  // a failed device wait surfaces at the next call that waits
    }
    clock_.close(total_flops());
  }

  Be& backend_;
  std::vector<double> flops_;
  std::vector<std::int64_t> products_;
  PhaseClock clock_;
};

}  // namespace polarkit::detail
