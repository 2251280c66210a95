// Lanczos with full reorthogonalisation: estimates of the extreme eigenvalues of a symmetric
// operator from a few matrix–vector products. Ritz values lie inside the spectrum, so the
// estimates are λ_min from above and λ_max from below; with k = 40 steps they are typically
// within a few per cent of the spread.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "core/ops.hpp"
#include "core/tridiagonal.hpp"

namespace polarkit::detail {

template <class T, class Be = Backend<T>>
class Lanczos {
 public:
  static constexpr int default_steps = 40;

  Lanczos(Ops<T, Be>& ops, index_t n, int max_steps = default_steps)
      : ops_(ops),
        breakdown_(breakdown_level(ops.rounding(), n)),
        n_(n),
        k_(static_cast<int>(std::min<index_t>(n, max_steps))),
        basis_(ops.allocate(n, k_ + 1)),
        w_(ops.allocate(n, 1)),
        h_(ops.allocate(k_ + 1, 1)),
        start_(ops.allocate(n, 1)) {
    // Made on the host and copied into the backend's memory once per Lanczos object, not once
    // per extremes() call: a host-to-device copy may synchronise.
    const Matrix<T> start = start_vector(n);
    ops.backend().copy(1.0, start.view(), start_.view());
  }

  /// Extreme eigenvalues of the symmetric operator y = apply(x) (x, y: n × 1 views).
  template <class Apply>
  Extremes extremes(Apply&& apply) {
    Be& be = ops_.backend();
    const MatrixView<T> Q = basis_.view();
    const MatrixView<T> w = w_.view();
    be.copy(1.0, std::as_const(start_).view(), Q.col(0));
    std::vector<double> diag;
    std::vector<double> off;
    for (int j = 0; j < k_; ++j) {
      const MatrixView<T> q = Q.col(j);
      apply(MatrixView<const T>(q), w);
      diag.push_back(be.dot(q, w));
      // Two passes of classical Gram–Schmidt against every basis vector so far ("twice is
      // enough"): it removes the α and β terms of the three-term recurrence too.
      const MatrixView<T> Qj = Q.block(0, 0, n_, j + 1);
      const MatrixView<T> hj = h_.view().block(0, 0, j + 1, 1);
      for (int pass = 0; pass < 2; ++pass) {
        ops_.gemm(1.0, Qj.transposed(), w, 0.0, hj);
        ops_.gemm(-1.0, Qj, hj, 1.0, w);
      }
      const double beta = be.norm_fro(w);
      const double size = std::max(std::abs(diag.back()), off.empty() ? 0.0 : off.back());
      if (j + 1 == k_ || !(beta > breakdown_ * size)) {
        break;  // k steps done, or an invariant subspace: the Ritz values are exact
      }
      off.push_back(beta);
      be.copy(1.0 / beta, w, Q.col(j + 1));
    }
    return tridiagonal_extremes(diag, off);
  }

 private:
  // β below this times ‖Aq‖ is rounding noise: an invariant subspace has been found. Products that
  // round in the stored precision leave about n·u; products that accumulate wider (16-bit
  // storage) leave the rounding of w's own entries, a few u (n·u would be above 1 there, and stop
  // every run after one step).
  static double breakdown_level(Rounding r, index_t n) {
    return (r.wide_accumulation ? 4.0 : static_cast<double>(n)) * r.unit_roundoff;
  }

  // A fixed start vector with pseudo-random signs and magnitudes, normalised: deterministic
  // results, and no structured input (diagonal, alternating) is orthogonal to it.
  static Matrix<T> start_vector(index_t n) {
    Matrix<T> v(n, 1);
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;
    double norm2 = 0.0;
    for (index_t i = 0; i < n; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      const double r = static_cast<double>(state >> 11) / 9007199254740992.0;  // [0, 1)
      v(i, 0) = narrow<T>((r < 0.5 ? -1.0 : 1.0) * (0.5 + 2.0 * std::abs(r - 0.5)));
      norm2 += widen(v(i, 0)) * widen(v(i, 0));
    }
    for (index_t i = 0; i < n; ++i) v(i, 0) = narrow<T>(widen(v(i, 0)) / std::sqrt(norm2));
    return v;
  }

  Ops<T, Be>& ops_;
  double breakdown_;
  index_t n_;
  int k_;
  Matrix<T> basis_;
  Matrix<T> w_;
  Matrix<T> h_;
  Matrix<T> start_;  ///< the normalised start vector, in the backend's memory
};

}  // namespace polarkit::detail
