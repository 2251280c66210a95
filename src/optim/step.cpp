// step() and step_batched(): Muon, PolarGrad and the LMO steps on caller-owned W, G and M.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/api/checks.hpp"
#include "optim/checks.hpp"
#include "optim/kernels.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/polar.hpp"

namespace polarkit::optim {
namespace {

using detail::Backend;
using polarkit::detail::invalid;

std::string number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", x);
  return buffer;
}

template <class E>
bool in_range(E value, E last) {
  const int v = static_cast<int>(value);
  return v >= 0 && v <= static_cast<int>(last);
}

void validate(const Config& c) {
  if (!(std::isfinite(c.lr) && c.lr >= 0.0)) {
    invalid("optim: lr must be finite and non-negative, got " + number(c.lr));
  }
  if (!(c.momentum >= 0.0 && c.momentum < 1.0)) {
    invalid("optim: momentum must be in [0, 1), got " + number(c.momentum));
  }
  if (!(std::isfinite(c.eps) && c.eps >= 0.0)) {
    invalid("optim: eps must be finite and non-negative, got " + number(c.eps));
  }
  if (!(std::isfinite(c.weight_decay) && c.weight_decay >= 0.0)) {
    invalid("optim: weight_decay must be finite and non-negative, got " + number(c.weight_decay));
  }
  if (!in_range(c.kind, Kind::spectral)) invalid("optim: unknown Kind value");
  if (!in_range(c.scale, Scale::spectral)) invalid("optim: unknown Scale value");
  if (!in_range(c.nu, Nu::inner)) invalid("optim: unknown Nu value");
  if (!in_range(c.order, MomentumOrder::polar_first)) invalid("optim: unknown MomentumOrder value");
}

template <class T>
void validate_operands(const Config& c, MatrixView<T> W, MatrixView<const T> G, MatrixView<T> M) {
  polarkit::detail::require_same_shape("step", W, "W", G, "G");
  if (M.empty()) {
    if (c.momentum > 0.0 && !W.empty()) {
      invalid("step: momentum " + number(c.momentum) + " > 0 needs a momentum state M of shape " +
              polarkit::detail::shape(W.rows(), W.cols()) + " (M may be empty only with momentum = 0)");
    }
  } else {
    polarkit::detail::require_same_shape("step", W, "W", M, "M");
  }
}

// The overlap rule of the entry points, for a step: parameters and momentum states are written,
// gradients only read (two gradients may share memory). Items are named by index in a batch.
template <class T, class State>
void require_disjoint(std::string_view who, std::span<const MatrixView<T>> W,
                      std::span<const MatrixView<const T>> G, State state) {
  std::vector<polarkit::detail::Operand> operands;
  for (std::size_t i = 0; i < W.size(); ++i) {
    const std::string index = W.size() == 1 ? "" : "[" + std::to_string(i) + "]";
    operands.push_back({polarkit::detail::extent(W[i]), true, "W" + index});
    operands.push_back({polarkit::detail::extent(state(i)), true, "M" + index});
    operands.push_back({polarkit::detail::extent(G[i]), false, "G" + index});
  }
  polarkit::detail::require_disjoint(who, std::move(operands));
}

// Δ = coeff·direction − lr·wd·W into delta (column-major; direction may be delta itself), its
// norm into the report, then W ← W + Δ. The norm is that of Δ as computed, so it stays exact
// (and proportional to the gradient) even when Δ is below the rounding unit of W.
template <class T>
void apply_update(Backend<T>& be, const Config& c, MatrixView<T> W, MatrixView<const T> direction,
                  double coeff, MatrixView<T> delta, StepReport& report) {
  be.copy(coeff, direction, delta);
  const double decay = c.lr * c.weight_decay;
  if (decay != 0.0) be.add(-decay, MatrixView<const T>(W), 1.0, delta);
  report.update_norm = be.norm_fro(MatrixView<const T>(delta));
  detail::add(be, 1.0, MatrixView<const T>(delta), 1.0, W);
}

// One parameter's step in three phases around its oracle call, so that a batch of parameters
// calls the polar oracle once for all of them (polar_batched).
template <class T>
struct Parameter {
  MatrixView<T> W;
  MatrixView<const T> G;
  MatrixView<T> M;
  Matrix<T> work;    ///< the oracle's output (U, O or lmo(D)), then overwritten by the update Δ
  Matrix<T> buffer;  ///< the Nesterov direction, when one is formed
  MatrixView<const T> D;  ///< the oracle's input
  StepReport report;

