// experiments.hpp — the two reference experiments of docs/optimizers.md (matrix quadratic
// regression and low-rank matrix completion) as reusable code: the problems (loss and gradient),
// the optimizers compared (PolarGrad with both ν, Muon, plain gradient descent) driven through
// polarkit::optim::step, and the loss curves they produce. Used by the example programs
// (quadratic_regression, matrix_completion) and by tests/optim/test_optim_examples.cpp.
//
// Everything is double precision, column-major, host memory; products go to the Fortran BLAS
// (dgemm) directly, eigen- and singular values to LAPACK (dsyev, dgesdd).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "polarkit/matrix.hpp"
#include "polarkit/optim.hpp"

namespace polarkit::examples {

using Params = std::vector<Matrix<double>>;

// --- dense helpers --------------------------------------------------------------------------

/// C ← alpha·op(A)·op(B) + beta·C (dgemm; op = transpose when the flag is set).
void gemm(bool transpose_a, bool transpose_b, double alpha, const Matrix<double>& A,
          const Matrix<double>& B, double beta, Matrix<double>& C);

/// Eigenvalues of a symmetric matrix, ascending (LAPACK dsyev).
std::vector<double> symmetric_eigenvalues(const Matrix<double>& S);
/// Singular values, descending (LAPACK dgesdd).
std::vector<double> singular_values(const Matrix<double>& A);
/// #{σ_i > max(m, n)·ε·σ_1}: LAPACK's (and numpy.linalg.matrix_rank's) numerical rank.
index_t numerical_rank(const Matrix<double>& A);
/// ‖A‖₂ from the eigenvalues of the smaller Gram matrix (for thin A).
double spectral_norm(const Matrix<double>& A);

// --- problems -----------------------------------------------------------------------------

/// A smooth objective of a list of matrix parameters.
class Problem {
 public:
  virtual ~Problem() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  [[nodiscard]] virtual Params initial_point() const = 0;
  /// f(X); when grad is not null it receives ∇f(X) (resized to X's shapes).
  virtual double loss(const Params& X, Params* grad) const = 0;
  /// The smoothness constant the step rules 1/L and 1/(L·r) use at X: the global Lipschitz
  /// constant of ∇f (regression) or a local bound (completion).
  [[nodiscard]] virtual double smoothness(const Params& X) const = 0;
  /// r in 1/(L·r): an upper bound on the rank of every gradient (min(rows, cols) of each
  /// parameter); the programs and the test compare it with the numerical rank of ∇f(X₀).
  [[nodiscard]] virtual index_t gradient_rank_bound() const = 0;
};

/// f(X) = ½‖AXB − C‖_F² with A (p × m), X (m × n), B (n × q), C = A·X*·B (p × q); seeded
/// Gaussian A, B, X*; X₀ = 0. Defaults are the reference sizes: m = 500, n = 100,
/// p = 1000, q = 250. ∇f = Aᵀ(AXB − C)Bᵀ, evaluated as (AᵀA)·X·(BBᵀ) − AᵀCBᵀ with the Gram
/// matrices and AᵀCBᵀ formed once; f = ½⟨X, (AᵀA)X(BBᵀ) − 2AᵀCBᵀ⟩ + ½‖C‖_F² from the same
/// product, so an evaluation costs 2m²n + 2mn² flops (6·10⁷) instead of 3·10⁸ for the residual.
class QuadraticRegression final : public Problem {
 public:
  explicit QuadraticRegression(std::uint64_t seed = 42, index_t m = 500, index_t n = 100,
                               index_t p = 1000, index_t q = 250);

  [[nodiscard]] std::string name() const override { return "quadratic regression"; }
  [[nodiscard]] Params initial_point() const override;
  double loss(const Params& X, Params* grad) const override;
  [[nodiscard]] double smoothness(const Params&) const override { return lipschitz_; }
  [[nodiscard]] index_t gradient_rank_bound() const override;

  /// ½‖AXB − C‖_F² from the residual itself (3·10⁸ flops): the check on loss().
  [[nodiscard]] double loss_from_residual(const Matrix<double>& X) const;
  /// Aᵀ(AXB − C)Bᵀ from the residual itself: the check on loss()'s gradient.
  [[nodiscard]] Matrix<double> gradient_from_residual(const Matrix<double>& X) const;

  /// L = λ_max(AᵀA)·λ_max(BBᵀ) and μ = λ_min(AᵀA)·λ_min(BBᵀ): the extreme eigenvalues of the
  /// Hessian (BBᵀ) ⊗ (AᵀA), from LAPACK dsyev on the Gram matrices.
  [[nodiscard]] double lipschitz() const { return lipschitz_; }
  [[nodiscard]] double strong_convexity() const { return mu_; }

  const Matrix<double>& A() const { return A_; }
  const Matrix<double>& B() const { return B_; }
  const Matrix<double>& C() const { return C_; }
  const Matrix<double>& X_star() const { return X_star_; }

 private:
  Matrix<double> A_, B_, X_star_, C_;
  Matrix<double> AtA_, BBt_, AtCBt_;
  double half_c_norm2_ = 0.0;
  double lipschitz_ = 0.0;
  double mu_ = 0.0;
};

/// Low-rank matrix completion in the Burer–Monteiro (factorised) form of the PolarGrad
/// reference code (low_rank_mat_comp.py): M = U*·V*ᵀ (m × n, rank k, Gaussian factors), Ω a
/// seeded Bernoulli(fraction) mask, parameters L (m × k) and R (n × k),
/// f(L, R) = ‖P_Ω(LRᵀ − M)‖_F² / |Ω| (the mean squared error over the observed entries),
/// L₀ and R₀ uniform on [−1, 1). Defaults: 500 × 250, rank 5, 30 % observed.
class MatrixCompletion final : public Problem {
 public:
  explicit MatrixCompletion(std::uint64_t seed = 42, index_t m = 500, index_t n = 250,
                            index_t rank = 5, double fraction = 0.3);

