// Ops: a solver's handle on its backend that also counts the work done, so every PolarInfo
// reports flops and matrix products without each solver adding them up by hand.
#pragma once

#include "core/backend.hpp"

namespace polarkit::detail {

/// Flops of a Householder QR of an m × n matrix (geqrf); forming its explicit Q (orgqr) costs
/// the same.
inline double qr_flops(index_t m, index_t n) {
  const double dm = static_cast<double>(m);
  const double dn = static_cast<double>(n);
  return 2.0 * dm * dn * dn - 2.0 * dn * dn * dn / 3.0;
}

/// Be: the backend interface the solver needs; the Newton–Schulz loop asks for ProductBackend<T>
/// only, so it runs in the 16-bit formats too.
template <class T, class Be = Backend<T>>
class Ops {
 public:
  explicit Ops(Be& backend) : backend_(backend) {}

  [[nodiscard]] Be& backend() const noexcept { return backend_; }
  [[nodiscard]] Rounding rounding() const { return backend_.rounding(); }
  [[nodiscard]] double flops() const noexcept { return flops_; }
  /// GEMM/SYRK calls whose operands are matrices on both sides (matrix–vector products used by
  /// the Lanczos estimates are counted in flops only).
  [[nodiscard]] std::int64_t products() const noexcept { return products_; }

  Matrix<T> allocate(index_t rows, index_t cols) { return backend_.allocate(rows, cols); }

  void gemm(double alpha, MatrixView<const T> A, MatrixView<const T> B, double beta,
            MatrixView<T> C) {
    backend_.gemm(alpha, A, B, beta, C);
    count(2.0 * d(C.rows()) * d(C.cols()) * d(A.cols()), C.rows() > 1 && C.cols() > 1);
  }

  /// Work done inside a backend call that is not a product (an SVD, a factorisation).
  void add_flops(double flops) { flops_ += flops; }

  /// Work done by another Ops (a phase of the solve in another precision).
  template <class Other>
  void add_work(const Other& other) {
    flops_ += other.flops();
    products_ += other.products();
  }

  void gram(double alpha, MatrixView<const T> X, double beta, MatrixView<T> G) {
    backend_.gram(alpha, X, beta, G);
    const double syrk = d(G.rows()) * d(G.rows()) * d(X.rows());
    count(backend_.gram_by_gemm() ? 2.0 * syrk : syrk, G.rows() > 1);
  }

 private:
  static double d(index_t v) { return static_cast<double>(v); }
  void count(double flops, bool is_product) {
    flops_ += flops;
    products_ += is_product ? 1 : 0;
  }

  Be& backend_;
  double flops_ = 0.0;
  std::int64_t products_ = 0;
};

}  // namespace polarkit::detail
