// polarkit._polarkit's optimizer entry points (optimizer.cpp), registered by module.cpp.
#pragma once

#include <pybind11/pybind11.h>

namespace polarkit::python {

/// Adds optimizer_step() and optimizer_config() to the module.
void register_optimizer(pybind11::module_& m);

}  // namespace polarkit::python
