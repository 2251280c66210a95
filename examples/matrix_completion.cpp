// Low-rank matrix completion (docs/optimizers.md, "Experiments"): M = U*·V*ᵀ, 500×250,
// rank 5, 30 % of the entries observed (seeded mask), factorised as in the PolarGrad reference:
// f(L, R) = ‖P_Ω(LRᵀ − M)‖_F²/|Ω| with L 500×5 and R 250×5, each factor stepped by the same
// optimizer. Compares PolarGrad (γ = 1/(L_k·r) with the local smoothness bound L_k and r = 5),
// Muon with a constant lr and gradient descent with step 1/L_k. No momentum, no weight decay.
//
//   matrix_completion --csv completion.csv --plot completion.svg
#include <cstdio>
#include <iostream>

#include "experiments.hpp"

namespace ex = polarkit::examples;

int main(int argc, char** argv) {
  ex::ProgramOptions options;
  options.iterations = 1000;  // the reference's default
  int exit_code = 0;
  if (!ex::parse_options(argc, argv,
                         "Low-rank matrix completion (factorised): PolarGrad, Muon and gradient "
                         "descent",
                         options, exit_code)) {
    return exit_code;
  }
  // With --csv - the CSV owns stdout: the report goes to stderr.
  std::FILE* const out = options.csv == "-" ? stderr : stdout;
  std::ostream& summary = options.csv == "-" ? std::cerr : std::cout;
  try {
    const ex::MatrixCompletion problem(options.seed);
    const ex::Params X0 = problem.initial_point();
    ex::Params G;
    problem.loss(X0, &G);
    std::fprintf(out,
                 "low-rank matrix completion: 500x250, rank 5, %lld observed entries (%.1f %%), "
                 "seed %llu\n",
                 static_cast<long long>(problem.observed()),
                 100.0 * static_cast<double>(problem.observed()) / (500.0 * 250.0),
                 static_cast<unsigned long long>(options.seed));
    std::fprintf(out, "ranks of the gradients at X_0: %lld, %lld (bound r = %lld); L_0 = %.6e\n",
                 static_cast<long long>(ex::numerical_rank(G[0])),
                 static_cast<long long>(ex::numerical_rank(G[1])),
                 static_cast<long long>(problem.gradient_rank_bound()), problem.smoothness(X0));

    std::vector<ex::Run> runs;
    for (const ex::Optimizer& o : ex::compared_optimizers(options.muon_lr)) {
      if (!options.only.empty() && o.name.find(options.only) == std::string::npos) continue;
      runs.push_back(ex::run(problem, o, options.iterations));
      const ex::Run& run = runs.back();
      std::fprintf(out, "  %-42s f_T/f_0 = %.3e  recovery error %.3e  (%.1f s)\n", run.name.c_str(),
                   run.loss.back() / run.loss.front(), problem.relative_error(run.final_point),
                   run.seconds);
      std::fflush(out);
    }
    std::fprintf(out, "\n");
    ex::print_summary(summary, runs);
    summary.flush();
    return ex::write_outputs(options, runs,
                             "Low-rank matrix completion, f(L, R) = ‖P_Ω(LRᵀ − M)‖² / |Ω|",
                             "M 500×250 of rank 5, 30 % observed; L 500×5, R 250×5 from U[−1, 1); "
                             "L_k local, r = 5; no momentum")
               ? 0
               : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "matrix_completion: %s\n", e.what());
    return 1;
  }
}
