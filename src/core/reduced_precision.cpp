// The reduced-precision phase reuses the one Newton–Schulz loop on a ProductBackend of the
// storage format; only the conversions at its ends and the refinement are specific to it.
#include "core/reduced_precision.hpp"

#include <algorithm>
#include <string>
#include <type_traits>
#include <utility>

namespace polarkit::detail {
namespace {

template <class S, class T>
void iterate_in_storage(Ops<T>& ops, Matrix<T>& X, Schedule& schedule,
                        const PolarOptions& options, PolarInfo& info) {
  StorageBackend<S>& be = storage_backend_for<S>(X.view().space());
  Ops<S, ProductBackend<S>> reduced(be);
  Matrix<S> Xs = be.allocate(X.rows(), X.cols());
  be.load(std::as_const(X).view(), Xs.view());
  solve_newton_schulz(reduced, Xs, schedule, options, info);
  be.store(std::as_const(Xs).view(), X.view());
  ops.add_work(reduced);
}

template <class T>
void iterate_with_tf32(Ops<T>& ops, Matrix<T>& X, Schedule& schedule, const PolarOptions& options,
                       PolarInfo& info) {
  if constexpr (std::is_same_v<T, float>) {
    Ops<float, ProductBackend<float>> reduced(tf32_backend_for(X.view().space()));
    solve_newton_schulz(reduced, X, schedule, options, info);
    ops.add_work(reduced);
  } else {
    throw Error(ErrorCode::invalid_argument, "polar: precision 'tf32' needs float input");
  }
}

// Continues from the widened iterate in T. Its measurement in T replaces the reduced one of the
// same iterate in the history, which keeps one entry per iterate.
template <class T>
void refine(Ops<T>& ops, Matrix<T>& X, const PolarOptions& options, PolarInfo& info) {
  PolarOptions o = options;
  o.steps = 0;
  o.lower_bound = 0.0;  // the caller's bound was for X₀; Lanczos sees the current spectrum
  const auto schedule = make_schedule(Method::polar_express_adaptive, o);
  OrthogonalityMeter<T> meter(ops, X.cols());
  const GramSpectrum s = meter.measure(std::as_const(X).view());
  info.ortho_error_history.pop_back();
  info.ortho_error_2_history.pop_back();
  OrthogonalityMeter<T>::record(s, info);
  continue_newton_schulz(ops, X, *schedule, o, info, meter, s);
}

}  // namespace

template <class T>
void solve_reduced_precision(Ops<T>& ops, Matrix<T>& X, Schedule& schedule,
                             const PolarOptions& options, PolarInfo& info) {
  const std::size_t first = info.steps.size();
  switch (options.precision) {
    case Precision::bf16:
      iterate_in_storage<bfloat16>(ops, X, schedule, options, info);
      break;
    case Precision::fp16:
      iterate_in_storage<float16>(ops, X, schedule, options, info);
      break;
    case Precision::tf32:
      iterate_with_tf32(ops, X, schedule, options, info);
      break;
    case Precision::working:
      solve_newton_schulz(ops, X, schedule, options, info);
      return;
  }
  std::fill(info.steps.begin() + static_cast<std::ptrdiff_t>(first), info.steps.end(),
            StepKind::reduced);
  if (options.refine) refine(ops, X, options, info);
}

template void solve_reduced_precision<float>(Ops<float>&, Matrix<float>&, Schedule&,
                                             const PolarOptions&, PolarInfo&);
template void solve_reduced_precision<double>(Ops<double>&, Matrix<double>&, Schedule&,
                                              const PolarOptions&, PolarInfo&);

}  // namespace polarkit::detail
