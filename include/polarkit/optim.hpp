// polarkit/optim.hpp — optimizer steps built on the polar factor: Muon, PolarGrad, Scion's LMOs
// and the spectral power map. Functional, like optax: the caller owns the parameters W, the
// gradient G (never modified, never aliased) and the momentum state M; a step updates W (and M)
// in place and reports what it did. Column-major or row-major views, float or double.
//
//   polarkit::optim::Config muon;                               // Muon with torch.optim.Muon defaults
//   polarkit::Matrix<float> M(rows, cols);                       // momentum state, zero at start
//   auto report = polarkit::optim::step(muon, W.view(), G.view(), M.view());
//
// Conventions (docs/optimizers.md):
//   Muon:      M ← βM + (1−β)G;  D = βM + (1−β)G (Nesterov) or M;  O = NS₅(D / max(‖D‖_F, eps))
//              W ← W·(1 − lr·wd) − lr·scale·O
//   PolarGrad: UH = polar(D) with D = M (momentum-first) or G (polar-first);
//              ν = tr(H) = ‖D‖_* (nu = nuclear) or ν = ⟨U, D⟩_F (nu = inner, any oracle);
//              momentum-first: W ← W·(1 − lr·wd) − lr·ν·U
//              polar-first:    M ← βM + (1−β)·ν·U;  W ← W·(1 − lr·wd) − lr·M
//   LMO steps: W ← W·(1 − lr·wd) − lr·lmo(D)  with D = M (momentum on) or G.
// Nesterov applies to every kind: D = βM + (1−β)G (Muon, LMOs, PolarGrad momentum-first), and
// for polar-first the step direction is βM + (1−β)·ν·U instead of M. With momentum = 0 and an
// empty M, D = G (both PolarGrad orders then coincide); a non-empty M is still updated.
#pragma once

#include <span>
#include <type_traits>
#include <vector>

#include "polarkit/info.hpp"
#include "polarkit/matrix.hpp"
#include "polarkit/options.hpp"

namespace polarkit::optim {

enum class Kind {
  muon,       ///< orthogonalised momentum (Jordan et al.; torch.optim.Muon)
  polargrad,  ///< polar-factor step scaled by ν (Lau, Long & Su 2025)
  colnorm,    ///< Scion ColNorm LMO: each column → √d_out·col/‖col‖
  rownorm,    ///< Scion RowNorm LMO: each row → row/(‖row‖·√d_in)
  sign,       ///< Scion Sign LMO: sign(D)/d_in
  spectral,   ///< Scion Spectral LMO: msign(D)·√(d_out/d_in)
};

/// Muon's learning-rate scale by shape (rows = d_out, cols = d_in).
enum class Scale {
  none,       ///< 1
  original,   ///< √max(1, rows/cols) (Keller Jordan's muon.py, torch adjust_lr "original")
  moonlight,  ///< 0.2·√max(rows, cols) (torch adjust_lr "match_rms_adamw")
  spectral,   ///< √(rows/cols) (modular-norm / Scion spectral convention)
};

enum class Nu {
  nuclear,  ///< ν = tr(H) = ‖D‖_*: exact for an exact oracle
  inner,    ///< ν = ⟨U, D⟩_F: what the PolarGrad reference computes; valid for any oracle
};

enum class MomentumOrder { momentum_first, polar_first };

/// Hyper-parameters. Defaults follow torch.optim.Muon for Muon (lr 1e-3, momentum 0.95,
/// Nesterov, weight decay 0.1, 5 Jordan steps, scale "original"). For PolarGrad use
/// Config::polargrad(): lr 0.02, momentum 0.95, QDWH oracle, ν = ⟨U, D⟩, no weight decay.
struct Config {
  Kind kind = Kind::muon;  ///< which step
  double lr = 1e-3;        ///< learning rate
  double momentum = 0.95;  ///< β; 0 disables momentum (M may then be empty)
  bool nesterov = true;  ///< see the conventions above
  double weight_decay = 0.1;  ///< decoupled, multiplied by the unadjusted lr
  Scale scale = Scale::original;  ///< Muon only (the Spectral LMO carries its own √(d_out/d_in))
  /// Muon only: the direction is normalised by max(‖D‖_F, eps) (torch.optim.Muon's eps), i.e.
  /// PolarOptions::scale_floor of the oracle; a gradient smaller than eps then gives a shorter
  /// step instead of a full one. Finite and ≥ 0; 0 turns the floor off.
  double eps = 1e-7;
  Nu nu = Nu::inner;  ///< PolarGrad: how ν is computed
  MomentumOrder order = MomentumOrder::momentum_first;  ///< PolarGrad: momentum before or after the polar step
  /// The polar oracle (method, steps, tol); muon uses Method::muon with 5 steps by default,
  /// with the 2-norm estimated only at X₀ and U (two_norm_each_iterate = false: nothing in a
  /// fixed Muon budget reads it in between). Its compute_h is ignored: H is formed only where
  /// ν = tr(H) needs it.
  PolarOptions oracle = muon_oracle();

