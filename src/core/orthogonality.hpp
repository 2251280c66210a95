// e_j = ‖XᵀX − I‖ of an iterate from its Gram matrix: the Frobenius norm (a guaranteed bound)
// and a Lanczos estimate of the 2-norm, which also yields σ_min and σ_max estimates.
#pragma once

#include "core/lanczos.hpp"
#include "core/schedule.hpp"
#include "polarkit/info.hpp"

namespace polarkit::detail {

template <class T>
class OrthogonalityMeter {
 public:
  OrthogonalityMeter(Ops<T>& ops, index_t n) : ops_(ops), gram_(ops.allocate(n, n)), lanczos_(ops, n) {}

  /// Forms G = XᵀX (kept in gram()) and measures it.
  GramSpectrum measure(MatrixView<const T> X) {
    ops_.gram(1.0, X, 0.0, gram_.view());
    const MatrixView<const T> G = std::as_const(gram_).view();
    const Extremes ext = lanczos_.extremes([&](MatrixView<const T> x, MatrixView<T> y) {
      ops_.gemm(1.0, G, x, 0.0, y);
    });
    const double e_fro = ops_.backend().norm_fro_minus_identity(G);
    const double floor = static_cast<double>(G.rows()) * unit_roundoff * ext.max;
    return {e_fro, std::max(ext.max - 1.0, 1.0 - ext.min), ext.min, ext.max, floor, unit_roundoff};
  }

  /// Appends a measurement to the report and makes it the final one.
  static void record(const GramSpectrum& s, PolarInfo& info) {
    info.ortho_error_history.push_back(s.e_fro);
    info.ortho_error_2_history.push_back(s.e_two);
    info.ortho_error_fro = s.e_fro;
    info.ortho_error = s.e_two;
  }

  [[nodiscard]] const Matrix<T>& gram() const noexcept { return gram_; }

 private:
  static constexpr double unit_roundoff = std::numeric_limits<T>::epsilon() / 2;

  Ops<T>& ops_;
  Matrix<T> gram_;
  Lanczos<T> lanczos_;
};

}  // namespace polarkit::detail
