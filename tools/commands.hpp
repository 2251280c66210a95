// commands.hpp — the subcommands of the `polarkit` program: their arguments, how they are
// declared on the command line, and what runs them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "polarkit/options.hpp"

namespace polarkit::cli {

/// For the options that name an output file: an empty name is an error (it was ignored, and the
/// output silently not written).
inline CLI::Validator non_empty_file_name() {
  return CLI::Validator(
      [](std::string& value) { return value.empty() ? std::string("empty file name") : std::string(); },
      "FILE");
}

/// Exit status for bad input or a failed computation (with one line on stderr).
inline constexpr int exit_bad_input = 2;

struct PolarArgs {
  std::string input;
  std::string method = "polar-express-adaptive";
  std::string dtype;  // empty: the file's dtype
  double tol = 0.0;
  int max_iter = 100;
  int steps = 0;
  std::string precision = "working";
  bool refine = false;
  bool no_two_norm = false;        ///< PolarOptions::two_norm_each_iterate = false
  bool no_measure_result = false;  ///< PolarOptions::measure_result = false
  std::string device = "cpu";
  std::string u_path;
  std::string h_path;
  bool json = false;
  int repeat = 1;  ///< run polar this many times and report the fastest run (warm caches, threads)
};

// The names of every method that iterates to tolerance (default_steps 0), in the library's order.
inline std::vector<std::string> methods_to_tolerance() {
  std::vector<std::string> names;
  for (const Method m : all_methods()) {
    if (default_steps(m) == 0) names.emplace_back(method_name(m));
  }
  return names;
}

// The defaults make `polarkit sweep` (no flags) the run docs/accuracy.md reports on: every
// method that iterates to tolerance (muon, a fixed 5-step budget, only when asked), the three
// spectra, n = 200: about 7 s on 2 cores (release build), well under a minute.
struct SweepArgs {
  std::vector<std::string> methods = methods_to_tolerance();
  std::int64_t n = 200;
  std::int64_t m = 0;        // 0: m = n
  std::vector<double> kappas;  // empty: the dtype's default list
  std::string dtype = "f64";
  std::vector<std::string> spectra{"geometric", "linear", "one-small"};
  std::uint64_t seed = 1;
  double tol = 0.0;
  int max_iter = 300;
  std::string precision = "working";  // for the Newton–Schulz methods; the others use dtype
  bool refine = false;
  std::string device = "cpu";
  bool progress = false;  // one line per solve on stderr when it is not a terminal
  std::string csv_path;
  std::string plot_path;
};

/// Declares `polar` on app; the options fill args.
CLI::App* add_polar_command(CLI::App& app, PolarArgs& args);
/// Declares `sweep` on app; the options fill args.
CLI::App* add_sweep_command(CLI::App& app, SweepArgs& args);

/// Run a subcommand. Bad input throws polarkit::Error; the return value is the exit status.
int run_polar(const PolarArgs& args);
int run_sweep(const SweepArgs& args);

}  // namespace polarkit::cli
