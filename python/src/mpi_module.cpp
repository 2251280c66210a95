// polarkit._polarkit_mpi: polarkit::mpi for the Python package's polarkit.mpi. The communicator
// arrives as its Fortran handle (mpi4py: comm.py2f()), so this module needs no mpi4py headers;
// the matrices as lists of DLPack exports, one matrix per entry (the shapes may differ).
#include <mpi.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "convert.hpp"
#include "dlpack_matrix.hpp"
#include "operands.hpp"
#include "polarkit/mpi.hpp"

namespace py = pybind11;

namespace polarkit::python {
namespace {

MPI_Comm communicator(int handle) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized == 0) invalid("MPI is not initialised (import mpi4py.MPI first)");
  const MPI_Comm comm = MPI_Comm_f2c(handle);
  if (comm == MPI_COMM_NULL) invalid("comm is MPI.COMM_NULL");
  return comm;
}

// The matrices of one list argument as views, each entry its own 2-D matrix (of any shape);
// None entries (allow_none: a sharded state not held here) become empty views.
template <class T>
class List {
 public:
  List(const py::handle& objs, const char* what, Access access, bool allow_none = false) {
    for (const py::handle obj : objs) {
      if (obj.is_none()) {
        if (!allow_none) invalid(std::string(what) + ": None in the list");
        views_.emplace_back();
        continue;
      }
      exports_.push_back(std::make_unique<Exports>(obj, what));
      if (exports_.back()->count() != 1) {
        invalid(std::string(what) + ": every entry must be one 2-D matrix");
      }
      operands_.push_back(std::make_unique<Operand<T>>(*exports_.back(), access));
      views_.push_back(operands_.back()->views().front());
    }
  }
  [[nodiscard]] const std::vector<MatrixView<T>>& views() const { return views_; }
  [[nodiscard]] std::vector<MatrixView<const T>> const_views() const {
    return {views_.begin(), views_.end()};
  }
  void write_back() {
    for (auto& o : operands_) o->write_back();
  }

 private:
  std::vector<std::unique_ptr<Exports>> exports_;  // Operand reads through them: kept in place
  std::vector<std::unique_ptr<Operand<T>>> operands_;
  std::vector<MatrixView<T>> views_;
};

bool is_float32(const py::handle& list) {
  for (const py::handle obj : list) {
    if (obj.is_none()) continue;
    return DlpackMatrices(obj, "a").dtype() == Dtype::f32;
  }
  return false;
}

template <class T>
py::list polar(int comm, const py::handle& a, const py::handle& u, const py::handle& h,
               const PolarOptions& options) {
  List<T> A(a, "a", Access::read);
  List<T> U(u, "u", Access::write);
  List<T> H(h.is_none() ? py::list() : py::reinterpret_borrow<py::object>(h), "h", Access::write);
  std::vector<PolarInfo> infos;
  {
    py::gil_scoped_release unlocked;
    infos = mpi::polar_batched<T>(communicator(comm), A.const_views(), U.views(), H.views(),
                                  options);
  }
  U.write_back();
  H.write_back();
  py::list out;
  for (const PolarInfo& info : infos) out.append(report(info));
  return out;
}

py::list polar_entry(int comm, const py::handle& a, const py::handle& u, const py::handle& h,
                     const Text& options) {
  const PolarOptions o = options_from(options);
  return is_float32(a) ? polar<float>(comm, a, u, h, o) : polar<double>(comm, a, u, h, o);
}

template <class T>
py::list step(int comm, const optim::Config& config, const py::handle& w, const py::handle& g,
              const py::handle& m, bool shard_state) {
  List<T> W(w, "w", Access::read_write);
  List<T> G(g, "g", Access::read);
  List<T> M(m.is_none() ? py::list() : py::reinterpret_borrow<py::object>(m), "m",
            Access::read_write, shard_state);
  std::vector<optim::StepReport> reports;
  {
    py::gil_scoped_release unlocked;
    reports = mpi::optim::step_batched<T>(communicator(comm), config, W.views(), G.const_views(),
                                          M.views(), {.shard_state = shard_state});
  }
  W.write_back();
  M.write_back();
  py::list out;
  for (const optim::StepReport& r : reports) out.append(step_report(r));
  return out;
}

py::list step_entry(int comm, const std::string& kind, const Text& hyper, const py::handle& w,
                    const py::handle& g, const py::handle& m, bool shard_state) {
  const optim::Config config = config_from(kind, hyper);
  return is_float32(w) ? step<float>(comm, config, w, g, m, shard_state)
                       : step<double>(comm, config, w, g, m, shard_state);
}

// The rank that owns each parameter of a list of shapes under these hyper-parameters.
std::vector<int> owners_entry(int ranks, const std::string& kind, const Text& hyper,
                              const std::vector<std::pair<index_t, index_t>>& shapes) {
  const optim::Config config = config_from(kind, hyper);
  std::vector<double> costs;
  for (const auto& [rows, cols] : shapes) costs.push_back(mpi::optim::estimated_cost(config, rows, cols));
  return mpi::assign(costs, ranks).owner;
}

}  // namespace
}  // namespace polarkit::python

PYBIND11_MODULE(_polarkit_mpi, m) {
  m.doc() = "polarkit's distributed part (polarkit_mpi); use polarkit.mpi";
  polarkit::python::register_error_translator();
  m.def("polar", &polarkit::python::polar_entry, py::arg("comm"), py::arg("a"), py::arg("u"),
        py::arg("h"), py::arg("options"));
  m.def("optimizer_step", &polarkit::python::step_entry, py::arg("comm"), py::arg("kind"),
        py::arg("hyper"), py::arg("w"), py::arg("g"), py::arg("m"), py::arg("shard_state"));
  m.def("owners", &polarkit::python::owners_entry, py::arg("ranks"), py::arg("kind"),
        py::arg("hyper"), py::arg("shapes"));
}
