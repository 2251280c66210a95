#include "experiments.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "polarkit/error.hpp"
#include "testkit/plot.hpp"
#include "testkit/random.hpp"

// Fortran BLAS/LAPACK (LP64). The trailing size_t arguments are the hidden lengths of the
// character arguments that gfortran-built libraries expect.
extern "C" {
void dgemm_(const char*, const char*, const int*, const int*, const int*, const double*,
            const double*, const int*, const double*, const int*, const double*, double*,
            const int*, std::size_t, std::size_t);
void dsyev_(const char*, const char*, const int*, double*, const int*, double*, double*, const int*,
            int*, std::size_t, std::size_t);
void dgesdd_(const char*, const int*, const int*, double*, const int*, double*, double*, const int*,
             double*, const int*, double*, const int*, int*, int*, std::size_t);
}

namespace polarkit::examples {
namespace {

// The experiments' data come from splitmix64, the same numbers with every standard library
// (testkit/random.hpp), so that docs/optimizers.md's curves can be reproduced anywhere.
using testkit::SplitMix64;
using testkit::splitmix_gaussian;
using testkit::splitmix_uniform;

int to_int(index_t v) {
  if (v < 0 || v > std::numeric_limits<int>::max()) {
    throw std::invalid_argument("size does not fit the BLAS integer");
  }
  return static_cast<int>(v);
}

std::size_t count(const Matrix<double>& A) { return static_cast<std::size_t>(A.rows() * A.cols()); }

double dot(const Matrix<double>& A, const Matrix<double>& B) {
  const double* a = A.data();
  const double* b = B.data();
  double s = 0.0;
  for (std::size_t i = 0, n = count(A); i < n; ++i) s += a[i] * b[i];
  return s;
}

double norm2_squared(const Matrix<double>& A) { return dot(A, A); }

Matrix<double> copy_of(const Matrix<double>& A) {
  Matrix<double> B(A.rows(), A.cols());
  std::copy(A.data(), A.data() + count(A), B.data());
  return B;
}

}  // namespace

// --- dense helpers --------------------------------------------------------------------------

void gemm(bool transpose_a, bool transpose_b, double alpha, const Matrix<double>& A,
          const Matrix<double>& B, double beta, Matrix<double>& C) {
  const index_t m = transpose_a ? A.cols() : A.rows();
  const index_t k = transpose_a ? A.rows() : A.cols();
  const index_t kb = transpose_b ? B.cols() : B.rows();
  const index_t n = transpose_b ? B.rows() : B.cols();
  if (k != kb || C.rows() != m || C.cols() != n) {
    throw std::invalid_argument("gemm: shapes do not conform");
  }
  if (m == 0 || n == 0) return;
  const char ta = transpose_a ? 'T' : 'N';
  const char tb = transpose_b ? 'T' : 'N';
  const int im = to_int(m), in = to_int(n), ik = to_int(k);
  const int lda = to_int(A.ld()), ldb = to_int(B.ld()), ldc = to_int(C.ld());
  dgemm_(&ta, &tb, &im, &in, &ik, &alpha, A.data(), &lda, B.data(), &ldb, &beta, C.data(), &ldc, 1,
         1);
}

std::vector<double> symmetric_eigenvalues(const Matrix<double>& S) {
  if (S.rows() != S.cols()) throw std::invalid_argument("symmetric_eigenvalues: not square");
  const int n = to_int(S.rows());
  if (n == 0) return {};
  Matrix<double> a = copy_of(S);
  std::vector<double> w(static_cast<std::size_t>(n));
  const char jobz = 'N', uplo = 'L';
  const int lda = n;
  int info = 0;
  int lwork = -1;
  double query = 0.0;
  dsyev_(&jobz, &uplo, &n, a.data(), &lda, w.data(), &query, &lwork, &info, 1, 1);
  lwork = std::max(1, static_cast<int>(query));
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dsyev_(&jobz, &uplo, &n, a.data(), &lda, w.data(), work.data(), &lwork, &info, 1, 1);
  if (info != 0) {
    throw Error(ErrorCode::backend_failure, "dsyev failed, info = " + std::to_string(info));
  }
  return w;
}

std::vector<double> singular_values(const Matrix<double>& A) {
  const int m = to_int(A.rows()), n = to_int(A.cols());
  const int k = std::min(m, n);
  if (k == 0) return {};
  Matrix<double> a = copy_of(A);
  std::vector<double> s(static_cast<std::size_t>(k));
  std::vector<int> iwork(static_cast<std::size_t>(8 * k));
  const char jobz = 'N';
  const int lda = std::max(1, m), ldu = 1, ldvt = 1;
  double dummy = 0.0;
  int info = 0;
  int lwork = -1;
  double query = 0.0;
  dgesdd_(&jobz, &m, &n, a.data(), &lda, s.data(), &dummy, &ldu, &dummy, &ldvt, &query, &lwork,
          iwork.data(), &info, 1);
  lwork = std::max(1, static_cast<int>(query));
  std::vector<double> work(static_cast<std::size_t>(lwork));
  dgesdd_(&jobz, &m, &n, a.data(), &lda, s.data(), &dummy, &ldu, &dummy, &ldvt, work.data(), &lwork,
          iwork.data(), &info, 1);
  if (info != 0) {
    throw Error(ErrorCode::backend_failure, "dgesdd failed, info = " + std::to_string(info));
  }
  return s;
}

index_t numerical_rank(const Matrix<double>& A) {
  const std::vector<double> s = singular_values(A);
  if (s.empty()) return 0;
  const double tol = static_cast<double>(std::max(A.rows(), A.cols())) *
                     std::numeric_limits<double>::epsilon() * s.front();
  return static_cast<index_t>(std::count_if(s.begin(), s.end(), [&](double v) { return v > tol; }));
}

double spectral_norm(const Matrix<double>& A) {
  const bool tall = A.rows() >= A.cols();
  const index_t k = tall ? A.cols() : A.rows();
  Matrix<double> gram(k, k);
  gemm(tall, !tall, 1.0, A, A, 0.0, gram);
  const std::vector<double> w = symmetric_eigenvalues(gram);
  return w.empty() ? 0.0 : std::sqrt(std::max(0.0, w.back()));
}

// --- quadratic regression -----------------------------------------------------------------

QuadraticRegression::QuadraticRegression(std::uint64_t seed, index_t m, index_t n, index_t p,
                                         index_t q)
    : A_(splitmix_gaussian(p, m, seed)),
      B_(splitmix_gaussian(n, q, seed + 1)),
      X_star_(splitmix_gaussian(m, n, seed + 2)),
      C_(p, q),
      AtA_(m, m),
      BBt_(n, n),
      AtCBt_(m, n) {
  Matrix<double> AX(p, n);
  gemm(false, false, 1.0, A_, X_star_, 0.0, AX);
  gemm(false, false, 1.0, AX, B_, 0.0, C_);  // C = A·X*·B
  gemm(true, false, 1.0, A_, A_, 0.0, AtA_);
  gemm(false, true, 1.0, B_, B_, 0.0, BBt_);
  Matrix<double> CBt(p, n);
  gemm(false, true, 1.0, C_, B_, 0.0, CBt);
  gemm(true, false, 1.0, A_, CBt, 0.0, AtCBt_);
  half_c_norm2_ = 0.5 * norm2_squared(C_);
  const std::vector<double> ea = symmetric_eigenvalues(AtA_);
  const std::vector<double> eb = symmetric_eigenvalues(BBt_);
  lipschitz_ = ea.back() * eb.back();
  mu_ = std::max(0.0, ea.front()) * std::max(0.0, eb.front());
}

Params QuadraticRegression::initial_point() const {
  Params X;
  X.emplace_back(X_star_.rows(), X_star_.cols());  // zero
  return X;
}

index_t QuadraticRegression::gradient_rank_bound() const {
  return std::min(X_star_.rows(), X_star_.cols());
}

double QuadraticRegression::loss(const Params& X, Params* grad) const {
  const Matrix<double>& x = X.at(0);
  Matrix<double> T(x.rows(), x.cols());
  gemm(false, false, 1.0, AtA_, x, 0.0, T);
  Matrix<double> P(x.rows(), x.cols());
  gemm(false, false, 1.0, T, BBt_, 0.0, P);  // P = AᵀA·X·BBᵀ
  // f = ½⟨X, P⟩ − ⟨X, AᵀCBᵀ⟩ + ½‖C‖², ∇f = P − AᵀCBᵀ.
  double* p = P.data();
  const double* d = AtCBt_.data();
  const double* xv = x.data();
  double s = 0.0;
  for (std::size_t i = 0, n = count(P); i < n; ++i) {
    s += xv[i] * (0.5 * p[i] - d[i]);
    p[i] -= d[i];
  }
  if (grad != nullptr) {
    grad->clear();
    grad->push_back(std::move(P));
  }
  return s + half_c_norm2_;
}

double QuadraticRegression::loss_from_residual(const Matrix<double>& X) const {
  Matrix<double> AX(A_.rows(), X.cols());
  gemm(false, false, 1.0, A_, X, 0.0, AX);
  Matrix<double> R = copy_of(C_);
  gemm(false, false, 1.0, AX, B_, -1.0, R);
  return 0.5 * norm2_squared(R);
}

Matrix<double> QuadraticRegression::gradient_from_residual(const Matrix<double>& X) const {
  Matrix<double> AX(A_.rows(), X.cols());
  gemm(false, false, 1.0, A_, X, 0.0, AX);
  Matrix<double> R = copy_of(C_);
  gemm(false, false, 1.0, AX, B_, -1.0, R);  // R = AXB − C
  Matrix<double> AtR(A_.cols(), R.cols());
  gemm(true, false, 1.0, A_, R, 0.0, AtR);
  Matrix<double> G(X.rows(), X.cols());
  gemm(false, true, 1.0, AtR, B_, 0.0, G);  // Aᵀ(AXB − C)Bᵀ
  return G;
}

// --- matrix completion ----------------------------------------------------------------------

MatrixCompletion::MatrixCompletion(std::uint64_t seed, index_t m, index_t n, index_t rank,
                                   double fraction)
    : m_(m), n_(n), rank_(rank), seed_(seed), M_(m, n) {
  const Matrix<double> U = splitmix_gaussian(m, rank, seed);
  const Matrix<double> V = splitmix_gaussian(n, rank, seed + 1);
  gemm(false, true, 1.0, U, V, 0.0, M_);
  SplitMix64 rng(seed + 2);
  mask_.resize(static_cast<std::size_t>(m * n));
  for (auto& b : mask_) {
    b = rng.open01() < fraction ? 1 : 0;
    observed_ += b;
  }
  if (observed_ == 0) throw std::invalid_argument("MatrixCompletion: no observed entries");
}

Params MatrixCompletion::initial_point() const {
  Params X;
  X.push_back(splitmix_uniform(m_, rank_, -1.0, 1.0, seed_ + 3));
  X.push_back(splitmix_uniform(n_, rank_, -1.0, 1.0, seed_ + 4));
  return X;
}

double MatrixCompletion::loss(const Params& X, Params* grad) const {
  const Matrix<double>& L = X.at(0);
  const Matrix<double>& R = X.at(1);
  Matrix<double> E(m_, n_);
  gemm(false, true, 1.0, L, R, 0.0, E);
  double* e = E.data();
  const double* mv = M_.data();
  double s = 0.0;
  for (std::size_t i = 0, n = count(E); i < n; ++i) {
    e[i] = mask_[i] != 0 ? e[i] - mv[i] : 0.0;  // P_Ω(LRᵀ − M)
    s += e[i] * e[i];
  }
  const double inv = 1.0 / static_cast<double>(observed_);
  if (grad != nullptr) {
    grad->clear();
    grad->emplace_back(m_, rank_);
    grad->emplace_back(n_, rank_);
    gemm(false, false, 2.0 * inv, E, R, 0.0, (*grad)[0]);  // ∂f/∂L = 2/|Ω| · P_Ω(·)·R
    gemm(true, false, 2.0 * inv, E, L, 0.0, (*grad)[1]);   // ∂f/∂R = 2/|Ω| · P_Ω(·)ᵀ·L
  }
  return s * inv;
}

double MatrixCompletion::smoothness(const Params& X) const {
  const double nl = spectral_norm(X.at(0));
  const double nr = spectral_norm(X.at(1));
  const double residual_fro = std::sqrt(loss(X, nullptr) * static_cast<double>(observed_));
  return 2.0 * (nl * nl + nr * nr + residual_fro) / static_cast<double>(observed_);
}

double MatrixCompletion::relative_error(const Params& X) const {
  Matrix<double> E = copy_of(M_);
  gemm(false, true, 1.0, X.at(0), X.at(1), -1.0, E);
  return std::sqrt(norm2_squared(E) / norm2_squared(M_));
}

// --- optimizers -----------------------------------------------------------------------------

namespace {
// PolarGrad without momentum or weight decay, step 1/(L·r).
Optimizer polargrad(const char* name, optim::Nu nu, const PolarOptions& oracle) {
  Optimizer o;
  o.name = name;
  o.config = optim::Config::polargrad();
  o.config.momentum = 0.0;
  o.config.weight_decay = 0.0;
  o.config.nu = nu;
  o.config.oracle = oracle;
  o.rule = StepRule::inverse_l_rank;
  return o;
}

PolarOptions oracle_with(Method method) {
  PolarOptions o = optim::Config::polargrad().oracle;
  o.method = method;
  return o;
}
}  // namespace

Optimizer polargrad_nuclear_svd() {
  return polargrad("PolarGrad, nu = nuclear (SVD)", optim::Nu::nuclear, oracle_with(Method::svd));
}

Optimizer polargrad_inner_qdwh() {
  return polargrad("PolarGrad, nu = inner (QDWH)", optim::Nu::inner, oracle_with(Method::qdwh));
}

Optimizer polargrad_inner_jordan() {
  return polargrad("PolarGrad, nu = inner (Jordan 5 steps)", optim::Nu::inner,
                   optim::Config::muon_oracle());
}

Optimizer muon_constant(double lr, bool exact_oracle) {
  Optimizer o;
  char buf[64];
  std::snprintf(buf, sizeof buf, "Muon, lr = %g (%s)", lr, exact_oracle ? "SVD" : "Jordan 5 steps");
  o.name = buf;
  o.config = optim::Config{};  // kind muon, Jordan 5-step oracle
  o.config.momentum = 0.0;
  o.config.nesterov = false;
  o.config.weight_decay = 0.0;
  o.config.scale = optim::Scale::none;
  if (exact_oracle) {
    o.config.oracle = PolarOptions{};
    o.config.oracle.method = Method::svd;
    o.config.oracle.compute_h = false;
  }
  o.rule = StepRule::constant;
  o.lr = lr;
  return o;
}

Optimizer gradient_descent() {
  Optimizer o;
  o.name = "gradient descent, lr = 1/L";
  o.polar_step = false;
  o.rule = StepRule::inverse_l;
  return o;
}

std::vector<Optimizer> compared_optimizers(double muon_lr) {
  return {
      polargrad_nuclear_svd(),
      polargrad_inner_qdwh(),
      polargrad_inner_jordan(),
      muon_constant(muon_lr, false),
      muon_constant(muon_lr, true),
      gradient_descent(),
  };
}

Run run(const Problem& problem, const Optimizer& optimizer, int iterations) {
  Run r;
  r.name = optimizer.name;
  r.loss.assign(static_cast<std::size_t>(iterations) + 1, std::numeric_limits<double>::quiet_NaN());
  r.nu.assign(static_cast<std::size_t>(iterations), std::numeric_limits<double>::quiet_NaN());
  const auto start = std::chrono::steady_clock::now();

  Params X = problem.initial_point();
  Params G;
  Params M;  // momentum states, only with momentum > 0
  if (optimizer.polar_step && optimizer.config.momentum > 0.0) {
    for (const Matrix<double>& x : X) M.emplace_back(x.rows(), x.cols());
  }
  const double rank = static_cast<double>(problem.gradient_rank_bound());
  optim::Config config = optimizer.config;
  int k = 0;
  try {
    for (; k < iterations; ++k) {
      const double f = problem.loss(X, &G);
      r.loss[static_cast<std::size_t>(k)] = f;
      if (!std::isfinite(f)) {
        r.failure = "non-finite loss at iteration " + std::to_string(k);
        break;
      }
      double lr = optimizer.lr;
      if (optimizer.rule != StepRule::constant) {
        lr = 1.0 / problem.smoothness(X);
        if (optimizer.rule == StepRule::inverse_l_rank) lr /= rank;
      }
      for (std::size_t i = 0; i < X.size(); ++i) {
        if (optimizer.polar_step) {
          config.lr = lr;
          const optim::StepReport rep =
              optim::step<double>(config, X[i].view(), MatrixView<const double>(G[i].view()),
                                  M.empty() ? MatrixView<double>() : M[i].view());
          if (i == 0) r.nu[static_cast<std::size_t>(k)] = rep.nu;
        } else {
          double* x = X[i].data();
          const double* g = G[i].data();
          for (std::size_t j = 0, n = count(X[i]); j < n; ++j) x[j] -= lr * g[j];
          if (i == 0) r.nu[static_cast<std::size_t>(k)] = 1.0;
        }
      }
    }
    if (r.failure.empty()) r.loss[static_cast<std::size_t>(iterations)] = problem.loss(X, nullptr);
  } catch (const std::exception& e) {
    r.failure = "iteration " + std::to_string(k) + ": " + e.what();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.final_point = std::move(X);
  return r;
}

// --- output ---------------------------------------------------------------------------------

void write_csv(std::ostream& out, const std::vector<Run>& runs) {
  out << "iteration";
  for (const Run& r : runs) out << ",\"" << r.name << '"';
  out << '\n';
  std::size_t rows = 0;
  for (const Run& r : runs) rows = std::max(rows, r.loss.size());
  char buf[32];
  for (std::size_t k = 0; k < rows; ++k) {
    out << k;
    for (const Run& r : runs) {
      out << ',';
      if (k < r.loss.size() && std::isfinite(r.loss[k])) {
        std::snprintf(buf, sizeof buf, "%.17g", r.loss[k]);
        out << buf;
      }
    }
    out << '\n';
  }
}

std::string loss_plot_svg(const std::string& title, const std::string& subtitle,
                          const std::vector<Run>& runs) {
  testkit::CurvePlot plot;
  plot.title = title;
  plot.subtitle = subtitle;
  plot.x_label = "iteration k";
  plot.y_label_markup =
      "f(X<tspan dy=\"4\" font-size=\"10\">k</tspan><tspan dy=\"-4\">) / f(X</tspan>"
      "<tspan dy=\"4\" font-size=\"10\">0</tspan><tspan dy=\"-4\">)</tspan>";
  for (const Run& r : runs) {
    testkit::Curve curve{r.name, std::vector<double>(r.loss.size())};
    const double f0 = r.loss.empty() ? 0.0 : r.loss.front();
    for (std::size_t k = 0; k < r.loss.size(); ++k) curve.y[k] = r.loss[k] / f0;
    plot.curves.push_back(std::move(curve));
  }
  return testkit::render_curves_svg(plot);
}

void print_summary(std::ostream& out, const std::vector<Run>& runs) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-42s %14s %12s %10s %10s\n", "optimizer", "f(X_T)",
                "f(X_T)/f(X_0)", "time [s]", "ms/iter");
  out << buf;
  for (const Run& r : runs) {
    const double f0 = r.loss.front();
    const double fT = r.loss.back();
    const double per =
        r.loss.size() > 1 ? 1e3 * r.seconds / static_cast<double>(r.loss.size() - 1) : 0.0;
    std::snprintf(buf, sizeof buf, "%-42s %14.6e %12.3e %10.2f %10.2f\n", r.name.c_str(), fT,
                  fT / f0, r.seconds, per);
    out << buf;
    if (!r.failure.empty()) out << "  stopped: " << r.failure << '\n';
  }
}

}  // namespace polarkit::examples

