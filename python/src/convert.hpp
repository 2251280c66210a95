// What every entry point of the Python package's compiled modules converts alike: options and
// hyper-parameters from the C ABI's text keys (so that every front end validates them the same
// way), reports into dicts.
#pragma once

#include <pybind11/pybind11.h>

#include <map>
#include <string>

#include "polarkit/info.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/options.hpp"

namespace polarkit::python {

using Text = std::map<std::string, std::string>;

/// PolarOptions from text keys; Error(invalid_argument) for an unknown key or a bad value.
PolarOptions options_from(const Text& text);

/// The Config of an optimizer kind with these hyper-parameters (text keys).
optim::Config config_from(const std::string& kind, const Text& hyper);

/// Every field of a report (for_each_field); phases as (name, seconds, flops, calls) tuples.
pybind11::dict report(const PolarInfo& info);

/// Makes polarkit::Error raise the package's exception of its code (polarkit/_errors.py) in
/// this extension module.
void register_error_translator();

/// What a step reports to Python: nu, scale, update_norm.
pybind11::dict step_report(const optim::StepReport& r);

}  // namespace polarkit::python
