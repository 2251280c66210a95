// The optimizer steps (optim::step_batched) for the Python package's polarkit.torch and
// polarkit.optax: a group of same-shape parameters W, their gradients G and momentum states M
// come as lists of DLPack exports and are updated in place, hyper-parameters as the C ABI's
// text keys (c_api::set_optimizer_option), so that every front end validates them alike.
#include "optimizer.hpp"

#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "c_api/common.hpp"
#include "convert.hpp"
#include "operands.hpp"
#include "polarkit/optim.hpp"

namespace py = pybind11;

namespace polarkit::python {
namespace {

using Hyper = Text;

// Every hyper-parameter of the Config that `hyper` makes, as canonical text: the front ends
// check a group's hyper-parameters with it before the first parameter of a step is touched.
Hyper config_entry(const std::string& kind, const Hyper& hyper) {
  const optim::Config c = config_from(kind, hyper);
  Hyper canonical;
  for (const std::string_view key : c_api::optimizer_option_keys) {
    canonical.emplace(key, *c_api::get_optimizer_option(c, key));
  }
  canonical.emplace("kind", *c_api::get_optimizer_option(c, "kind"));
  return canonical;
}

template <class T>
std::vector<optim::StepReport> steps(const optim::Config& c, const Exports& w, const Exports& g,
                                     const Exports* m) {
  Operand<T> W(w, Access::read_write);
  Operand<T> G(g, Access::read);
  std::optional<Operand<T>> M;
  if (m != nullptr) M.emplace(*m, Access::read_write);
  const std::vector<MatrixView<const T>> gradients = G.const_views();
  std::vector<optim::StepReport> reports;
  {
    py::gil_scoped_release unlocked;
    // step_batched checks every operand before the first update: on an error nothing is written
    // (and the copies of odd strides are not written back).
    reports = optim::step_batched<T>(c, W.views(), gradients,
                                     M ? M->views() : std::vector<MatrixView<T>>{});
  }
  W.write_back();
  if (M) M->write_back();
  return reports;
}

// One step of every parameter of a group of one shape, dtype and device: W[i] and M[i] updated
// in place, one batched library call. m may be None only with momentum = 0.
py::list step_entry(const std::string& kind, const Hyper& hyper, const py::handle& w_obj,
                    const py::handle& g_obj, const py::handle& m_obj) {
  optim::Config config = config_from(kind, hyper);
  // The reports returned here leave the oracle's PolarInfo out, so its measurement of U (a Gram
  // matrix and two Lanczos runs: half of a 64 × 64 Muon step) is not made where skipping it
  // changes nothing else: Jordan's fixed budget, whose U is the same bit for bit without it
  // (PolarOptions::measure_result). Elsewhere it also settles the rank, so it stays.
  if (config.oracle.method == Method::muon) config.oracle.measure_result = false;
  const Exports w(w_obj, "w");
  const Exports g(g_obj, "g");
  w.require_like(g, "g", "w");
  const std::optional<Exports> m = w.optional_like(m_obj, "m", "w");
  const Exports* state = m ? &*m : nullptr;
  const std::vector<optim::StepReport> reports =
      w.first().dtype() == Dtype::f32 ? steps<float>(config, w, g, state)
                                      : steps<double>(config, w, g, state);
  py::list out;
  for (const optim::StepReport& r : reports) out.append(step_report(r));
  return out;
}

}  // namespace

void register_optimizer(py::module_& m) {
  m.def("optimizer_step", &step_entry, py::arg("kind"), py::arg("hyper"), py::arg("w"),
        py::arg("g"), py::arg("m"),
        "one optimizer step of a group of same-shape parameters, in place; per-parameter "
        "reports (nu, scale, update_norm)");
  m.def("optimizer_config", &config_entry, py::arg("kind"), py::arg("hyper"),
        "the canonical values of the given hyper-parameters (raises for a bad key or value)");
}

}  // namespace polarkit::python
