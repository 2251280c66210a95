// command_line.hpp — the `polarkit` command line turned into what to run, without running it:
// main() runs the result, and tests/fuzz/fuzz_cli_args.cpp feeds the parser arbitrary arguments
// (which is why parsing must stay free of file access and of solves).
#pragma once

#include <string>
#include <vector>

#include "commands.hpp"

namespace polarkit::cli {

/// What a command line asks for.
struct CommandLine {
  enum class Action { polar, sweep, exit };
  Action action = Action::exit;
  PolarArgs polar;      ///< action == polar: its arguments
  SweepArgs sweep;      ///< action == sweep: its arguments
  int exit_status = 0;  ///< action == exit: the status to exit with
  std::string output;   ///< action == exit with status 0: the text for stdout (--help)
  std::string error;    ///< action == exit with another status: the message for stderr
};

/// Parses the arguments that follow the program name. Parsing only: no file is opened or
/// written and no solve is run (run_polar and run_sweep do that, and check the values
/// further).
[[nodiscard]] CommandLine parse_command_line(const std::vector<std::string>& args);

}  // namespace polarkit::cli
