// The reduced-precision phase reuses the one Newton–Schulz loop on a ProductBackend of the
// storage format; only the conversions at its ends and the refinement are specific to it.
#include "core/solvers/precision.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/solvers/methods.hpp"

namespace polarkit::detail {
namespace {

template <class T>
MemorySpace space_of(std::span<const NsItem<T>> batch) {
  return batch[0].X->view().space();
}

template <class S, class T>
void iterate_in_storage(Ops<T>& ops, std::span<const NsItem<T>> batch,
                        const PolarOptions& options) {
  StorageBackend<S>& be = storage_backend_for<S>(space_of(batch));
  Ops<S, ProductBackend<S>> reduced(be, batch.size());
  std::vector<Matrix<S>> Xs;
  std::vector<NsItem<S>> stored;
  Xs.reserve(batch.size());
  for (const NsItem<T>& item : batch) {
    Xs.push_back(be.allocate(item.X->rows(), item.X->cols()));
    be.load(std::as_const(*item.X).view(), Xs.back().view());
    stored.push_back({&Xs.back(), item.schedule, item.report});
  }
  solve_newton_schulz(reduced, std::span<const NsItem<S>>(stored), options);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    be.store(std::as_const(Xs[i]).view(), batch[i].X->view());
  }
  ops.add_work(reduced);
}

template <class T>
void iterate_with_tf32(Ops<T>& ops, std::span<const NsItem<T>> batch,
                       const PolarOptions& options) {
  if constexpr (std::is_same_v<T, float>) {
    Ops<float, ProductBackend<float>> reduced(tf32_backend_for(space_of(batch)), batch.size());
    solve_newton_schulz(reduced, batch, options);
    ops.add_work(reduced);
  } else {
    throw Error(ErrorCode::invalid_argument, "polar: precision 'tf32' needs float input");
  }
}

// Continues from the widened iterates in T. Their measurement in T replaces the reduced one of
// the same iterate in the history, which keeps one entry per iterate.
template <class T>
void refine(Ops<T>& ops, std::span<const NsItem<T>> batch, const PolarOptions& options) {
  const PolarOptions o = refinement_options(options);
  std::vector<std::unique_ptr<Schedule>> schedules;
  std::vector<NsItem<T>> refined;
  std::vector<std::size_t> all;
  std::vector<MatrixView<const T>> X;
  for (const NsItem<T>& item : batch) {
    schedules.push_back(make_schedule(Method::polar_express_adaptive, o));
    refined.push_back({item.X, schedules.back().get(), item.report});
    all.push_back(all.size());
    X.push_back(std::as_const(*item.X).view());
  }
  OrthogonalityMeter<T> meter(ops, batch[0].X->cols(), batch.size());
  const std::vector<GramSpectrum> s = meter.measure_batched(all, X);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Report& report = *batch[i].report;
    report.replace_last(s[i]);
  }
  continue_newton_schulz(ops, std::span<const NsItem<T>>(refined), o, meter, s);
}

}  // namespace

template <class T>
void solve_newton_schulz_in_precision(Ops<T>& ops, std::span<const NsItem<T>> batch,
                             const PolarOptions& options) {
  std::vector<std::size_t> first;
  for (const NsItem<T>& item : batch) first.push_back(item.report->info().steps.size());
  switch (options.precision) {
    case Precision::bf16:
      iterate_in_storage<bfloat16>(ops, batch, options);
      break;
    case Precision::fp16:
      iterate_in_storage<float16>(ops, batch, options);
      break;
    case Precision::tf32:
      iterate_with_tf32(ops, batch, options);
      break;
    case Precision::working:
      solve_newton_schulz(ops, batch, options);
      return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].report->relabel_steps(first[i], StepKind::reduced);
  }
  if (options.refine) refine(ops, batch, options);
}

template void solve_newton_schulz_in_precision<float>(Ops<float>&, std::span<const NsItem<float>>,
                                             const PolarOptions&);
template void solve_newton_schulz_in_precision<double>(Ops<double>&, std::span<const NsItem<double>>,
                                              const PolarOptions&);

}  // namespace polarkit::detail