  [[nodiscard]] std::string name() const override { return "matrix completion"; }
  [[nodiscard]] Params initial_point() const override;
  double loss(const Params& X, Params* grad) const override;
  /// L_k = 2(‖L‖₂² + ‖R‖₂² + ‖P_Ω(LRᵀ − M)‖_F)/|Ω|: an upper bound on ‖∇²f(L, R)‖₂ at
  /// the current point (P_Ω is a contraction), so a local, not a global, constant.
  [[nodiscard]] double smoothness(const Params& X) const override;
  [[nodiscard]] index_t gradient_rank_bound() const override { return rank_; }

  /// ‖LRᵀ − M‖_F / ‖M‖_F over all entries, observed or not: the recovery error.
  [[nodiscard]] double relative_error(const Params& X) const;
  [[nodiscard]] index_t observed() const { return observed_; }

 private:
  index_t m_, n_, rank_;
  std::uint64_t seed_;
  Matrix<double> M_;
  std::vector<unsigned char> mask_;  ///< column-major, 1 = observed
  index_t observed_ = 0;
};

// --- optimizers -----------------------------------------------------------------------------

/// How the step size is chosen at each iteration (L from Problem::smoothness, r from
/// Problem::gradient_rank_bound).
enum class StepRule {
  constant,        ///< lr as given
  inverse_l,       ///< 1/L (gradient descent's classical step)
  inverse_l_rank,  ///< 1/(L·r) (PolarGrad's step in Lau–Long–Su 2025, Theorem for L-smooth f)
};

struct Optimizer {
  std::string name;
  /// false: plain gradient descent X ← X − lr·∇f (config ignored); true: optim::step(config).
  bool polar_step = true;
  optim::Config config;  ///< its lr is replaced according to rule
  StepRule rule = StepRule::constant;
  double lr = 0.0;  ///< for StepRule::constant
};

/// PolarGrad, no momentum, no weight decay: ν = ‖G‖_* with the SVD oracle (nu = nuclear).
Optimizer polargrad_nuclear_svd();
/// PolarGrad, no momentum: ν = ⟨U, G⟩ with the QDWH oracle (Config::polargrad()'s default).
Optimizer polargrad_inner_qdwh();
/// PolarGrad, no momentum: ν = ⟨Ũ, G⟩ with Muon's inexact 5-step Jordan oracle.
Optimizer polargrad_inner_jordan();
/// Muon with constant lr, no momentum, no weight decay, scale none: X ← X − lr·msign(G) with
/// the default 5-step Jordan oracle (torch.optim.Muon's) or the exact SVD oracle.
Optimizer muon_constant(double lr, bool exact_oracle = false);
/// X ← X − ∇f/L.
Optimizer gradient_descent();
/// The comparison both example programs run: the three PolarGrad variants, Muon with muon_lr
/// (Jordan and SVD oracles) and gradient descent.
std::vector<Optimizer> compared_optimizers(double muon_lr);

/// One optimizer's trajectory.
struct Run {
  std::string name;
  std::vector<double> loss;  ///< f(X_k), k = 0..iterations (NaN after a failure)
  std::vector<double> nu;    ///< ν reported by the first parameter's step, k = 0..iterations−1
  double seconds = 0.0;      ///< wall time of the whole run (gradients, steps, losses)
  std::string failure;       ///< empty, or why the run stopped early
  Params final_point;
};

/// Runs `iterations` steps from problem.initial_point(), one optim::step per parameter with its
/// own gradient. A momentum state (zero at the start) is kept per parameter when
/// config.momentum > 0; the optimizers above all have momentum 0 and pass empty views.
Run run(const Problem& problem, const Optimizer& optimizer, int iterations);

// --- output ---------------------------------------------------------------------------------

/// "iteration,<name>,..." then one row per iteration, %.17g.
void write_csv(std::ostream& out, const std::vector<Run>& runs);

/// An SVG plot of f_k / f_0 against k on a log scale, one line per run (testkit's curve plot).
std::string loss_plot_svg(const std::string& title, const std::string& subtitle,
                          const std::vector<Run>& runs);

/// The table the programs print: name, f_T, f_T/f_0, time.
void print_summary(std::ostream& out, const std::vector<Run>& runs);

/// The example programs' command line: --iterations N, --seed S, --muon-lr X, --csv FILE
/// ("-" for stdout), --plot FILE, --only SUBSTRING (run only the optimizers whose name contains
/// it), --help.
struct ProgramOptions {
  int iterations = 2000;
  std::uint64_t seed = 42;
  double muon_lr = 0.1;
  std::string csv;
  std::string plot;
  std::string only;
};

/// Parses argv into options (whose incoming values are the defaults). Returns true to go on;
/// false to stop with exit_code (0 after --help, 2 after an error, with a message).
bool parse_options(int argc, char** argv, const std::string& description, ProgramOptions& options,
                   int& exit_code);

/// Writes the CSV and the plot the options ask for; false (after a message) if a file fails.
bool write_outputs(const ProgramOptions& options, const std::vector<Run>& runs,
                   const std::string& title, const std::string& subtitle);

}  // namespace polarkit::examples
