// scalapack::polar: QDWH (and the pdgesvd reference) on one matrix distributed block-cyclically,
// in ScaLAPACK and PBLAS calls only — beyond them, O(n²) loops over the local blocks (scaling,
// the diagonal, the singular values' scaling of V). The weights, the design bound, the stopping
// rule and the report are the CPU solver's (src/core/solvers/qdwh.cpp, core/linalg/), shared
// through their headers, so that both decide alike from the same numbers.
#include "polarkit/scalapack.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/design/halley.hpp"
#include "core/kernels/ops.hpp"
#include "core/kernels/phases.hpp"
#include "core/kernels/report.hpp"
#include "core/linalg/orthogonality.hpp"
#include "core/linalg/normalise.hpp"
#include "core/linalg/reduction.hpp"
#include "core/solvers/solvers.hpp"
#include "mpi/scalapack/checks.hpp"
#include "mpi/scalapack/distributed.hpp"

namespace polarkit::scalapack {
namespace {

using detail::DistMatrix;
using detail::Field;
using detail::Grid;
using polarkit::detail::GramSpectrum;
using polarkit::detail::Halley;
using polarkit::detail::Report;
using pblas::Diag;
using pblas::Job;
using pblas::Norm;
using pblas::Op;
using pblas::Part;
using pblas::Side;
using pblas::Uplo;

// Steps of the Lanczos estimates of σ_max(A) and of ‖XᵀX − I‖₂: the library's default.
constexpr int lanczos_steps = polarkit::detail::Lanczos<double>::default_steps;

// The flops and products of the distributed calls (the whole grid's, counted as polar() counts
// them) and the phases they ran in, timed on this process (the report takes the slowest's).
class Work {
 public:
  class Phase {
   public:
    Phase(Work& work, std::string_view name) : work_(work) { work_.clock_.open(name, work_.flops_); }
    Phase(const Phase&) = delete;
    Phase& operator=(const Phase&) = delete;
    ~Phase() { work_.clock_.close(work_.flops_); }

   private:
    Work& work_;
  };

  void count(double flops, bool product = false) {
    flops_ += flops;
    products_ += product ? 1 : 0;
  }
  [[nodiscard]] double flops() const { return flops_; }
  [[nodiscard]] std::int64_t products() const { return products_; }

  /// The phases, each with the largest time any process of the grid spent in it.
  std::vector<PhaseTime> phases(const Grid& grid) {
    std::vector<PhaseTime> phases = clock_.phases();
    std::vector<double> seconds;
    for (const PhaseTime& p : phases) seconds.push_back(p.seconds);
    pblas::max(grid.context, std::span<double>(seconds));
    for (std::size_t i = 0; i < phases.size(); ++i) phases[i].seconds = seconds[i];
    return phases;
  }

 private:
  polarkit::detail::PhaseClock clock_;
  double flops_ = 0.0;
  std::int64_t products_ = 0;
};

double d(index_t v) { return static_cast<double>(v); }

void check_info(int info, const char* routine) {
  if (info != 0) {
    throw Error(ErrorCode::backend_failure, "scalapack::polar: " + std::string(routine) +
                                                " failed (info " + std::to_string(info) + ")");
  }
}

// One call of scalapack::polar: its operands, the grid, the solver's block size, the workspace
// (queried once, allocated once), the work counts and the report.
template <class T>
class Solve {
 public:
  Solve(const Grid& grid, DistributedMatrix<const T> A, DistributedMatrix<T> U,
        DistributedMatrix<T> H, const PolarOptions& options, Work& work)
      : grid_(grid),
        A_(A),
        U_(U),
        H_(H),
        options_(options),
        work_(work),
        m_(A.desc[detail::m_]),
        n_(A.desc[detail::n_]),
        rows_(std::max(m_, n_)),
        cols_(std::min(m_, n_)),
        nb_(A.desc[detail::nb_]),
        want_h_(options.compute_h && H.desc != nullptr) {}

  PolarInfo run();

 private:
  using Sub = pblas::Sub<T>;
  using In = pblas::Sub<const T>;
  static constexpr double u = polarkit::detail::unit_roundoff<T>;

