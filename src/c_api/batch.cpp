#include "c_api/batch.hpp"

#include <string>
#include <type_traits>
#include <utility>

#include "c_api/reports.hpp"
#include "core/kernels/backend.hpp"
#include "core/solvers/solvers.hpp"

namespace polarkit::c_api {
namespace {

// The working precision of a bf16 matrix is bf16: "working" iterates a Newton–Schulz method in
// bf16 storage, as a float matrix iterates in float. The other methods have no 16-bit mode and
// compute in float; any other precision is the caller's choice and stands.
template <class S>
PolarOptions working_precision(PolarOptions o) {
  if (std::is_same_v<S, bf16_bits> && o.precision == Precision::working &&
      is_newton_schulz(o.method)) {
    o.precision = Precision::bf16;
  }
  return o;
}

// An item's label in messages: "a[i]" in a batch, "a" alone (the names of the single calls).
const char* label(std::size_t count, const char* one, const char* many) {
  return count == 1 ? one : many;
}

// Every argument check of a polar call, before anything is computed: sizes, leading dimensions
// (in the options' layout), NULL pointers and overlaps between any output and any input or other
// output. Returns the options the library runs with.
template <class S>
PolarOptions checked_polar(std::span<const ItemShape> items, const S* const* a, S* const* u,
                           S* const* h, const polarkit_options* opts) {
  using T = compute_of_t<S>;
  const Layout layout = opts != nullptr ? opts->storage.layout : Layout::col_major;
  const auto count = static_cast<std::int64_t>(items.size());
  std::vector<detail::Operand> operands;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const ItemShape& s = items[i];
    require_sizes(s.m, s.n);
    require_ld("lda", s.ld_in, s.m, s.n, layout, sizeof(S));
    require_ld("ldu", s.ld_out, s.m, s.n, layout, sizeof(S));
    if (h != nullptr) require_ld("ldh", s.ld_aux, s.n, s.n, layout, sizeof(S));
    // An empty problem has no element to read or write: its pointers may be NULL.
    if (s.m > 0 && s.n > 0) {
      require_pointer(a[i], "a[i]");
      require_pointer(u[i], "u[i]");
    }
    if (h != nullptr && s.n > 0) require_pointer(h[i], "h[i]");
    const auto k = static_cast<std::int64_t>(i);
    operands.push_back(operand("a", count, k, a[i], s.m, s.n, s.ld_in, layout, sizeof(S), false));
    operands.push_back(operand("u", count, k, u[i], s.m, s.n, s.ld_out, layout, sizeof(S), true));
    operands.push_back(operand("h", count, k, h != nullptr ? h[i] : nullptr, s.n, s.n, s.ld_aux,
                               layout, sizeof(S), true));
  }
  detail::require_disjoint("", std::move(operands));
  const PolarOptions options =
      working_precision<S>(opts != nullptr ? opts->polar : PolarOptions{});
  // Before any scratch H is placed on the options' device: bad options are the same error
  // whether or not info (which asks for the scratch H) was passed.
  detail::validate_polar_options<T>(options);
  return options;
}

// Every argument check of a step that the C ABI owes its caller before optim sees views: sizes,
// pointers, leading dimensions (in the handle's layout) and the overlap rule across all items, on
// the caller's pointers (staged copies would hide their aliasing). optim checks the gradients for
// NaN/Inf.
template <class S>
const Storage& checked_step(const polarkit_optimizer* opt, std::span<const ItemShape> items,
                            S* const* w, const S* const* g, S* const* momentum,
                            bool momentum_optional) {
  require_pointer(opt, "opt");
  const optim::Config& config = opt->config;
  const Layout layout = opt->storage.layout;
  const std::size_t count = items.size();
  require_pointer(w, "w");
  require_pointer(g, "g");
  if (momentum == nullptr && config.momentum != 0.0) {
    invalid("momentum is NULL but the hyper-parameter momentum is " +
            format_number(config.momentum) +
            " (pass an m x n momentum state, zero at the first step, or set momentum to 0)");
  }
  std::vector<detail::Operand> operands;
  for (std::size_t i = 0; i < count; ++i) {
    const ItemShape& s = items[i];
    require_dims(s.m, s.n);
    require_ld("ldw", s.ld_out, s.m, s.n, layout, sizeof(S));
    require_ld("ldg", s.ld_in, s.m, s.n, layout, sizeof(S));
    S* const state = momentum != nullptr ? momentum[i] : nullptr;
    if (momentum != nullptr && (state != nullptr || !momentum_optional)) {
      require_ld("ldm", s.ld_aux, s.m, s.n, layout, sizeof(S));
    }
    require_pointer(w[i], label(count, "w", "w[i]"));
    require_pointer(g[i], label(count, "g", "g[i]"));
    if (momentum != nullptr && !momentum_optional) {
      require_pointer(state, label(count, "momentum", "momentum[i]"));
    }
    const auto c = static_cast<std::int64_t>(count);
    const auto k = static_cast<std::int64_t>(i);
    operands.push_back(operand("w", c, k, w[i], s.m, s.n, s.ld_out, layout, sizeof(S), true));
    operands.push_back(
        operand("momentum", c, k, state, s.m, s.n, s.ld_aux, layout, sizeof(S), true));
    operands.push_back(operand("g", c, k, g[i], s.m, s.n, s.ld_in, layout, sizeof(S), false));
  }
  detail::require_disjoint("", std::move(operands));
  return opt->storage;
}

}  // namespace

