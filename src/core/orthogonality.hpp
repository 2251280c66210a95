// e_j = ‖XᵀX − I‖ of an iterate from its Gram matrix: the Frobenius norm (a guaranteed bound)
// and a Lanczos estimate of the 2-norm, which also yields σ_min and σ_max estimates.
#pragma once

#include "core/lanczos.hpp"
#include "core/schedule.hpp"
#include "polarkit/info.hpp"

namespace polarkit::detail {

/// ‖fl(XᵀX) − I‖_F to expect of an orthogonal n-column X, at most: about u per entry of G (n·u)
/// for small n; from n = 64 on, what the iterations reach is about 5·√n·u (measured for float,
/// n = 64..1024, with the X + X·D step form), so 8·√n·u. When the products accumulate in a wider
/// format than the stored operands (16-bit storage, TF32 inputs), only the rounding of X's own
/// entries shows: measured 0.5–1.6·√n·u, so 2·√n·u.
inline double gram_rounding_floor(index_t n, Rounding r) {
  const double dn = static_cast<double>(n);
  return (r.wide_accumulation ? 2.0 * std::sqrt(dn) : std::min(dn, 8.0 * std::sqrt(dn))) *
         r.unit_roundoff;
}

template <class T, class Be = Backend<T>>
class OrthogonalityMeter {
 public:
  OrthogonalityMeter(Ops<T, Be>& ops, index_t n)
      : ops_(ops), gram_(ops.allocate(n, n)), lanczos_(ops, n) {}

  /// Forms G = XᵀX (kept in gram()) and measures it.
  GramSpectrum measure(MatrixView<const T> X) {
    ops_.gram(1.0, X, 0.0, gram_.view());
    const MatrixView<const T> G = std::as_const(gram_).view();
    const Extremes ext = lanczos_.extremes([&](MatrixView<const T> x, MatrixView<T> y) {
      ops_.gemm(1.0, G, x, 0.0, y);
    });
    const double e_fro = ops_.backend().norm_fro_minus_identity(G);
    const Rounding r = ops_.rounding();
    const double floor = gram_rounding_floor(G.rows(), r) * ext.max;
    return {e_fro, std::max(ext.max - 1.0, 1.0 - ext.min), ext.min, ext.max, floor, r.unit_roundoff};
  }

  /// Appends a measurement to the report and makes it the final one.
  static void record(const GramSpectrum& s, PolarInfo& info) {
    info.ortho_error_history.push_back(s.e_fro);
    info.ortho_error_2_history.push_back(s.e_two);
    info.ortho_error_fro = s.e_fro;
    info.ortho_error = s.e_two;
  }

  [[nodiscard]] const Matrix<T>& gram() const noexcept { return gram_; }
  /// The last G, for a step that may overwrite it: measure() forms it anew.
  [[nodiscard]] Matrix<T>& gram() noexcept { return gram_; }

 private:
  Ops<T, Be>& ops_;
  Matrix<T> gram_;
  Lanczos<T, Be> lanczos_;
};

}  // namespace polarkit::detail