  [[nodiscard]] bool wide() const { return m_ < n_; }
  DistMatrix<T> matrix(index_t rows, index_t cols) const { return {grid_, rows, cols, nb_}; }

  // --- the counted operations (flops as polar() counts them: GEMM 2mnk, SYRK mnk, QR
  // 2mn² − 2n³/3 and as much again for its Q, Cholesky n³/3, TRSM mn², SVD 6mn² + 20n³) ---
  void gemm(Op ta, Op tb, index_t m, index_t n, index_t k, double alpha, In A, In B, double beta,
            Sub C) {
    pblas::gemm<T>(ta, tb, m, n, k, static_cast<T>(alpha), A, B, static_cast<T>(beta), C);
    work_.count(2.0 * d(m) * d(n) * d(k), true);
  }
  void gemv(Op t, index_t m, index_t n, In A, In x, Sub y) {
    pblas::gemv<T>(t, m, n, T(1), A, x, T(0), y);
    work_.count(2.0 * d(m) * d(n));
  }
  void syrk(index_t n, index_t k, In A, Sub C) {
    pblas::syrk<T>(Uplo::upper, Op::trans, n, k, T(1), A, T(0), C);
    work_.count(d(n) * d(n) * d(k), true);
  }
  void trsm(Op t, index_t m, index_t n, In R, Sub B) {
    pblas::trsm<T>(Side::right, Uplo::upper, t, Diag::non_unit, m, n, T(1), R, B);
    work_.count(d(m) * d(n) * d(n));
  }
  void trsv(Op t, index_t n, In R, Sub x) {
    pblas::trsv<T>(Uplo::upper, t, Diag::non_unit, n, R, x);
    work_.count(d(n) * d(n));
  }
  void geqrf(index_t m, index_t n, Sub A) {
    check_info(pblas::geqrf<T>(m, n, A, tau_.data(), work()), "pdgeqrf");
    work_.count(polarkit::detail::qr_flops(m, n));
  }
  void orgqr(index_t m, index_t n, Sub A) {
    check_info(pblas::orgqr<T>(m, n, n, A, tau_.data(), work()), "pdorgqr");
    work_.count(polarkit::detail::qr_flops(m, n));
  }
  bool potrf(index_t n, Sub A) {
    work_.count(d(n) * d(n) * d(n) / 3.0);
    std::array<int, 1> info{pblas::potrf<T>(Uplo::upper, n, A)};
    pblas::max(grid_.context, std::span<int>(info));  // one verdict for the grid
    if (info[0] < 0) check_info(info[0], "pdpotrf");
    return info[0] == 0;
  }
  std::vector<double> gesvd(Job job, DistMatrix<T>& X, Sub W, Sub VT) {
    std::vector<T> s(static_cast<std::size_t>(cols_));
    check_info(pblas::gesvd<T>(job, rows_, cols_, X.at(), s.data(), W, VT, work()), "pdgesvd");
    const double m = d(rows_), n = d(cols_);
    work_.count(job == Job::vec ? 6.0 * m * n * n + 20.0 * n * n * n
                                : 4.0 * m * n * n - 4.0 * n * n * n / 3.0);
    return std::vector<double>(s.begin(), s.end());
  }

  std::span<T> work() { return std::span<T>(work_array_); }
  void reserve(index_t lwork) { lwork_ = std::max(lwork_, lwork); }
  void allocate_workspace(const DistMatrix<T>& tall) {
    work_array_.assign(static_cast<std::size_t>(lwork_), T(0));
    const detail::LocalExtent e = detail::local_extent(grid_, tall.desc());
    tau_.assign(static_cast<std::size_t>(std::max<index_t>(1, e.cols)), T(0));
  }