// --- the programs' command line -------------------------------------------------------------

namespace polarkit::examples {

bool parse_options(int argc, char** argv, const std::string& description, ProgramOptions& options,
                   int& exit_code) {
  const std::string program = argc > 0 ? argv[0] : "example";
  const auto usage = [&](std::FILE* to) {
    std::fprintf(to,
                 "%s\n\nusage: %s [--iterations N] [--seed S] [--muon-lr X] [--csv FILE|-] "
                 "[--plot FILE.svg] [--only NAME]\n"
                 "  --iterations N  steps per optimizer (default %d)\n"
                 "  --seed S        seed of the problem's random data (default %llu)\n"
                 "  --muon-lr X     Muon's constant learning rate (default %g)\n"
                 "  --csv FILE      loss per iteration, one column per optimizer (- = stdout)\n"
                 "  --plot FILE     SVG plot of f(X_k)/f(X_0) against k\n"
                 "  --only NAME     run only the optimizers whose name contains NAME\n",
                 description.c_str(), program.c_str(), options.iterations,
                 static_cast<unsigned long long>(options.seed), options.muon_lr);
  };
  exit_code = 0;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        usage(stdout);
        return false;
      }
      if (i + 1 >= argc) throw std::invalid_argument("missing value after " + arg);
      const std::string value = argv[++i];
      std::size_t used = 0;
      if (arg == "--iterations") {
        const long v = std::stol(value, &used);
        if (v < 0 || v > 10'000'000) throw std::invalid_argument("--iterations out of range");
        options.iterations = static_cast<int>(v);
      } else if (arg == "--seed") {
        options.seed = std::stoull(value, &used);
      } else if (arg == "--muon-lr") {
        options.muon_lr = std::stod(value, &used);
        if (!(options.muon_lr > 0.0)) throw std::invalid_argument("--muon-lr must be positive");
      } else if (arg == "--csv") {
        options.csv = value;
        used = value.size();
      } else if (arg == "--plot") {
        options.plot = value;
        used = value.size();
      } else if (arg == "--only") {
        options.only = value;
        used = value.size();
      } else {
        throw std::invalid_argument("unknown option " + arg);
      }
      if (used != value.size()) throw std::invalid_argument("bad value for " + arg + ": " + value);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
    usage(stderr);
    exit_code = 2;
    return false;
  }
  return true;
}

bool write_outputs(const ProgramOptions& options, const std::vector<Run>& runs,
                   const std::string& title, const std::string& subtitle) {
  bool ok = true;
  std::FILE* const log = options.csv == "-" ? stderr : stdout;  // stdout may hold the CSV
  if (!options.csv.empty()) {
    if (options.csv == "-") {
      std::ostringstream s;
      write_csv(s, runs);
      std::fputs(s.str().c_str(), stdout);
    } else {
      std::ofstream f(options.csv);
      write_csv(f, runs);
      f.close();
      if (!f) {
        std::fprintf(stderr, "cannot write %s\n", options.csv.c_str());
        ok = false;
      } else {
        std::fprintf(log, "wrote %s\n", options.csv.c_str());
      }
    }
  }
  if (!options.plot.empty()) {
    std::ofstream f(options.plot);
    f << loss_plot_svg(title, subtitle, runs);
    f.close();
    if (!f) {
      std::fprintf(stderr, "cannot write %s\n", options.plot.c_str());
      ok = false;
    } else {
      std::fprintf(log, "wrote %s\n", options.plot.c_str());
    }
  }
  return ok;
}

}  // namespace polarkit::examples
