// polarkit/info.hpp — the report every solver returns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "polarkit/options.hpp"

namespace polarkit {

/// The kind of each iteration a solver took.
enum class StepKind : char {
  polynomial = 'P',  ///< a Newton–Schulz-family step (matrix products only)
  qr = 'Q',          ///< a QDWH step through the QR of [√c·X; I]
  cholesky = 'C',    ///< a QDWH step through the Cholesky factor of I + c·XᵀX
  cholesky_qr = 'K',  ///< a QDWH step through a corrected Cholesky QR of [√c·X; I] (moderate c)
  newton = 'N',      ///< a scaled Newton step (explicit inverse)
  zolotarev = 'Z',   ///< a Zolo-PD step (r QRs)
  reduced = 'L',     ///< a Newton–Schulz-family step in reduced precision (options.precision)
};

/// Where the time of a solve went: one phase (normalisation, the reduction QR, Gram matrices,
/// Lanczos estimates, each kind of step, H, ...), its wall-clock time and the flops counted in it.
struct PhaseTime {
  std::string name;      ///< e.g. "normalise", "reduce", "gram", "lanczos", "step:cholesky", "h"
  double seconds = 0.0;  ///< exclusive wall-clock time (a phase inside another is not counted twice)
  double flops = 0.0;    ///< flops counted in it, by the convention of PolarInfo::flops
  int calls = 0;         ///< how often it ran
};

/// What a polar solve did and how good its result is. Quantities that were not computed are NaN.
struct PolarInfo {
  Method method = Method::svd;  ///< the method asked for
  int iterations = 0;  ///< iterations taken (0 for svd and zero or empty input)
  /// True when the final orthogonality error meets the tolerance. A fixed budget that falls
  /// short reports false; it is a result, not an error.
  bool converged = false;
  /// True when A = 0: U = 0 and H = 0 are returned (the polar factor is not unique; msign(0) = 0).
  bool zero_input = false;

  /// The method that ran (differs from `method` for auto) and the kind of each iteration.
  Method method_used = Method::svd;
  std::vector<StepKind> steps;  ///< the kind of every iteration (step_letters() spells them)

  /// e_j = ‖XⱼᵀXⱼ − I‖_F for j = 0..iterations: a guaranteed upper bound on the 2-norm.
  std::vector<double> ortho_error_history;
  /// Lanczos estimate of ‖XⱼᵀXⱼ − I‖₂ for the same iterates (a lower estimate, usually tight);
  /// NaN for the iterates PolarOptions::two_norm_each_iterate = false leaves unestimated.
  std::vector<double> ortho_error_2_history;
  /// Final ‖UᵀU − I‖₂ (Lanczos estimate) and ‖UᵀU − I‖_F.
  double ortho_error = 0.0;
  double ortho_error_fro = 0.0;  ///< ‖UᵀU − I‖_F of the result (NaN where not measured)

  /// α: X₀ = A/α.
  double scale = 0.0;
  /// ℓ₀: the lower bound on σ_min(A/α) the solver designed its first step for.
  double lower_bound = 0.0;
  /// Estimate of κ₂(A) = σ_max/σ_min (exact for svd; from the first Gram matrix otherwise).
  double cond_estimate = 0.0;
  /// Numerical rank of A: the number of singular values above max(m, n)·ε·σ_max (NumPy's
  /// matrix_rank convention). A solve iterating to tolerance determines it: n where its κ
  /// estimate certifies A numerically nonsingular, else counted from an SVD (docs/api.md). −1
  /// where not determined: fixed budgets (muon, `steps`), `measure_result = false`, and
  /// reduced precision without `refine`. 0 for A = 0 and for an empty A.
  int rank = -1;
  /// ‖A − UH‖_F / ‖A‖_F (NaN unless H was computed).
  double backward_error = 0.0;
  /// ‖A‖_* = tr(H) (NaN unless H was computed).
  double nuclear_norm = 0.0;

  /// Floating-point operations performed (GEMM counted as 2mnk, SYRK as mnk) and the number of
  /// matrix–matrix products (GEMM or SYRK calls) among them.
  double flops = 0.0;
  std::int64_t products = 0;  ///< matrix–matrix products (GEMM, SYRK, TRSM, …) made
  /// The phases of the solve in the order they first ran; their times add up to nearly the whole
  /// call. GFLOP/s of a phase = flops / seconds / 1e9. For matrices a batch iterated together
  /// (polar_batched, a Newton–Schulz group), the phases of the shared iteration are the group's.
  std::vector<PhaseTime> phases;
};

/// The kinds of the iterations as one letter each ("KCCC"): StepKind's values.
inline std::string step_letters(const std::vector<StepKind>& steps) {
  std::string letters;
  for (const StepKind k : steps) letters.push_back(static_cast<char>(k));
  return letters;
}

/// Every field of a report by name, for printers and bindings (the CLI's JSON, the Python
/// package, the C ABI's polarkit_last_report_get): f(name, value) in declaration order, value a
/// std::string (method names; steps as step_letters), int, bool, std::int64_t, double,
/// const std::vector<double>& or const std::vector<PhaseTime>&. One list, so that a new field
/// reaches every one of them.
template <class F>
void for_each_field(const PolarInfo& info, F&& f) {
  f("method", std::string(method_name(info.method)));
  f("iterations", info.iterations);
  f("converged", info.converged);
  f("zero_input", info.zero_input);
  f("method_used", std::string(method_name(info.method_used)));
  f("steps", step_letters(info.steps));
  f("ortho_error_history", info.ortho_error_history);
  f("ortho_error_2_history", info.ortho_error_2_history);
  f("ortho_error", info.ortho_error);
  f("ortho_error_fro", info.ortho_error_fro);
  f("scale", info.scale);
  f("lower_bound", info.lower_bound);
  f("cond_estimate", info.cond_estimate);
  f("rank", info.rank);
  f("backward_error", info.backward_error);
  f("nuclear_norm", info.nuclear_norm);
  f("flops", info.flops);
  f("products", info.products);
  f("phases", info.phases);
}

}  // namespace polarkit
