// polarkit._polarkit: the entry points the Python package (python/polarkit) calls. Matrices come
// and go through DLPack (dlpack_matrix.hpp), options as the text keys of the C ABI, reports as
// dicts; the package turns them into its own types. The GIL is released while polarkit works.
// The optimizer steps are registered from optimizer.cpp; operands.hpp holds what both share.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "c_api/common.hpp"
#include "convert.hpp"
#include "operands.hpp"
#include "optimizer.hpp"
#include "polarkit/condition.hpp"
#include "polarkit/device.hpp"
#include "polarkit/polar.hpp"

namespace py = pybind11;

namespace polarkit::python {
namespace {

template <class T>
std::vector<PolarInfo> solve(const Exports& a, const Exports& u, const Exports* h,
                             const PolarOptions& options) {
  Operand<T> A(a, Access::read);
  Operand<T> U(u, Access::write);
  std::optional<Operand<T>> H;
  if (h != nullptr) H.emplace(*h, Access::write);
  const std::vector<MatrixView<const T>> in = A.const_views();
  std::vector<PolarInfo> infos;
  {
    py::gil_scoped_release unlocked;
    infos = polar_batched<T>(in, U.views(), H ? H->views() : std::vector<MatrixView<T>>{}, options);
  }
  U.write_back();
  if (H) H->write_back();
  return infos;
}

// U (and H) of every matrix of a into u (and h): one polar_batched call. Returns the reports.
py::list polar_entry(const py::handle& a_obj, const py::handle& u_obj, const py::handle& h_obj,
                     const std::map<std::string, std::string>& option_text) {
  const PolarOptions options = options_from(option_text);
  const Exports a(a_obj, "a");
  const Exports u(u_obj, "out (U)");
  a.require_like(u, "out (U)", "a");
  const std::optional<Exports> h = a.optional_like(h_obj, "out (H)", "a");
  const std::vector<PolarInfo> infos =
      a.first().dtype() == Dtype::f32 ? solve<float>(a, u, h ? &*h : nullptr, options)
                              : solve<double>(a, u, h ? &*h : nullptr, options);
  py::list reports;
  for (const PolarInfo& info : infos) reports.append(report(info));
  return reports;
}

template <class T>
ConditionEstimate condition(const Exports& a) {
  Operand<T> A(a, Access::read);
  const MatrixView<const T> view = A.views().front();
  py::gil_scoped_release unlocked;
  return estimate_condition<T>(view);
}

py::tuple condition_entry(const py::handle& a_obj) {
  const Exports a(a_obj, "a");
  if (a.count() != 1) invalid("estimate_condition: a must be one 2-D matrix");
  const ConditionEstimate c = a.first().dtype() == Dtype::f32 ? condition<float>(a) : condition<double>(a);
  return py::make_tuple(c.kappa, c.sigma_max, c.sigma_min_bound);
}

}  // namespace
}  // namespace polarkit::python

PYBIND11_MODULE(_polarkit, m) {
  m.doc() = "polarkit's compiled core; use the polarkit package";
  polarkit::python::register_error_translator();
  m.def("polar", &polarkit::python::polar_entry, py::arg("a"), py::arg("u"), py::arg("h"),
        py::arg("options"));
  m.def("estimate_condition", &polarkit::python::condition_entry, py::arg("a"));
  m.def("copies", &polarkit::python::copies_made,
        "matrices copied so far because of their strides");
  m.def("method_names", [] { return polarkit::c_api::method_names(); });
  m.def("cuda_device_count", [] { return polarkit::cuda_device_count(); },
        "CUDA devices this build can use (0 without the CUDA backend)");
  polarkit::python::register_optimizer(m);
}