  /// Muon's oracle: Method::muon, 5 steps, no H, the 2-norm estimated at X₀ and U only.
  static PolarOptions muon_oracle() {
    PolarOptions o;
    o.method = Method::muon;
    o.steps = 5;
    o.compute_h = false;
    o.two_norm_each_iterate = false;
    return o;
  }
  /// PolarGrad's defaults (see the Config comment).
  static Config polargrad() {
    Config c;
    c.kind = Kind::polargrad;
    c.lr = 0.02;
    c.nesterov = false;
    c.weight_decay = 0.0;
    c.scale = Scale::none;
    c.oracle = PolarOptions{};
    c.oracle.method = Method::qdwh;
    return c;
  }
};

/// What a step did.
struct StepReport {
  double nu = 1.0;           ///< ν used (PolarGrad); 1 for the other kinds
  double scale = 1.0;        ///< the shape scale applied (Muon, Spectral LMO)
  /// ‖W_new − W_old‖_F, weight decay included: the norm of the update Δ as computed, before
  /// W ← W + Δ, so it stays proportional to a tiny gradient even where Δ is below W's ulp.
  double update_norm = 0.0;
  PolarInfo oracle;  ///< the polar call's report (Muon, PolarGrad, Spectral); default otherwise
};

/// Throws Error(invalid_argument) for shape mismatches, W or M sharing memory with any other
/// operand (the rule of polar(); gradients may share with each other), a missing
/// momentum state when momentum > 0, or hyper-parameters out of range; Error(non_finite_input)
/// for NaN/Inf in G.
/// (T is deduced from W alone, so G may be passed as a mutable view or an owning matrix's view.)
template <class T>
StepReport step(const Config& config, MatrixView<T> W,
                MatrixView<const std::type_identity_t<T>> G, MatrixView<T> M);

/// The same step for many parameters of one shape (one parameter group): W[i], G[i], M[i].
template <class T>
std::vector<StepReport> step_batched(const Config& config, std::span<const MatrixView<T>> W,
                                     std::span<const MatrixView<const T>> G,
                                     std::span<const MatrixView<T>> M);

/// Muon's shape scale for a rows × cols update.
double shape_scale(Scale scale, index_t rows, index_t cols);

/// A convolution weight (out, in, kh, kw) seen as the (out, in·kh·kw) matrix Muon orthogonalises:
/// a row-major view of the contiguous PyTorch layout, no copy.
template <class T>
MatrixView<T> flatten_conv_weight(T* data, index_t out, index_t in, index_t kh, index_t kw);

/// lmo(D) of a Scion kind (colnorm, rownorm, sign, spectral) into out (same shape as D).
template <class T>
PolarInfo lmo(Kind kind, MatrixView<const std::type_identity_t<T>> D, MatrixView<T> out,
              const PolarOptions& oracle = {});

/// U·H^p (p ∈ [0, 1]) into out: spectrum homogenisation between the Muon direction (p = 0)
/// and the gradient (p = 1). p ∈ {0, 1/2, 1} need no eigendecomposition (H^{1/2} = (AᵀA)^{1/4}
/// is the H-factor of polar(R), H = RᵀR its Cholesky factorisation); other p use the
/// eigendecomposition of H, and so does p = 1/2 when H is numerically singular (rank-deficient
/// A). Eigenvalues of H below n·u·λ_max (rounding noise) count as 0. A wide A is handled as
/// (U·H^p of Aᵀ)ᵀ, so H is always the min(m, n)-sized factor. The returned info is that of
/// polar(A) (flops and products include the polar(R) call); for p = 1 (a copy) no polar runs.
template <class T>
PolarInfo spectral_power(MatrixView<const std::type_identity_t<T>> A, double p, MatrixView<T> out,
                         const PolarOptions& options = {});

}  // namespace polarkit::optim