  // --- moving data ---
  // dst = src, from or to the caller's distribution (pdlacpy where it is the solver's own,
  // pdgemr2d otherwise).
  void copy(index_t m, index_t n, In src, Sub dst) {
    const auto own = [&](const int* desc) {
      return desc[detail::mb_] == nb_ && desc[detail::nb_] == nb_ && desc[detail::rsrc_] == 0 &&
             desc[detail::csrc_] == 0;
    };
    if (own(src.desc) && own(dst.desc)) {
      pblas::lacpy<T>(Part::all, m, n, src, dst);
    } else {
      pblas::gemr2d<T>(m, n, src, dst, grid_.context);
    }
  }
  // X ← factor·X on the local blocks (a power of two is exact).
  static void scale(DistMatrix<T>& X, double factor) {
    X.for_each_local([&](index_t, index_t, T& a) { a = static_cast<T>(factor * a); });
  }
  void add_to_diagonal(DistMatrix<T>& X, double value) {
    X.for_each_local_diagonal([&](index_t, T& a) { a = static_cast<T>(a + value); });
  }

  // --- the solve ---
  void zero_result();
  double normalise(DistMatrix<T>& X, double amax);
  void solve_svd(DistMatrix<T>& X, DistMatrix<T>& Ut, DistMatrix<T>& Ht);
  polarkit::detail::DesignBound reduce(DistMatrix<T>& X, DistMatrix<T>& R);
  double lower_bound_of(const DistMatrix<T>& R);
  void iterate(DistMatrix<T>& X, double ell);
  GramSpectrum measure(const DistMatrix<T>& X, bool two_norm);
  GramSpectrum add_two_norm(const GramSpectrum& s);
  bool cholesky_step(const Halley& w, const DistMatrix<T>& X, DistMatrix<T>& Y);
  void qr_step(const Halley& w, const DistMatrix<T>& X, DistMatrix<T>& Y);
  void settle_rank(bool done);
  PolarInfo release() {
    report_.totals(work_.flops(), work_.products(), work_.phases(grid_));
    return report_.release();
  }
  void finish_h(const DistMatrix<T>& Ai, const DistMatrix<T>& Uo, DistMatrix<T>& Ht);

