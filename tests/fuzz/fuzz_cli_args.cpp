// fuzz_cli_args.cpp — libFuzzer target of the `polarkit` program's command-line parsing:
// polarkit::cli::parse_command_line (tools/command_line.hpp), the step main() runs before a
// subcommand, on arbitrary arguments: the input split at '\n', one argument per line (the
// program name is not part of it). Parsing only: nothing is read, written or solved.
//
// A finding: a crash, hang or sanitizer report; an exception escaping the parser (main would
// terminate); an exit without a message (or, for status 0, without the help or version text); or parsed
// arguments that break what the declared validators guarantee run_polar and run_sweep (dtype,
// precision, device and spectrum names from their lists, --repeat in [1, 1000]).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "command_line.hpp"
#include "commands.hpp"
#include "fuzz_support.hpp"
#include "testkit/matrices.hpp"

namespace {

using polarkit::fuzz::require;
namespace cli = polarkit::cli;

bool one_of(const std::string& value, std::initializer_list<std::string_view> accepted) {
  return std::find(accepted.begin(), accepted.end(), value) != accepted.end();
}

void check_polar(const cli::PolarArgs& a) {
  require(one_of(a.dtype, {"", "f32", "f64"}), "polar --dtype outside its list", a.dtype);
  require(one_of(a.precision, {"working", "tf32", "bf16", "fp16"}),
          "polar --precision outside its list", a.precision);
  require(one_of(a.device, {"cpu", "cuda"}), "polar --device outside its list", a.device);
  require(a.repeat >= 1 && a.repeat <= 1000, "polar --repeat outside [1, 1000]");
}

void check_sweep(const cli::SweepArgs& a) {
  require(one_of(a.dtype, {"f32", "f64"}), "sweep --dtype outside its list", a.dtype);
  require(one_of(a.precision, {"working", "tf32", "bf16", "fp16"}),
          "sweep --precision outside its list", a.precision);
  require(one_of(a.device, {"cpu", "cuda"}), "sweep --device outside its list", a.device);
  const std::vector<std::string>& names = polarkit::testkit::spectrum_names();
  for (const std::string& s : a.spectra) {
    require(std::find(names.begin(), names.end(), s) != names.end(),
            "sweep --spectrum outside its list", s);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = polarkit::fuzz::as_text(data, size);
  std::vector<std::string> args;
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t end = std::min(input.find('\n', pos), input.size());
    args.emplace_back(input.substr(pos, end - pos));
    pos = end + 1;
  }

  cli::CommandLine line;
  try {
    line = cli::parse_command_line(args);
  } catch (const std::exception& e) {
    polarkit::fuzz::finding("an exception escaped the command-line parser", e.what());
  } catch (...) {
    polarkit::fuzz::finding("something other than a std::exception escaped the parser");
  }
  switch (line.action) {
    case cli::CommandLine::Action::polar:
      check_polar(line.polar);
      break;
    case cli::CommandLine::Action::sweep:
      check_sweep(line.sweep);
      break;
    case cli::CommandLine::Action::exit:
      require(line.exit_status != 0 ? !line.error.empty() : !line.output.empty(),
              "the parser stopped without a message or help text");
      break;
  }
  return 0;
}
