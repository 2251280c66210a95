// main.cpp — the `polarkit` program: parses the command line and dispatches to a subcommand.
// Every failure is one line on stderr, "polarkit: <message>", and exit status 2 (bad input) or 1 (an unexpected internal failure).
#include <exception>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "commands.hpp"
#include "polarkit/error.hpp"

namespace {

// Messages are printed on one line whatever they hold.
std::string one_line(std::string message) {
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return message;
}

int fail(const std::string& message, int status) {
  std::cerr << "polarkit: " << one_line(message) << std::endl;
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  namespace cli = polarkit::cli;
  CLI::App app{"polarkit: polar decomposition A = U·H and the matrix sign function"};
  app.name("polarkit");
  app.require_subcommand(1);
  cli::PolarArgs polar_args;
  cli::SweepArgs sweep_args;
  CLI::App* polar = cli::add_polar_command(app, polar_args);
  CLI::App* sweep = cli::add_sweep_command(app, sweep_args);

  if (argc > 1 && argv[1][0] != '-' && std::string(argv[1]) != "polar" &&
      std::string(argv[1]) != "sweep") {
    return fail("unknown subcommand '" + std::string(argv[1]) + "' (expected polar or sweep)",
                cli::exit_bad_input);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::string message = e.what();
    if (message == "A subcommand is required") message += ": polar or sweep (see polarkit --help)";
    return fail(message, cli::exit_bad_input);
  }

  try {
    if (polar->parsed()) return cli::run_polar(polar_args);
    if (sweep->parsed()) return cli::run_sweep(sweep_args);
    return fail("no subcommand given (polar or sweep)", cli::exit_bad_input);
  } catch (const polarkit::Error& e) {
    return fail(e.what(), cli::exit_bad_input);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
}