  const Grid& grid_;
  DistributedMatrix<const T> A_;
  DistributedMatrix<T> U_;
  DistributedMatrix<T> H_;
  const PolarOptions& options_;
  Work& work_;
  const index_t m_, n_;        // A's shape
  const index_t rows_, cols_;  // the tall orientation's
  const index_t nb_;
  const bool want_h_;
  Report report_;
  index_t lwork_ = 1;
  std::vector<T> work_array_;
  std::vector<T> tau_;
  // The iteration's square matrices: E = XᵀX − I (upper triangle) of the last measurement, the
  // Cholesky factor Z, the stacked [√c·X; I] and its Q in W.
  DistMatrix<T> E_, Z_, W_;
  DistMatrix<T> A_tall_;  // only for a rank count by pdgesvd: the tall A, overwritten
};

template <class T>
void Solve<T>::zero_result() {
  const Work::Phase phase(work_, "output");
  pblas::laset<T>(Part::all, m_, n_, T(0), T(0), Sub{U_.local, U_.desc});
  if (want_h_) pblas::laset<T>(Part::all, n_, n_, T(0), T(0), Sub{H_.local, H_.desc});
  report_.zero_input(want_h_);
}

// X = A/α (tall orientation) with α = min(‖A‖_F, 1.02·σ̂_max) after the power of two that brings
// max |aᵢⱼ| to [1/2, 1), as normalise.cpp's spectral scaling (svd: α = ‖A‖_F). Returns α.
template <class T>
double Solve<T>::normalise(DistMatrix<T>& X, double amax) {
  const Work::Phase phase(work_, "normalise");
  int exponent = 0;
  std::frexp(amax, &exponent);
  X.for_each_local([&](index_t, index_t, T& a) { a = std::ldexp(a, -exponent); });
  double norm = pblas::lange<T>(Norm::fro, rows_, cols_, X.at());
  if (options_.method != Method::svd) {
    DistMatrix<T> t = matrix(rows_, 1);
    const polarkit::detail::Extremes e = detail::distributed_extremes<T>(
        grid_, cols_, nb_, lanczos_steps, [&](const DistMatrix<T>& x, DistMatrix<T>& y) {
          gemv(Op::no_trans, rows_, cols_, X.at(), x.at(), t.at());
          gemv(Op::trans, rows_, cols_, X.at(), t.at(), y.at());
        });
    norm = std::min(norm, polarkit::detail::spectral_margin * std::sqrt(std::max(e.max, 0.0)));
  }
  scale(X, 1.0 / norm);
  return std::ldexp(norm, exponent);
}

// pdgesvd of X = A/α: U = W·Vᵀ, H = α·B·Σ·Bᵀ with B = V (m ≥ n) or W (m < n: the right singular
// vectors of A are the left ones of Aᵀ).
template <class T>
void Solve<T>::solve_svd(DistMatrix<T>& X, DistMatrix<T>& Ut, DistMatrix<T>& Ht) {
  const Work::Phase phase(work_, "svd");
  DistMatrix<T> W = matrix(rows_, cols_);
  DistMatrix<T> VT = matrix(cols_, cols_);
  const std::vector<double> sigma = gesvd(Job::vec, X, W.at(), VT.at());
  gemm(Op::no_trans, Op::no_trans, rows_, cols_, cols_, 1.0, W.at(), VT.at(), 0.0, Ut.at());
  report_.condition(sigma.back() > 0.0 ? sigma.front() / sigma.back()
                                       : std::numeric_limits<double>::infinity());
  report_.lower_bound(sigma.back());
  report_.rank(polarkit::detail::numerical_rank(sigma, rows_, cols_, 2.0 * u));
  report_.measured(measure(Ut, true));
  report_.converged(true);
  if (!want_h_) return;
  const double alpha = report_.info().scale;
  if (wide()) {  // H = (αWΣ)·Wᵀ, n × n: W's columns scaled
    DistMatrix<T>& S = X;  // pdgesvd is done with X
    pblas::lacpy<T>(Part::all, rows_, cols_, W.at(), S.at());
    S.for_each_local([&](index_t, index_t j, T& a) {
      a = static_cast<T>(alpha * sigma[static_cast<std::size_t>(j)] * a);
    });
    gemm(Op::no_trans, Op::trans, rows_, rows_, cols_, 1.0, S.at(), W.at(), 0.0, Ht.at());
  } else {  // H = Vᵀᵀ·(αΣVᵀ): Vᵀ's rows scaled
    DistMatrix<T> S = matrix(cols_, cols_);
    pblas::lacpy<T>(Part::all, cols_, cols_, VT.at(), S.at());
    S.for_each_local([&](index_t i, index_t, T& a) {
      a = static_cast<T>(alpha * sigma[static_cast<std::size_t>(i)] * a);
    });
    gemm(Op::trans, Op::no_trans, cols_, cols_, cols_, 1.0, VT.at(), S.at(), 0.0, Ht.at());
  }
}

// ℓ₀ of the upper triangular R from the norms of its explicit inverse (pdtrtri, n³/3 flops;
// pdlantr): ‖R⁻¹‖₁ and ‖R⁻¹‖_∞ as the CPU's trcon estimates them, but exact. pdtrcon's estimates
// fall short of them by two decades on the R of a geometric spectrum (n = 640, κ = 1e12:
// ‖R⁻¹‖₁ 1.4e11 against 1.6e13), which put ℓ₀ 14× above σ_min and cost three more steps.
// 0 for an exactly singular R.
template <class T>
double Solve<T>::lower_bound_of(const DistMatrix<T>& R) {
  pblas::lacpy<T>(Part::upper, cols_, cols_, R.at(), Z_.at());
  std::array<int, 1> info{pblas::trtri<T>(Uplo::upper, cols_, Z_.at())};
  work_.count(d(cols_) * d(cols_) * d(cols_) / 3.0);
  pblas::max(grid_.context, std::span<int>(info));
  if (info[0] < 0) check_info(info[0], "pdtrtri");
  if (info[0] > 0) return 0.0;
  const double inv_one = pblas::lantr<T>(Norm::one, Uplo::upper, cols_, Z_.at(), work());
  const double inv_inf = pblas::lantr<T>(Norm::inf, Uplo::upper, cols_, Z_.at(), work());
  return polarkit::detail::lower_bound_from_inverse_norms(inv_one, inv_inf, cols_);
}

// The QR of X₀ (reduction.cpp's): R (n × n) and its ℓ₀ and design bound; for a tall X₀, X
// becomes Q (the square problem: U = Q·polar(R)).
template <class T>
polarkit::detail::DesignBound Solve<T>::reduce(DistMatrix<T>& X, DistMatrix<T>& R) {
  const Work::Phase phase(work_, "reduce");
  const bool tall = rows_ > cols_;
  if (tall) {
    geqrf(rows_, cols_, X.at());
    pblas::lacpy<T>(Part::upper, cols_, cols_, X.at(), R.at());
  } else {
    pblas::lacpy<T>(Part::all, cols_, cols_, X.at(), R.at());
    geqrf(cols_, cols_, R.at());
  }
  if (cols_ > 1) pblas::laset<T>(Part::lower, cols_ - 1, cols_ - 1, T(0), T(0), R.at(1, 0));
  const double ell0 = lower_bound_of(R);
  const polarkit::detail::DesignBound design =
      polarkit::detail::design_bound(ell0, cols_, u, [&] {
        // Lanczos on (RᵀR)⁻¹ = R⁻¹R⁻ᵀ: its largest eigenvalue is 1/σ_min(R)².
        const polarkit::detail::Extremes e = detail::distributed_extremes<T>(
            grid_, cols_, nb_, polarkit::detail::sharpening_steps,
            [&](const DistMatrix<T>& x, DistMatrix<T>& y) {
              pblas::lacpy<T>(Part::all, cols_, 1, x.at(), y.at());
              trsv(Op::trans, cols_, R.at(), y.at());
              trsv(Op::no_trans, cols_, R.at(), y.at());
            });
        return e.max > 0.0 && std::isfinite(e.max) ? 1.0 / std::sqrt(e.max) : 0.0;
      });
  if (tall) orgqr(rows_, cols_, X.at());
  return design;
}

// G = XᵀX (pdsyrk), kept as E = G − I; e_fro = ‖E‖_F (pdlansy); with two_norm, the Lanczos
// estimate of ‖E‖₂ (pdsymv). The fields as OrthogonalityMeter fills them.
template <class T>
GramSpectrum Solve<T>::measure(const DistMatrix<T>& X, bool two_norm) {
  double e_fro = 0.0;
  {
    const Work::Phase phase(work_, "gram");
    syrk(cols_, X.rows(), X.at(), E_.at());
    add_to_diagonal(E_, -1.0);
    e_fro = pblas::lansy<T>(Norm::fro, Uplo::upper, cols_, E_.at());
  }
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const GramSpectrum s{e_fro, nan, nan, nan, nan, u};
  return two_norm ? add_two_norm(s) : s;
}

// The Lanczos extremes of G = I + E, applied as E·x + x (pdsymv), and ‖G − I‖₂ ≈ max(λ_max − 1,
// 1 − λ_min) from them: the CPU meter's estimate, on which the stopping rule's 16u was measured
// (Lanczos on E itself resolves ‖E‖₂ below u, and is larger there: 19u against the CPU's 8u on
// one converged n = 600 iterate, which cost a step).
template <class T>
GramSpectrum Solve<T>::add_two_norm(const GramSpectrum& s) {
  const Work::Phase phase(work_, "lanczos");
  const polarkit::detail::Extremes e = detail::distributed_extremes<T>(
      grid_, cols_, nb_, lanczos_steps, [&](const DistMatrix<T>& x, DistMatrix<T>& y) {
        pblas::lacpy<T>(Part::all, cols_, 1, x.at(), y.at());
        pblas::symv<T>(Uplo::upper, cols_, T(1), E_.at(), x.at(), T(1), y.at());
        work_.count(2.0 * d(cols_) * d(cols_));
      });
  const double floor = polarkit::detail::gram_rounding_floor(cols_, {u, false});
  return {s.e_fro, std::max(e.max - 1.0, 1.0 - e.min), e.min, e.max, floor * e.max, u};
}

// Y = (b/c)X + (a − b/c)·X·Z⁻¹ with Z = I + c·XᵀX = (1 + c)I + c·E = RᵀR (qdwh.cpp's). False
// where pdpotrf finds Z not numerically positive definite.
template <class T>
bool Solve<T>::cholesky_step(const Halley& w, const DistMatrix<T>& X, DistMatrix<T>& Y) {
  const index_t n = cols_;
  pblas::laset<T>(Part::upper, n, n, T(0), static_cast<T>(1.0 + w.c), Z_.at());
  pblas::tradd<T>(Uplo::upper, Op::no_trans, n, n, static_cast<T>(w.c), E_.at(), T(1), Z_.at());
  if (!potrf(n, Z_.at())) return false;
  pblas::lacpy<T>(Part::all, n, n, X.at(), Y.at());
  trsm(Op::no_trans, n, n, Z_.at(), Y.at());
  trsm(Op::trans, n, n, Z_.at(), Y.at());
  pblas::geadd<T>(Op::no_trans, n, n, static_cast<T>(w.b / w.c), X.at(),
                  static_cast<T>(w.a - w.b / w.c), Y.at());
  return true;
}

// Y = (b/c)X + ((a − b/c)/√c)·Q₁Q₂ᵀ with [√c·X; I] = [Q₁; Q₂]R (pdgeqrf, pdorgqr).
template <class T>
void Solve<T>::qr_step(const Halley& w, const DistMatrix<T>& X, DistMatrix<T>& Y) {
  const index_t n = cols_;
  const double rho = std::sqrt(w.c);
  pblas::laset<T>(Part::all, n, n, T(0), T(0), W_.at());
  pblas::laset<T>(Part::all, n, n, T(0), T(1), W_.at(n, 0));
  pblas::geadd<T>(Op::no_trans, n, n, static_cast<T>(rho), X.at(), T(1), W_.at());
  geqrf(2 * n, n, W_.at());
  orgqr(2 * n, n, W_.at());
  pblas::lacpy<T>(Part::all, n, n, X.at(), Y.at());
  gemm(Op::no_trans, Op::trans, n, n, n, (w.a - w.b / w.c) / rho, W_.at(), W_.at(n, 0),
       w.b / w.c, Y.at());
}

// qdwh.cpp's loop: the same weights, kinds of step (but the Cholesky QR route, 'K', which this
// solver does not take: a Householder QR step instead) and stopping rule.
template <class T>
void Solve<T>::iterate(DistMatrix<T>& X, double ell0) {
  const index_t n = cols_;
  double ell = polarkit::detail::design_lower_bound<T>(ell0, report_);
  DistMatrix<T> Y = matrix(n, n);
  const double step_tol = std::cbrt(5.0 * u);
  const double floor = polarkit::detail::gram_rounding_floor(n, {u, false});
  double change = std::numeric_limits<double>::infinity();
  for (;;) {
    const bool first = report_.info().iterations == 0;
    GramSpectrum s = measure(X, first);
    bool done = false;
    if (std::abs(1.0 - ell) <= 5.0 * u) {
      done = change <= step_tol;
      if (!done && s.e_fro <= 2.0 * floor) {
        s = add_two_norm(s);
        done = s.e_two <= 16.0 * u;
      }
    }
    const bool last = done || report_.info().iterations >= options_.max_iter;
    if (last && std::isnan(s.e_two)) s = add_two_norm(s);
    report_.measured(s);
    if (last) {
      report_.converged(done);
      return;
    }
    const Halley w = polarkit::detail::dynamic_weights(ell);
    bool cholesky = false;
    if (w.c <= polarkit::detail::cholesky_limit) {
      const Work::Phase phase(work_, "step:cholesky");
      cholesky = cholesky_step(w, X, Y);
    }
    if (cholesky) {
      report_.step(StepKind::cholesky);
    } else {
      const Work::Phase phase(work_, "step:qr");
      qr_step(w, X, Y);
      report_.step(StepKind::qr);
    }
    if (std::abs(1.0 - w.ell_next) <= 5.0 * u) {
      const Work::Phase phase(work_, "step:difference");
      pblas::lacpy<T>(Part::all, n, n, Y.at(), Z_.at());
      pblas::geadd<T>(Op::no_trans, n, n, T(-1), X.at(), T(1), Z_.at());
      change = pblas::lange<T>(Norm::fro, n, n, Z_.at());
    }
    std::swap(X, Y);
    ell = w.ell_next;
  }
}

// rank.cpp's rule: n at no cost where U is orthonormal and the κ estimate certifies A
// numerically nonsingular; else counted from pdgesvd's singular values of A. converged: the
// loop's verdict where U meets the acceptance level.
template <class T>
void Solve<T>::settle_rank(bool done) {
  const PolarInfo& info = report_.info();
  const double epsilon = 2.0 * u;
  const double bar = polarkit::detail::acceptance_level(cols_, {u, false}, options_.tol);
  const bool orthonormal = info.ortho_error_fro <= bar;
  report_.converged(done && orthonormal);
  const double singular_kappa = 1.0 / (d(rows_) * epsilon);
  if (orthonormal && info.cond_estimate < singular_kappa) {
    report_.rank(static_cast<int>(cols_));
    return;
  }
  const Work::Phase phase(work_, "rank");
  const Sub none = A_tall_.at();  // not referenced: singular values only
  report_.rank(polarkit::detail::numerical_rank(gesvd(Job::no_vec, A_tall_, none, none), rows_,
                                                cols_, epsilon));
}

// H = sym(UᵀA) (pdgemm; pdtran and pdgeadd), or the SVD's symmetrised; tr H (pdlatra); the
// backward error on request (pdgemm, pdlange); H into the caller's distribution.
template <class T>
void Solve<T>::finish_h(const DistMatrix<T>& Ai, const DistMatrix<T>& Uo, DistMatrix<T>& Ht) {
  {
    const Work::Phase phase(work_, "h");
    if (options_.method != Method::svd) {
      gemm(Op::trans, Op::no_trans, n_, n_, m_, 1.0, Uo.at(), Ai.at(), 0.0, Ht.at());
    }
    pblas::tran<T>(n_, n_, T(1), Ht.at(), T(0), Z_.at());
    pblas::geadd<T>(Op::no_trans, n_, n_, T(0.5), Z_.at(), T(0.5), Ht.at());
    report_.nuclear_norm(pblas::latra<T>(n_, Ht.at()));
    copy(n_, n_, Ht.at(), Sub{H_.local, H_.desc});
  }
  if (!options_.backward_error) return;
  const Work::Phase phase(work_, "backward_error");
  DistMatrix<T> R = matrix(m_, n_);
  pblas::lacpy<T>(Part::all, m_, n_, Ai.at(), R.at());
  gemm(Op::no_trans, Op::no_trans, m_, n_, n_, -1.0, Uo.at(), Ht.at(), 1.0, R.at());
  report_.backward_error(pblas::lange<T>(Norm::fro, m_, n_, R.at()) /
                         pblas::lange<T>(Norm::fro, m_, n_, Ai.at()));
}

template <class T>
PolarInfo Solve<T>::run() {
  const Method method = options_.method == Method::svd ? Method::svd : Method::qdwh;
  report_.asked(options_.method);
  report_.ran(method);
  report_.unmeasured_h();
  DistMatrix<T> Ai = matrix(m_, n_);
  double amax = 0.0;
  {
    const Work::Phase phase(work_, "input");
    copy(m_, n_, In{A_.local, A_.desc}, Ai.at());
    amax = pblas::lange<T>(Norm::max, m_, n_, Ai.at());
  }
  if (amax == 0.0) {  // also an empty A
    zero_result();
    return release();
  }
  // The tall orientation X (m × n for m ≥ n, Aᵀ otherwise), and the square work matrices.
  DistMatrix<T> X = matrix(rows_, cols_);
  if (wide()) {
    pblas::tran<T>(rows_, cols_, T(1), Ai.at(), T(0), X.at());
  } else {
    pblas::lacpy<T>(Part::all, rows_, cols_, Ai.at(), X.at());
  }
  E_ = matrix(cols_, cols_);
  Z_ = matrix(std::max(cols_, n_), std::max(cols_, n_));
  DistMatrix<T> Ut = matrix(rows_, cols_);
  DistMatrix<T> Ht = want_h_ ? matrix(n_, n_) : DistMatrix<T>();
  // Every workspace this call may use, queried once and allocated once.
  if (method == Method::svd) {
    DistMatrix<T> W = matrix(rows_, cols_);
    DistMatrix<T> VT = matrix(cols_, cols_);
    std::vector<T> s(static_cast<std::size_t>(cols_));
    reserve(pblas::gesvd_work<T>(Job::vec, rows_, cols_, X.at(), s.data(), W.at(), VT.at()));
  } else {
    W_ = matrix(2 * cols_, cols_);
    reserve(pblas::geqrf_work<T>(rows_, cols_, X.at()));
    reserve(pblas::orgqr_work<T>(rows_, cols_, cols_, X.at()));
    reserve(pblas::geqrf_work<T>(2 * cols_, cols_, W_.at()));
    reserve(pblas::orgqr_work<T>(2 * cols_, cols_, cols_, W_.at()));
    reserve(pblas::lantr_work<T>(cols_, E_.at()));
    std::vector<T> s(static_cast<std::size_t>(cols_));
    reserve(pblas::gesvd_work<T>(Job::no_vec, rows_, cols_, X.at(), s.data(), X.at(), X.at()));
  }
  allocate_workspace(X);
  report_.scaled(normalise(X, amax));

  if (method == Method::svd) {
    solve_svd(X, Ut, Ht);
  } else {
    DistMatrix<T> R = matrix(cols_, cols_);
    const polarkit::detail::DesignBound design = reduce(X, R);
    const bool tall = rows_ > cols_;
    DistMatrix<T>& iterate_on = tall ? R : X;
    iterate(iterate_on, design.ell);
    const bool done = report_.info().converged;
    if (std::isfinite(design.cond_estimate)) report_.condition(design.cond_estimate);
    {
      const Work::Phase phase(work_, "expand");
      if (tall) {
        gemm(Op::no_trans, Op::no_trans, rows_, cols_, cols_, 1.0, X.at(), iterate_on.at(), 0.0,
             Ut.at());
      } else {
        pblas::lacpy<T>(Part::all, rows_, cols_, iterate_on.at(), Ut.at());
      }
    }
    W_ = DistMatrix<T>();
    A_tall_ = std::move(X);  // free now: the rank count may overwrite it with the tall A
    if (wide()) {
      pblas::tran<T>(rows_, cols_, T(1), Ai.at(), T(0), A_tall_.at());
    } else {
      pblas::lacpy<T>(Part::all, rows_, cols_, Ai.at(), A_tall_.at());
    }
    settle_rank(done);
  }
  // U in A's orientation, then into the caller's distribution.
  DistMatrix<T> Uo;
  {
    const Work::Phase phase(work_, "output");
    if (wide()) {
      Uo = matrix(m_, n_);
      pblas::tran<T>(m_, n_, T(1), Ut.at(), T(0), Uo.at());
    } else {
      Uo = std::move(Ut);
    }
    copy(m_, n_, Uo.at(), Sub{U_.local, U_.desc});
  }
  if (want_h_) finish_h(Ai, Uo, Ht);
  return release();
}

}  // namespace

template <class T>
PolarInfo polar(DistributedMatrix<const T> A, DistributedMatrix<T> U, DistributedMatrix<T> H,
                const PolarOptions& options) {
  const Grid grid = detail::grid_of(A.desc);
  Work work;
  {
    const Work::Phase phase(work, "check");
    detail::validate(grid, A, U, H, options);
    detail::require_finite(grid, A);
  }
  return Solve<T>(grid, A, U, H, options, work).run();
}

template PolarInfo polar<float>(DistributedMatrix<const float>, DistributedMatrix<float>,
                                DistributedMatrix<float>, const PolarOptions&);
template PolarInfo polar<double>(DistributedMatrix<const double>, DistributedMatrix<double>,
                                 DistributedMatrix<double>, const PolarOptions&);

}  // namespace polarkit::scalapack