  [[nodiscard]] MatrixView<const T> out() const { return std::as_const(work).view(); }
};

[[nodiscard]] bool polar_first(const Config& c, bool has_state) {
  return c.kind == Kind::polargrad && c.order == MomentumOrder::polar_first && has_state;
}

// With a momentum state: M ← βM + (1−β)G, and D = βM + (1−β)G (Nesterov, formed in buffer) or
// D = M. Without one (momentum = 0): D = G. PolarGrad's polar-first order takes D = G and
// updates M after the oracle.
template <class T>
void prepare(Backend<T>& be, const Config& c, Parameter<T>& p) {
  p.work = be.allocate(p.W.rows(), p.W.cols());
  p.D = p.G;
  if (p.M.empty() || polar_first(c, true)) return;
  const double beta = c.momentum;
  detail::add(be, 1.0 - beta, p.G, beta, p.M);
  if (!c.nesterov) {
    p.D = p.M;
    return;
  }
  p.buffer = be.allocate(p.G.rows(), p.G.cols());
  be.copy(beta, MatrixView<const T>(p.M), p.buffer.view());
  be.add(1.0 - beta, p.G, 1.0, p.buffer.view());
  p.D = std::as_const(p.buffer).view();
}

// The polar oracle of every parameter in one batched call: U of D into work, and H (of the tall
// orientation of D: the small factor) where ν = tr(H) needs it. Muon's oracle never forms H.
template <class T>
void polar_oracle(Backend<T>& be, const Config& c, std::span<Parameter<T>> batch) {
  PolarOptions o = c.oracle;
  o.compute_h = c.kind == Kind::polargrad && c.nu == Nu::nuclear;
  // torch.optim.Muon's normalisation by max(‖D‖_F, eps); it shapes the Newton–Schulz family only.
  if (c.kind == Kind::muon && is_newton_schulz(o.method)) o.scale_floor = std::max(o.scale_floor, c.eps);
  const bool wide = batch[0].D.rows() < batch[0].D.cols();
  std::vector<MatrixView<const T>> D;
  std::vector<MatrixView<T>> U;
  std::vector<Matrix<T>> H;  // only tr(H) = info.nuclear_norm is kept
  std::vector<MatrixView<T>> H_views;
  for (Parameter<T>& p : batch) {
    D.push_back(wide ? p.D.transposed() : p.D);
    U.push_back(wide ? p.work.view().transposed() : p.work.view());
    if (o.compute_h) {
      const index_t k = std::min(p.D.rows(), p.D.cols());
      H_views.push_back(H.emplace_back(be.allocate(k, k)).view());
    }
  }
  std::vector<PolarInfo> infos = polar_batched<T>(D, U, H_views, o);
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].report.oracle = std::move(infos[i]);
}

template <class T>
void oracle(Backend<T>& be, const Config& c, std::span<Parameter<T>> batch) {
  if (c.kind == Kind::muon || c.kind == Kind::polargrad) {
    polar_oracle(be, c, batch);
    return;
  }
  for (Parameter<T>& p : batch) p.report.oracle = lmo<T>(c.kind, p.D, p.work.view(), c.oracle);
}

// PolarGrad from U = work: ν = tr(H) = ‖D‖_* or ⟨U, D⟩_F, then
// momentum-first (or no state): W ← W(1 − lr·wd) − lr·ν·U;
// polar-first: M ← βM + (1−β)·ν·U, W ← W(1 − lr·wd) − lr·D with D = M, or βM + (1−β)·ν·U
// with Nesterov.
template <class T>
void polargrad_update(Backend<T>& be, const Config& c, Parameter<T>& p) {
  StepReport& report = p.report;
  report.nu = c.nu == Nu::nuclear ? report.oracle.nuclear_norm : be.dot(p.out(), p.D);
  if (!polar_first(c, !p.M.empty())) {
    apply_update(be, c, p.W, p.out(), -c.lr * report.nu, p.work.view(), report);
    return;
  }
  const double beta = c.momentum;
  const double fresh = (1.0 - beta) * report.nu;
  detail::add(be, fresh, p.out(), beta, p.M);
  if (c.nesterov) {
    be.add(beta, MatrixView<const T>(p.M), fresh, p.work.view());
    apply_update(be, c, p.W, p.out(), -c.lr, p.work.view(), report);
  } else {
    apply_update(be, c, p.W, MatrixView<const T>(p.M), -c.lr, p.work.view(), report);
  }
}

template <class T>
void update(Backend<T>& be, const Config& c, Parameter<T>& p) {
  const index_t m = p.W.rows();
  const index_t n = p.W.cols();
  switch (c.kind) {
    case Kind::muon:
      p.report.scale = shape_scale(c.scale, m, n);
      apply_update(be, c, p.W, p.out(), -c.lr * p.report.scale, p.work.view(), p.report);
      break;
    case Kind::polargrad:
      polargrad_update(be, c, p);
      break;
    default:  // the LMO steps: W ← W(1 − lr·wd) − lr·lmo(D)
      if (c.kind == Kind::spectral) {
        p.report.scale = std::sqrt(static_cast<double>(m) / static_cast<double>(n));
      }
      apply_update(be, c, p.W, p.out(), -c.lr, p.work.view(), p.report);
  }
}

