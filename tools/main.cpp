// main.cpp — the `polarkit` program: parses the command line and dispatches to a subcommand.
// Every failure is one line on stderr, "polarkit: <message>", and exit status 2 (bad input) or 1 (an unexpected internal failure).
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "command_line.hpp"
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
  const cli::CommandLine line = cli::parse_command_line(
      argc > 1 ? std::vector<std::string>(argv + 1, argv + argc) : std::vector<std::string>());
  try {
    switch (line.action) {
      case cli::CommandLine::Action::polar:
        return cli::run_polar(line.polar);
      case cli::CommandLine::Action::sweep:
        return cli::run_sweep(line.sweep);
      case cli::CommandLine::Action::exit:
        break;
    }
  } catch (const polarkit::Error& e) {
    return fail(e.what(), cli::exit_bad_input);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
  if (line.exit_status != 0) return fail(line.error, line.exit_status);
  std::cout << line.output;
  return 0;
}
