// command_line.cpp — parse_command_line: the subcommands declared on one CLI11 app, parsed.
#include "command_line.hpp"

#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "commands.hpp"

namespace polarkit::cli {

CommandLine parse_command_line(const std::vector<std::string>& args) {
  CommandLine result;
  // The app keeps pointers to result.polar and result.sweep; it is gone before result is
  // returned, so a copy or move of result never leaves it pointing at a dead object.
  CLI::App app{"polarkit: polar decomposition A = U·H and the matrix sign function"};
  app.name("polarkit");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("polarkit ") + POLARKIT_VERSION);
  CLI::App* polar = add_polar_command(app, result.polar);
  CLI::App* sweep = add_sweep_command(app, result.sweep);

  result.exit_status = exit_bad_input;
  if (!args.empty() && !args.front().starts_with('-') && args.front() != "polar" &&
      args.front() != "sweep") {
    result.error = "unknown subcommand '" + args.front() + "' (expected polar or sweep)";
    return result;
  }
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help
      std::ostringstream out;
      std::ostringstream err;
      result.exit_status = app.exit(e, out, err);
      result.output = out.str();
      return result;
    }
    result.error = e.what();
    if (result.error == "A subcommand is required") {
      result.error += ": polar or sweep (see polarkit --help)";
    }
    return result;
  }
  if (polar->parsed()) {
    result.action = CommandLine::Action::polar;
  } else if (sweep->parsed()) {
    result.action = CommandLine::Action::sweep;
  } else {
    result.error = "no subcommand given (polar or sweep)";
  }
  return result;
}

}  // namespace polarkit::cli