std::vector<ItemShape> uniform_items(std::int64_t count, std::int64_t m, std::int64_t n,
                                     std::int64_t ld_in, std::int64_t ld_out,
                                     std::int64_t ld_aux) {
  if (count < 0) invalid("count must be non-negative");
  return std::vector<ItemShape>(static_cast<std::size_t>(count), {m, n, ld_in, ld_out, ld_aux});
}

template <class S>
PolarBatch<S>::PolarBatch(std::span<const ItemShape> items, const S* const* a, S* const* u,
                          S* const* h, const polarkit_options* opts, bool want_info)
    : options(checked_polar<S>(items, a, u, h, opts)),
      staging_(opts != nullptr ? opts->storage : Storage{}) {
  const Storage storage = opts != nullptr ? opts->storage : Storage{};
  for (std::size_t i = 0; i < items.size(); ++i) {
    const ItemShape& s = items[i];
    A.push_back(staging_.input(a[i], s.m, s.n, s.ld_in));
    U.push_back(staging_.output(u[i], s.m, s.n, s.ld_out, false));
    if (h != nullptr && options.compute_h) {
      H.push_back(staging_.output(h[i], s.n, s.n, s.ld_aux, false));
    } else if (options.compute_h && want_info) {
      // Only the info's backward error and nuclear norm need H: form it in scratch memory.
      scratch_.push_back(storage.space == MemorySpace::host
                             ? Matrix<T>(s.n, s.n)
                             : detail::backend_for<T>(storage.space).allocate(s.n, s.n));
      H.push_back(scratch_.back().view());
    }
  }
}

template <class S>
void PolarBatch<S>::finish(std::vector<PolarInfo> results, polarkit_info* info) {
  staging_.commit();
  for (std::size_t i = 0; info != nullptr && i < results.size(); ++i) report(results[i], info[i]);
  last_reports() = std::move(results);
}

template <class S>
StepBatch<S>::StepBatch(const polarkit_optimizer* opt, std::span<const ItemShape> items,
                        S* const* w, const S* const* g, S* const* momentum,
                        bool momentum_optional)
    : staging_(checked_step<S>(opt, items, w, g, momentum, momentum_optional)) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    const ItemShape& s = items[i];
    W.push_back(staging_.output(w[i], s.m, s.n, s.ld_out, true));
    G.push_back(staging_.input(g[i], s.m, s.n, s.ld_in));
    if (momentum == nullptr) continue;
    M.push_back(momentum[i] != nullptr ? staging_.output(momentum[i], s.m, s.n, s.ld_aux, true)
                                       : MatrixView<T>());
  }
}

template <class S>
void StepBatch<S>::finish(const std::vector<optim::StepReport>& reports, double* step_nu) const {
  staging_.commit();
  for (std::size_t i = 0; step_nu != nullptr && i < reports.size(); ++i) {
    step_nu[i] = reports[i].nu;
  }
}

template class PolarBatch<float>;
template class PolarBatch<double>;
template class PolarBatch<bf16_bits>;
template class StepBatch<float>;
template class StepBatch<double>;
template class StepBatch<bf16_bits>;

}  // namespace polarkit::c_api
