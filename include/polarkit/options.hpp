// polarkit/options.hpp — what polar() and msign() are asked to do.
#pragma once

#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "polarkit/coefficients.hpp"

namespace polarkit {

/// The polar solvers. Names (method_name) are the ones the CLI and the C ABI accept.
enum class Method {
  svd,                     ///< reference: LAPACK gesdd (gesvd if gesdd fails), U = W·Vᵀ
  newton_schulz,           ///< cubic Newton–Schulz, p(x) = 1.5x − 0.5x³
  quintic,                 ///< classic quintic, p(x) = (15x − 10x³ + 3x⁵)/8
  muon,                    ///< Muon's "Jordan" quintic (3.4445, −4.7750, 2.0315), 5 steps by default
  polar_express,           ///< published Polar Express table (ℓ = 1e-3), safety factor 1.01
  polar_express_adaptive,  ///< minimax quintic per step for the interval certified by e_j
  newton,                  ///< scaled Newton X ← (ζX + X⁻ᵀ/ζ)/2, Byers–Xu scaling, Newton–Schulz tail
  qdwh,                    ///< dynamically weighted Halley (QR steps while c > 100, then Cholesky)
  zolo,                    ///< Zolo-PD: Zolotarev rational iteration of order r(κ), ≤ 2 steps
  automatic,               ///< "auto": Polar Express or QDWH by a certified κ estimate (algorithms.md)
};

/// How X₀ = A/α is normalised before a Newton–Schulz iteration.
enum class Scaling {
  frobenius,  ///< α = ‖A‖_F · safety: a guaranteed upper bound on σ_max (default)
  spectral,   ///< α = Lanczos estimate of σ_max · safety, capped by ‖A‖_F: tighter, so fewer steps
};

/// The format a Newton–Schulz-family iteration runs in. The 16-bit formats are storage only:
/// X₀ = A/α is formed in the input's precision and rounded once, every product accumulates in
/// float, and U comes back in the input's precision. Other methods accept only `working`.
enum class Precision {
  working,  ///< the input's own precision (float or double)
  tf32,     ///< float storage, products with TF32 inputs (CUDA tensor cores; float input only)
  bf16,     ///< bfloat16 storage (8 significand bits, float's range)
  fp16,     ///< IEEE binary16 storage (11 significand bits, |x| ≤ 65504)
};

/// The most iterations `steps` and `max_iter` may ask for: 10× what any method needs (Newton–
/// Schulz from σ = u·σ_max to 1 takes under 100 steps, QDWH at most 6), so that a mistyped
/// budget is refused at once instead of running for hours.
inline constexpr int max_iterations_limit = 1000;

/// What polar() and msign() are asked to do: the method and its stopping rule, scaling,
/// precision and what else to compute. The defaults iterate to working precision.
struct PolarOptions {
  Method method = Method::polar_express_adaptive;  ///< the solver (see Method)
  /// Stop once ‖XⱼᵀXⱼ − I‖_F ≤ tol. 0 means "to working precision": iterate until one more step
  /// cannot improve the result (see docs/algorithms.md).
  double tol = 0.0;
  /// Upper bound on iterations when iterating to tolerance (1 to max_iterations_limit).
  int max_iter = 100;
  /// > 0: run exactly this many iterations (a fixed budget, as Muon does) and report whether the
  /// result met the tolerance. 0: iterate to tolerance (muon defaults to 5 steps). At most
  /// max_iterations_limit.
  int steps = 0;
  Scaling scaling = Scaling::frobenius;  ///< how X₀ is normalised (Newton–Schulz family)
  /// Also form H = sym(UᵀA) and ‖A‖_* = tr(H) (one m×n×n product).
  bool compute_h = true;
  /// With compute_h, also measure the backward error ‖A − UH‖_F/‖A‖_F for the report (one more
  /// m×n×n product and an m × n matrix: 7–8% of a QDWH solve at n = 1024–2048). Off: NaN.
  bool backward_error = false;
  /// Optional lower bound on σ_min(A)/σ_max(A) (1/κ) known to the caller; 0 = unknown. Used by
  /// polar_express_adaptive for its first steps (the rational methods estimate their own).
  double lower_bound = 0.0;
  /// Reduced-precision iteration for the Newton–Schulz family (see Precision).
  Precision precision = Precision::working;
  /// After a reduced-precision iteration, continue in the input's precision (adaptive Polar
  /// Express steps) until U is orthogonal to working precision. With Method::svd, the same
  /// steps after the SVD, whose U = W·Vᵀ is orthogonal only to O(n·u) (25–45u at n = 256–2048):
  /// one cubic step lands at rounding (5–9u) for 3n³ flops, and halves the backward error of H.
  /// Ignored by the other methods at `working` precision.
  bool refine = false;
  /// polar_batched with a Newton–Schulz method: the most matrices iterated together (each holds
  /// its own workspace while its group iterates). 0: the backend's choice: 1 on the CPU, where
  /// the kernels run matrix by matrix anyway (groups of 8 measured 1.06–1.10× the speed at
  /// 64 × 128² in float and 0.94–0.98× at 64 × 256², for 8× the workspace; docs/performance.md),
  /// 64 on a CUDA device. The results do not depend on it (on the CPU bit for bit).
  int batch_group = 0;
  /// Newton–Schulz family: estimate ‖XⱼᵀXⱼ − I‖₂ (Lanczos: 40 matrix–vector products, and on a
  /// GPU 80 scalar read-backs) at every iterate (true), or (false) only at X₀ (the κ estimate)
  /// and at the result, in a run that nothing else steers by it: a fixed budget (`steps`, or
  /// Muon's default) of a fixed coefficient table (every method but polar_express_adaptive).
  /// The iterates in between then have NaN in PolarInfo::ortho_error_2_history; U, H and the
  /// Frobenius history are the same bit for bit. Ignored where the iteration steers by the
  /// estimate (adaptive schedules, iterating to tolerance, refinement).
  bool two_norm_each_iterate = true;
  /// Newton–Schulz family, a fixed budget of a fixed table (as two_norm_each_iterate), without
  /// refinement: false measures nothing the iteration does not need — no Gram matrix of U (one
  /// n×n×m product, 5% of a 5-step quintic run), no Lanczos run at X₀ or U. The report then has
  /// NaN for U's orthogonality (ortho_error, ortho_error_fro, the last history entries) and for
  /// cond_estimate, and converged = false (not known). U and H are the same bit for bit.
  bool measure_result = true;
  /// Method::muon only: the caller's own fixed table instead of Jordan's triple — one quintic
  /// applied at every step (as torch.optim.Muon's ns_coefficients), or one per step with the
  /// last repeated once the table runs out. The budget is `steps` when set, else 5 for a single
  /// quintic (Muon's) and the table's length for a longer one. Empty: Jordan's (3.4445, −4.7750,
  /// 2.0315). At most max_iterations_limit entries, every coefficient finite.
  std::vector<Quintic> coefficients;
  /// Newton–Schulz family: X₀ = A / max(α, scale_floor) instead of A / α, so that a tiny input
  /// is not blown up to unit size — torch.optim.Muon divides by max(‖G‖_F, eps), and a
  /// gradient below eps then moves the weights by less than a full step. 0 (the default): no
  /// floor. Finite and non-negative.
  double scale_floor = 0.0;
};

/// Canonical name of a method ("svd", "newton-schulz", "quintic", "muon", "polar-express",
/// "polar-express-adaptive", "newton", "qdwh", "zolo", "auto").
std::string_view method_name(Method method);

/// Parses a method name: the canonical one in any case, with '_' accepted for '-' (so the
/// enumerator spellings polar_express, QDWH and automatic work too). Throws
/// Error(invalid_argument) naming the accepted values, with a "did you mean" for a near miss.
Method parse_method(std::string_view name);

/// True for the Newton–Schulz family (newton-schulz, quintic, muon, polar-express,
/// polar-express-adaptive): matrix products only, the methods PolarOptions::precision applies to.
bool is_newton_schulz(Method method);

/// Every method, in the order of Method's enumerators (the names the CLI and the C ABI list).
std::span<const Method> all_methods();

/// The step budget a method runs when PolarOptions::steps is 0: 5 for muon, whose fixed quintic
/// is not meant to converge; 0 for the methods that iterate to tolerance. Throws
/// Error(invalid_argument) for a value outside the enumeration.
int default_steps(Method method);

/// Canonical name of a precision ("working", "tf32", "bf16", "fp16").
std::string_view precision_name(Precision precision);

/// Parses a precision name (any case). Throws Error(invalid_argument) naming the accepted values.
Precision parse_precision(std::string_view name);

}  // namespace polarkit
