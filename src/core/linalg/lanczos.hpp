// Lanczos with full reorthogonalisation: estimates of the extreme eigenvalues of a symmetric
// operator from a few matrix–vector products. Ritz values lie inside the spectrum, so the
// estimates are λ_min from above and λ_max from below; with k = 40 steps they are typically
// within a few per cent of the spread.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "core/kernels/ops.hpp"
#include "core/linalg/tridiagonal.hpp"

namespace polarkit::detail {

/// One Lanczos run per item of a batch, in lockstep: each step is one batched product, one
/// batched dot and one batched norm for all the runs still going (a run stops on its own at an
/// invariant subspace), so a device reads back two vectors of scalars per step, not 2·batch.
template <class T, class Be = Backend<T>>
class Lanczos {
 public:
  static constexpr int default_steps = 40;

  Lanczos(Ops<T, Be>& ops, index_t n, std::size_t batch = 1, int steps = default_steps)
      : ops_(ops),
        breakdown_(breakdown_level(ops.rounding(), n)),
        n_(n),
        k_(static_cast<int>(std::min<index_t>(n, steps))),
        start_(ops.allocate(n, 1)) {
    for (std::size_t i = 0; i < batch; ++i) {
      basis_.push_back(ops.allocate(n, k_ + 1));
      w_.push_back(ops.allocate(n, 1));
      h_.push_back(ops.allocate(k_ + 1, 1));
    }
    // Made on the host and copied into the backend's memory once per Lanczos object, not once
    // per extremes() call: a host-to-device copy may synchronise.
    const Matrix<T> start = start_vector(n);
    ops.backend().copy(1.0, start.view(), start_.view());
  }

  /// Extreme eigenvalues of the symmetric operator y = apply(x) (x, y: n × 1 views).
  template <class Apply>
  Extremes extremes(Apply&& apply) {
    const std::size_t first = 0;
    return extremes_batched(Items(&first, 1),
                            [&](Items, Views<const T> x, Views<T> y) { apply(x[0], y[0]); })[0];
  }

  /// Extreme eigenvalues of the symmetric operators of the given items, where
  /// apply(items', x, y) sets y[k] = (operator of items'[k]) · x[k] (n × 1 views).
  template <class ApplyBatched>
  std::vector<Extremes> extremes_batched(Items items, ApplyBatched&& apply) {
    Be& be = ops_.backend();
    const std::size_t count = items.size();
    std::vector<std::vector<double>> diag(count);
    std::vector<std::vector<double>> off(count);
    std::vector<std::size_t> running(count);  // positions in items of the runs still going
    std::iota(running.begin(), running.end(), std::size_t{0});
    std::vector<MatrixView<T>> firsts;
    for (std::size_t k = 0; k < count; ++k) firsts.push_back(basis_[items[k]].view().col(0));
    be.copy_batched(std::vector<double>(count, 1.0),
                    std::vector<MatrixView<const T>>(count, std::as_const(start_).view()), firsts);
    for (int j = 0; j < k_ && !running.empty(); ++j) {
      std::vector<std::size_t> ids;  // the runs' items, and their views at this step
      std::vector<MatrixView<const T>> q, Qj, QjT;
      std::vector<MatrixView<T>> w, hj;
      for (const std::size_t k : running) {
        const std::size_t item = items[k];
        const MatrixView<T> basis = basis_[item].view();
        ids.push_back(item);
        q.push_back(basis.col(j));
        Qj.push_back(basis.block(0, 0, n_, j + 1));
        QjT.push_back(Qj.back().transposed());
        w.push_back(w_[item].view());
        hj.push_back(h_[item].view().block(0, 0, j + 1, 1));
      }
      const std::vector<MatrixView<const T>> cw = const_views(w);
      apply(Items(ids), Views<const T>(q), Views<T>(w));
      const std::vector<double> alpha = be.dot_batched(q, cw);
      // Two passes of classical Gram–Schmidt against every basis vector so far ("twice is
      // enough"): it removes the α and β terms of the three-term recurrence too.
      for (int pass = 0; pass < 2; ++pass) {
        ops_.gemm_batched(ids, 1.0, QjT, cw, 0.0, hj);
        ops_.gemm_batched(ids, -1.0, Qj, const_views(hj), 1.0, w);
      }
      const std::vector<double> beta = be.norm_fro_batched(cw);
      std::vector<std::size_t> going;
      std::vector<double> inverse;
      std::vector<MatrixView<const T>> from;
      std::vector<MatrixView<T>> next;
      for (std::size_t r = 0; r < running.size(); ++r) {
        const std::size_t k = running[r];
        diag[k].push_back(alpha[r]);
        const double size = std::max(std::abs(alpha[r]), off[k].empty() ? 0.0 : off[k].back());
        if (j + 1 == k_ || !(beta[r] > breakdown_ * size)) {
          continue;  // k steps done, or an invariant subspace: the Ritz values are exact
        }
        off[k].push_back(beta[r]);
        going.push_back(k);
        inverse.push_back(1.0 / beta[r]);
        from.push_back(cw[r]);
        next.push_back(basis_[items[k]].view().col(j + 1));
      }
      be.copy_batched(inverse, from, next);
      running = std::move(going);
    }
    std::vector<Extremes> result;
    for (std::size_t k = 0; k < count; ++k) result.push_back(tridiagonal_extremes(diag[k], off[k]));
    return result;
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
  Matrix<T> start_;  ///< the normalised start vector, in the backend's memory
  std::vector<Matrix<T>> basis_;  ///< per item: the Lanczos vectors, n × (k + 1)
  std::vector<Matrix<T>> w_;
  std::vector<Matrix<T>> h_;
};

}  // namespace polarkit::detail