// The steps themselves, on operands already validated (step() and step_batched() check first),
// all parameters of one shape and memory space.
template <class T>
std::vector<StepReport> checked_steps(const Config& config, std::span<const MatrixView<T>> W,
                                      std::span<const MatrixView<const T>> G,
                                      std::span<const MatrixView<T>> M /* empty: none */) {
  if (W.empty() || W[0].empty()) return std::vector<StepReport>(W.size());
  Backend<T>& be = polarkit::detail::backend_for<T>(W[0].space());
  std::vector<Parameter<T>> batch(W.size());
  for (std::size_t i = 0; i < W.size(); ++i) {
    batch[i].W = W[i];
    batch[i].G = G[i];
    batch[i].M = M.empty() ? MatrixView<T>() : M[i];
    prepare(be, config, batch[i]);
  }
  oracle(be, config, std::span<Parameter<T>>(batch));
  std::vector<StepReport> reports;
  for (Parameter<T>& p : batch) {
    update(be, config, p);
    reports.push_back(std::move(p.report));
  }
  return reports;
}

}  // namespace

template <class T>
StepReport step(const Config& config, MatrixView<T> W, MatrixView<const std::type_identity_t<T>> G,
                MatrixView<T> M) {
  validate(config);
  validate_operands(config, W, G, M);
  require_disjoint("step", std::span<const MatrixView<T>>(&W, 1),
                   std::span<const MatrixView<const T>>(&G, 1), [&](std::size_t) { return M; });
  if (!polarkit::detail::backend_for<T>(W.space()).all_finite(G)) {
    throw Error(ErrorCode::non_finite_input, "step: the gradient G contains NaN or Inf");
  }
  return checked_steps<T>(config, std::span(&W, 1), std::span(&G, 1), std::span(&M, 1))[0];
}

namespace detail {

template <class T>
void validate_step_batch(std::string_view who, bool one_shape, const Config& config,
                         std::span<const MatrixView<T>> W, std::span<const MatrixView<const T>> G,
                         std::span<const MatrixView<T>> M,
                         const std::function<bool(std::size_t)>& holds_state) {
  validate(config);
  const std::string prefix = std::string(who) + ": ";
  const std::size_t count = W.size();
  if (G.size() != count) {
    invalid(prefix + std::to_string(G.size()) + " gradients for " + std::to_string(count) +
            " parameters");
  }
  if (!M.empty() && M.size() != count) {
    invalid(prefix + std::to_string(M.size()) + " momentum states for " + std::to_string(count) +
            " parameters (pass none only with momentum = 0)");
  }
  const auto held = [&](std::size_t i) { return !holds_state || holds_state(i); };
  // A state held elsewhere is an empty view here: the rules below then leave it out.
  const auto state = [&](std::size_t i) {
    return M.empty() || !held(i) ? MatrixView<T>() : M[i];
  };
  for (std::size_t i = 0; i < count; ++i) {
    if (one_shape &&
        (W[i].rows() != W[0].rows() || W[i].cols() != W[0].cols() || W[i].space() != W[0].space())) {
      invalid(prefix + "W[" + std::to_string(i) + "] is " +
              polarkit::detail::shape(W[i].rows(), W[i].cols()) + ", W[0] is " +
              polarkit::detail::shape(W[0].rows(), W[0].cols()) +
              "; a batch holds parameters of one shape and memory space");
    }
    try {
      if (held(i)) {
        validate_operands(config, W[i], G[i], state(i));
      } else {
        polarkit::detail::require_same_shape("step", W[i], "W", G[i], "G");
      }
    } catch (const Error& e) {
      if (one_shape) throw;  // step_batched's batch: the operands' words as step() says them
      throw Error(e.code(), prefix + "item " + std::to_string(i) + ": " + e.what());
    }
  }
  require_disjoint(who, W, G, state);
}

#define POLARKIT_INSTANTIATE(T)                                                              \
  template void validate_step_batch<T>(std::string_view, bool, const Config&,                \
                                       std::span<const MatrixView<T>>,                       \
                                       std::span<const MatrixView<const T>>,                 \
                                       std::span<const MatrixView<T>>,                       \
                                       const std::function<bool(std::size_t)>&);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace detail

template <class T>
std::vector<StepReport> step_batched(const Config& config, std::span<const MatrixView<T>> W,
                                     std::span<const MatrixView<const T>> G,
                                     std::span<const MatrixView<T>> M) {
  // Every check before the first update: a rejected batch leaves all parameters untouched.
  detail::validate_step_batch<T>("step_batched", true, config, W, G, M);
  const std::size_t count = W.size();
  for (std::size_t i = 0; i < count; ++i) {
    if (!polarkit::detail::backend_for<T>(G[i].space()).all_finite(G[i])) {
      throw Error(ErrorCode::non_finite_input,
                  "step_batched: the gradient G[" + std::to_string(i) + "] contains NaN or Inf");
    }
  }

  return checked_steps<T>(config, W, G, M);
}

#define POLARKIT_INSTANTIATE(T)                                                                   \
  template StepReport step<T>(const Config&, MatrixView<T>, MatrixView<const T>, MatrixView<T>);  \
  template std::vector<StepReport> step_batched<T>(const Config&, std::span<const MatrixView<T>>, \
                                                   std::span<const MatrixView<const T>>,          \
                                                   std::span<const MatrixView<T>>);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::optim
