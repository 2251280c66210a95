// Matrix quadratic regression f(X) = ½‖AXB − C‖_F² (docs/optimizers.md, "Experiments"):
// X 500×100, A 1000×500, B 100×250, seeded Gaussian A, B, X*, C = A·X*·B, X₀ = 0. Compares
// PolarGrad (γ = 1/(L·r); ν = ‖G‖_* with the SVD oracle, ν = ⟨U, G⟩ with QDWH and with Muon's
// inexact 5-step oracle), Muon with a constant lr (Jordan 5 steps and the exact SVD oracle) and
// gradient descent with step 1/L. No momentum, no weight decay anywhere.
//
//   quadratic_regression --csv regression.csv --plot regression.svg
#include <cstdio>
#include <iostream>

#include "experiments.hpp"

namespace ex = polarkit::examples;

int main(int argc, char** argv) {
  ex::ProgramOptions options;
  int exit_code = 0;
  if (!ex::parse_options(argc, argv,
                         "Matrix quadratic regression f(X) = 1/2 ||AXB - C||_F^2: PolarGrad, Muon "
                         "and gradient descent",
                         options, exit_code)) {
    return exit_code;
  }
  // With --csv - the CSV owns stdout: the report goes to stderr.
  std::FILE* const out = options.csv == "-" ? stderr : stdout;
  std::ostream& summary = options.csv == "-" ? std::cerr : std::cout;
  try {
    const ex::QuadraticRegression problem(options.seed);
    const double L = problem.lipschitz();
    const double mu = problem.strong_convexity();
    ex::Params G;
    problem.loss(problem.initial_point(), &G);
    const polarkit::index_t rank0 = ex::numerical_rank(G[0]);
    const polarkit::index_t r = problem.gradient_rank_bound();
    std::fprintf(
        out, "matrix quadratic regression: X %lldx%lld, A %lldx%lld, B %lldx%lld, seed %llu\n",
        static_cast<long long>(problem.X_star().rows()),
        static_cast<long long>(problem.X_star().cols()), static_cast<long long>(problem.A().rows()),
        static_cast<long long>(problem.A().cols()), static_cast<long long>(problem.B().rows()),
        static_cast<long long>(problem.B().cols()), static_cast<unsigned long long>(options.seed));
    std::fprintf(out,
                 "L = lambda_max(A'A) lambda_max(BB') = %.6e, mu = %.6e, kappa = L/mu = %.1f\n", L,
                 mu, L / mu);
    std::fprintf(out,
                 "rank of grad f(X_0) = %lld (bound r = %lld used in 1/(L r)); "
                 "PolarGrad step 1/(L r) = %.6e, GD step 1/L = %.6e\n",
                 static_cast<long long>(rank0), static_cast<long long>(r),
                 1.0 / (L * static_cast<double>(r)), 1.0 / L);

    std::vector<ex::Run> runs;
    for (const ex::Optimizer& o : ex::compared_optimizers(options.muon_lr)) {
      if (!options.only.empty() && o.name.find(options.only) == std::string::npos) continue;
      runs.push_back(ex::run(problem, o, options.iterations));
      const ex::Run& run = runs.back();
      std::fprintf(out, "  %-42s f_T/f_0 = %.3e  (%.1f s)\n", run.name.c_str(),
                   run.loss.back() / run.loss.front(), run.seconds);
      std::fflush(out);
    }
    std::fprintf(out, "\n");
    ex::print_summary(summary, runs);
    summary.flush();
    char subtitle[200];
    std::snprintf(subtitle, sizeof subtitle,
                  "X 500×100, A 1000×500, B 100×250, X₀ = 0; L = %.3g, κ = L/μ = %.0f, r = %lld; "
                  "no momentum",
                  L, L / mu, static_cast<long long>(r));
    return ex::write_outputs(options, runs, "Matrix quadratic regression, f(X) = ½‖AXB − C‖²",
                             subtitle)
               ? 0
               : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quadratic_regression: %s\n", e.what());
    return 1;
  }
}
