// e_j = ‖XᵀX − I‖ of an iterate from its Gram matrix: the Frobenius norm (a guaranteed bound)
// and a Lanczos estimate of the 2-norm, which also yields σ_min and σ_max estimates.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "core/linalg/lanczos.hpp"
#include "core/design/schedule.hpp"
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

/// The ‖UᵀU − I‖_F a result must meet to count as converged: tol where the caller set one, else
/// 100× the rounding floor (4× where products accumulate wider than they store).
inline double acceptance_level(index_t n, Rounding r, double tol) {
  if (tol > 0.0) return tol;
  return (r.wide_accumulation ? 4.0 : 100.0) * gram_rounding_floor(n, r);
}

/// κ(X) from the Lanczos extremes of XᵀX, √(λ_max/λ_min): Lanczos approaches λ_min from above,
/// and below G's rounding floor its value is noise (often ≤ 0 in the 16-bit formats), so the
/// floor stands in — a lower estimate of κ either way.
inline double kappa_estimate(const GramSpectrum& s) {
  return std::sqrt(s.lambda_max / std::max(s.lambda_min, s.lambda_floor));
}

/// Measures the iterates of a batch (one Gram matrix and one Lanczos run per item; a batch of
/// one for the single-matrix solvers).
template <class T, class Be = Backend<T>>
class OrthogonalityMeter {
 public:
  OrthogonalityMeter(Ops<T, Be>& ops, index_t n, std::size_t batch = 1)
      : ops_(ops), lanczos_(ops, n, batch) {
    for (std::size_t i = 0; i < batch; ++i) gram_.push_back(ops.allocate(n, n));
  }

  /// Forms G = XᵀX (kept in gram()) and measures it; without two_norm, only ‖G − I‖_F.
  GramSpectrum measure(MatrixView<const T> X, bool two_norm = true) {
    const std::size_t first = 0;
    return measure_batched(Items(&first, 1), Views<const T>(&X, 1), two_norm)[0];
  }

  /// Forms G[i] = X[k]ᵀX[k] (kept in gram(i)) for every i = items[k] and measures them. Without
  /// two_norm, only ‖G − I‖_F: the Lanczos estimates (e_two, λ_min, λ_max) are NaN.
  std::vector<GramSpectrum> measure_batched(Items items, Views<const T> X, bool two_norm = true) {
    std::vector<MatrixView<T>> G;
    for (const std::size_t i : items) G.push_back(gram_[i].view());
    const std::vector<MatrixView<const T>> cG = const_views(G);
    std::vector<double> e_fro;
    {
      const typename Ops<T, Be>::Phase phase(ops_, "gram");
      ops_.gram_batched(items, X, G);
      e_fro = ops_.backend().norm_fro_minus_identity_batched(cG);
    }
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<Extremes> ext =
        two_norm ? extremes(items) : std::vector<Extremes>(items.size(), Extremes{nan, nan});
    std::vector<GramSpectrum> s;
    for (std::size_t k = 0; k < items.size(); ++k) s.push_back(spectrum(e_fro[k], ext[k]));
    return s;
  }

  /// Measures a Gram matrix formed before this meter existed (auto's measurement of X₀, handed
  /// to the solver it chose): G becomes gram(), as if measure() had formed it.
  GramSpectrum adopt(Matrix<T>&& G, bool two_norm = true) {
    double e_fro = 0.0;
    {
      const typename Ops<T, Be>::Phase phase(ops_, "gram");
      gram_.at(0) = std::move(G);
      e_fro = ops_.backend().norm_fro_minus_identity(std::as_const(gram_[0]).view());
    }
    const std::size_t first = 0;
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    return spectrum(e_fro, two_norm ? extremes(Items(&first, 1))[0] : Extremes{nan, nan});
  }

  /// Completes a measurement made without two_norm (single item) with the Lanczos estimates of
  /// the Gram matrix formed then: for a solver that learns only from ‖G − I‖_F whether this
  /// iterate is its last, and spends the 2-norm estimate on the last one alone.
  GramSpectrum add_two_norm(const GramSpectrum& s) {
    const std::size_t first = 0;
    return spectrum(s.e_fro, extremes(Items(&first, 1))[0]);
  }

  /// The last G of an item, for a step that may overwrite it: measure() forms it anew.
  [[nodiscard]] Matrix<T>& gram(std::size_t item = 0) { return gram_.at(item); }

 private:
  GramSpectrum spectrum(double e_fro, const Extremes& e) const {
    const Rounding r = ops_.rounding();
    const double floor = gram_rounding_floor(gram_.front().rows(), r);
    return {e_fro, std::max(e.max - 1.0, 1.0 - e.min), e.min, e.max, floor * e.max, r.unit_roundoff};
  }

  // Lanczos estimates of the extreme eigenvalues of the items' Gram matrices.
  std::vector<Extremes> extremes(Items items) {
    const typename Ops<T, Be>::Phase phase(ops_, "lanczos");
    std::vector<MatrixView<const T>> operators;  // by item, made once for the whole run
    for (const Matrix<T>& G : gram_) operators.push_back(G.view());
    std::vector<MatrixView<const T>> running;
    return lanczos_.extremes_batched(items, [&](Items ids, Views<const T> x, Views<T> y) {
      running.clear();
      for (const std::size_t i : ids) running.push_back(operators[i]);
      ops_.gemm_batched(ids, 1.0, running, x, 0.0, y);
    });
  }

  Ops<T, Be>& ops_;
  std::vector<Matrix<T>> gram_;
  Lanczos<T, Be> lanczos_;
};

}  // namespace polarkit::detail
