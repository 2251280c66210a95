#include "convert.hpp"

#include <pybind11/stl.h>

#include <exception>
#include <type_traits>
#include <vector>

#include "c_api/common.hpp"
#include "dlpack_matrix.hpp"

namespace py = pybind11;

namespace polarkit::python {

PolarOptions options_from(const Text& text) {
  PolarOptions o;
  for (const auto& [key, value] : text) {
    if (!c_api::set_polar_option(o, key, value)) invalid("unknown option '" + key + "'");
  }
  return o;
}

optim::Config config_from(const std::string& kind, const Text& hyper) {
  optim::Config c = c_api::optimizer_config(kind);
  for (const auto& [key, value] : hyper) {
    if (!c_api::set_optimizer_option(c, key, value)) {
      invalid("unknown optimizer hyper-parameter '" + key + "' (keys: " +
              c_api::key_list(c_api::optimizer_option_keys) + ")");
    }
  }
  return c;
}

py::dict report(const PolarInfo& info) {
  py::dict d;
  for_each_field(info, [&](const char* name, const auto& value) {
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::vector<PhaseTime>>) {
      py::list phases;
      for (const PhaseTime& p : value) phases.append(py::make_tuple(p.name, p.seconds, p.flops, p.calls));
      d[name] = phases;
    } else {
      d[name] = value;
    }
  });
  return d;
}

void register_error_translator() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const polarkit::Error& e) {
      const py::object cls =
          py::module_::import("polarkit._errors").attr("error_class")(static_cast<int>(e.code()));
      PyErr_SetString(cls.ptr(), e.what());
    }
  });
}

py::dict step_report(const optim::StepReport& r) {
  py::dict d;
  d["nu"] = r.nu;
  d["scale"] = r.scale;
  d["update_norm"] = r.update_norm;
  return d;
}

}  // namespace polarkit::python
