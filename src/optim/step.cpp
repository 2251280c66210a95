// step() and step_batched(): Muon, PolarGrad and the LMO steps on caller-owned W, G and M.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "optim/checks.hpp"
#include "optim/kernels.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/polar.hpp"

namespace polarkit::optim {
namespace {

using detail::Backend;
using detail::invalid;

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
  detail::require_same_shape("step", W, "W", G, "G");
  if (M.empty()) {
    if (c.momentum > 0.0 && !W.empty()) {
      invalid("step: momentum " + number(c.momentum) + " > 0 needs a momentum state M of shape " +
              detail::shape(W.rows(), W.cols()) + " (M may be empty only with momentum = 0)");
    }
  } else {
    detail::require_same_shape("step", W, "W", M, "M");
  }
  if (detail::overlap(G, W)) invalid("step: G must not alias W (the gradient is read-only)");
  if (detail::overlap(G, M)) invalid("step: G must not alias M (the gradient is read-only)");
  if (detail::overlap(W, M)) invalid("step: M must not alias W");
}

// With a momentum state: M ← βM + (1−β)G, and D = βM + (1−β)G (Nesterov, formed in buffer) or
// D = M. Without one (momentum = 0): D = G.
template <class T>
MatrixView<const T> momentum_direction(Backend<T>& be, const Config& c, MatrixView<const T> G,
                                       MatrixView<T> M, Matrix<T>& buffer) {
  if (M.empty()) return G;
  const double beta = c.momentum;
  detail::add(be, 1.0 - beta, G, beta, M);
  if (!c.nesterov) return M;
  buffer = be.allocate(G.rows(), G.cols());
  be.copy(beta, MatrixView<const T>(M), buffer.view());
  be.add(1.0 - beta, G, 1.0, buffer.view());
  return std::as_const(buffer).view();
}

// U = polar factor of D (the oracle) into U; returns ν: tr(H) = ‖D‖_* from H computed on the
// tall orientation of D (the small factor), or ⟨U, D⟩_F from the returned U.
template <class T>
double polar_with_nu(Backend<T>& be, const Config& c, MatrixView<const T> D, MatrixView<T> U,
                     PolarInfo& info) {
  PolarOptions o = c.oracle;
  if (c.nu == Nu::nuclear) {
    o.compute_h = true;
    const index_t k = std::min(D.rows(), D.cols());
    Matrix<T> H = be.allocate(k, k);
    info = D.rows() < D.cols() ? polar<T>(D.transposed(), U.transposed(), H.view(), o)
                               : polar<T>(D, U, H.view(), o);
    return info.nuclear_norm;
  }
  o.compute_h = false;
  info = polar<T>(D, U, MatrixView<T>(), o);
  return be.dot(MatrixView<const T>(U), D);
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

template <class T>
void polargrad(Backend<T>& be, const Config& c, MatrixView<T> W, MatrixView<const T> G,
               MatrixView<T> M, MatrixView<T> work, StepReport& report) {
  const MatrixView<const T> U = work;
  if (c.order == MomentumOrder::momentum_first || M.empty()) {
    // momentum-first: UH = polar(D), W ← W(1 − lr·wd) − lr·ν·U (without state both orders agree)
    Matrix<T> buffer;
    const MatrixView<const T> D = momentum_direction(be, c, G, M, buffer);
    report.nu = polar_with_nu(be, c, D, work, report.oracle);
    apply_update(be, c, W, U, -c.lr * report.nu, work, report);
    return;
  }
  // polar-first: UH = polar(G), M ← βM + (1−β)·ν·U, W ← W(1 − lr·wd) − lr·D with D = M, or
  // βM + (1−β)·ν·U with Nesterov.
  const double beta = c.momentum;
  report.nu = polar_with_nu(be, c, G, work, report.oracle);
  const double fresh = (1.0 - beta) * report.nu;
  detail::add(be, fresh, U, beta, M);
  if (c.nesterov) {
    be.add(beta, MatrixView<const T>(M), fresh, work);
    apply_update(be, c, W, U, -c.lr, work, report);
  } else {
    apply_update(be, c, W, MatrixView<const T>(M), -c.lr, work, report);
  }
}

// The step itself, on operands already validated (step() and step_batched() check first).
template <class T>
StepReport checked_step(const Config& config, MatrixView<T> W, MatrixView<const T> G,
                        MatrixView<T> M) {
  Backend<T>& be = polarkit::detail::backend_for<T>(W.space());
  StepReport report;
  if (W.empty()) return report;
  const index_t m = W.rows();
  const index_t n = W.cols();
  // The oracle's output (U, O or lmo(D)), then overwritten by the update Δ.
  Matrix<T> work = be.allocate(m, n);
  const MatrixView<const T> out = std::as_const(work).view();
  switch (config.kind) {
    case Kind::muon: {
      Matrix<T> buffer;
      const MatrixView<const T> D = momentum_direction(be, config, G, M, buffer);
      PolarOptions o = config.oracle;
      o.compute_h = false;
      report.oracle = polar<T>(D, work.view(), MatrixView<T>(), o);
      report.scale = shape_scale(config.scale, m, n);
      apply_update(be, config, W, out, -config.lr * report.scale, work.view(), report);
      break;
    }
    case Kind::polargrad:
      polargrad(be, config, W, G, M, work.view(), report);
      break;
    default: {  // the LMO steps: W ← W(1 − lr·wd) − lr·lmo(D)
      Matrix<T> buffer;
      const MatrixView<const T> D = momentum_direction(be, config, G, M, buffer);
      report.oracle = lmo<T>(config.kind, D, work.view(), config.oracle);
      if (config.kind == Kind::spectral) {
        report.scale = std::sqrt(static_cast<double>(m) / static_cast<double>(n));
      }
      apply_update(be, config, W, out, -config.lr, work.view(), report);
    }
  }
  return report;
}

}  // namespace

template <class T>
StepReport step(const Config& config, MatrixView<T> W, MatrixView<const std::type_identity_t<T>> G,
                MatrixView<T> M) {
  validate(config);
  validate_operands(config, W, G, M);
  if (!polarkit::detail::backend_for<T>(W.space()).all_finite(G)) {
    throw Error(ErrorCode::non_finite_input, "step: the gradient G contains NaN or Inf");
  }
  return checked_step<T>(config, W, G, M);
}

template <class T>
std::vector<StepReport> step_batched(const Config& config, std::span<const MatrixView<T>> W,
                                     std::span<const MatrixView<const T>> G,
                                     std::span<const MatrixView<T>> M) {
  validate(config);
  const std::size_t count = W.size();
  if (G.size() != count) {
    invalid("step_batched: " + std::to_string(G.size()) + " gradients for " +
            std::to_string(count) + " parameters");
  }
  if (!M.empty() && M.size() != count) {
    invalid("step_batched: " + std::to_string(M.size()) + " momentum states for " +
            std::to_string(count) + " parameters (pass none only with momentum = 0)");
  }
  const auto state = [&](std::size_t i) { return M.empty() ? MatrixView<T>() : M[i]; };

  // Every check before the first update: a rejected batch leaves all parameters untouched.
  struct Range {
    detail::Extent extent;
    bool writable;
    std::string name;
  };
  std::vector<Range> ranges;
  for (std::size_t i = 0; i < count; ++i) {
    if (W[i].rows() != W[0].rows() || W[i].cols() != W[0].cols() || W[i].space() != W[0].space()) {
      invalid("step_batched: W[" + std::to_string(i) + "] is " +
              detail::shape(W[i].rows(), W[i].cols()) + ", W[0] is " +
              detail::shape(W[0].rows(), W[0].cols()) +
              "; a batch holds parameters of one shape and memory space");
    }
    validate_operands(config, W[i], G[i], state(i));
    const std::string index = "[" + std::to_string(i) + "]";
    ranges.push_back({detail::extent(W[i]), true, "W" + index});
    ranges.push_back({detail::extent(G[i]), false, "G" + index});
    ranges.push_back({detail::extent(state(i)), true, "M" + index});
  }
  // Sweep by start address: a range overlaps an earlier one iff it starts before the largest end
  // seen so far (among the writable ranges, or among all when it is writable itself).
  std::erase_if(ranges, [](const Range& r) { return r.extent.lo == r.extent.hi; });
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.extent.lo < b.extent.lo; });
  const Range* widest_any = nullptr;
  const Range* widest_writable = nullptr;
  for (const Range& r : ranges) {
    const Range* hit = nullptr;
    if (widest_writable != nullptr && r.extent.lo < widest_writable->extent.hi) {
      hit = widest_writable;
    } else if (r.writable && widest_any != nullptr && r.extent.lo < widest_any->extent.hi) {
      hit = widest_any;
    }
    if (hit != nullptr) {
      invalid("step_batched: " + hit->name + " and " + r.name +
              " share memory; parameters and momentum states must not overlap each other or "
              "any gradient");
    }
    if (widest_any == nullptr || r.extent.hi > widest_any->extent.hi) widest_any = &r;
    if (r.writable && (widest_writable == nullptr || r.extent.hi > widest_writable->extent.hi)) {
      widest_writable = &r;
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (!polarkit::detail::backend_for<T>(G[i].space()).all_finite(G[i])) {
      throw Error(ErrorCode::non_finite_input,
                  "step_batched: the gradient G[" + std::to_string(i) + "] contains NaN or Inf");
    }
  }

  std::vector<StepReport> reports;
  reports.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    reports.push_back(checked_step<T>(config, W[i], G[i], state(i)));
  }
  return reports;
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
