// polarkit._polarkit: the entry points the Python package (python/polarkit) calls. Matrices come
// and go through DLPack (dlpack_matrix.hpp), options as the text keys of the C ABI, reports as
// dicts; the package turns them into its own types. The GIL is released while polarkit works.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "c_api/common.hpp"
#include "dlpack_matrix.hpp"
#include "polarkit/condition.hpp"
#include "polarkit/polar.hpp"

namespace py = pybind11;

namespace polarkit::python {
namespace {

// Matrices copied because their strides were neither column- nor row-major with a leading
// dimension: the tests read it to prove that the usual layouts are not copied.
std::atomic<long> copies{0};

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::invalid_argument, message);
}

PolarOptions options_from(const std::map<std::string, std::string>& text) {
  PolarOptions o;
  for (const auto& [key, value] : text) {
    if (!c_api::set_polar_option(o, key, value)) invalid("unknown option '" + key + "'");
  }
  return o;
}

// The matrices of an argument: one DLPack export (a 2-D matrix or a 3-D stack) or a list of
// them, all of one shape, dtype and device.
class Exports {
 public:
  Exports(const py::handle& obj, const char* what) {
    if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
      for (const py::handle item : obj) parts_.push_back(std::make_unique<DlpackMatrices>(item, what));
      if (parts_.empty()) invalid(std::string(what) + ": an empty list of matrices");
    } else {
      parts_.push_back(std::make_unique<DlpackMatrices>(obj, what));
    }
    for (const auto& p : parts_) {
      if (p->rows() != first().rows() || p->cols() != first().cols() ||
          p->dtype() != first().dtype() || p->space() != first().space()) {
        invalid(std::string(what) + ": the matrices of a batch must share shape, dtype and device");
      }
      count_ += p->count();
    }
  }
  [[nodiscard]] const DlpackMatrices& first() const { return *parts_.front(); }
  [[nodiscard]] const std::vector<std::unique_ptr<DlpackMatrices>>& parts() const { return parts_; }
  [[nodiscard]] std::size_t count() const { return count_; }

 private:
  std::vector<std::unique_ptr<DlpackMatrices>> parts_;
  std::size_t count_ = 0;
};

// The items of an argument as views: in place where the layout allows, else through a
// column-major copy (made from the input, or written back to the output afterwards).
template <class T>
class Operand {
 public:
  Operand(const Exports& e, bool input) : input_(input) {
    for (const auto& part : e.parts()) {
      const DlpackMatrices& m = *part;
      for (std::size_t k = 0; k < m.count(); ++k) {
        if (m.in_place()) {
          views_.push_back(m.template view<T>(k));
          continue;
        }
        if (m.space() != MemorySpace::host) {
          invalid("a device array must be column- or row-major with unit stride in one dimension");
        }
        copies_.push_back({&m, k, Matrix<T>(m.rows(), m.cols())});
        Matrix<T>& c = copies_.back().matrix;
        if (input) {
          for (index_t j = 0; j < m.cols(); ++j) {
            for (index_t i = 0; i < m.rows(); ++i) c(i, j) = *m.template element<T>(k, i, j);
          }
        }
        ++copies;
        views_.push_back(c.view());
      }
    }
  }

  /// Writes the copies of an output back into the caller's memory.
  void write_back() {
    if (input_) return;
    for (Copy& c : copies_) {
      for (index_t j = 0; j < c.from->cols(); ++j) {
        for (index_t i = 0; i < c.from->rows(); ++i) *c.from->template element<T>(c.item, i, j) = c.matrix(i, j);
      }
    }
  }

  [[nodiscard]] const std::vector<MatrixView<T>>& views() const { return views_; }

 private:
  struct Copy {
    const DlpackMatrices* from;
    std::size_t item;
    Matrix<T> matrix;
  };
  bool input_;
  std::vector<Copy> copies_;  // views_ point into the copies' heap storage, which moves keep
  std::vector<MatrixView<T>> views_;
};

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

template <class T>
std::vector<PolarInfo> solve(const Exports& a, const Exports& u, const Exports* h,
                             const PolarOptions& options) {
  Operand<T> A(a, true);
  Operand<T> U(u, false);
  std::optional<Operand<T>> H;
  if (h != nullptr) H.emplace(*h, false);
  std::vector<MatrixView<const T>> in(A.views().begin(), A.views().end());
  std::vector<PolarInfo> infos;
  {
    py::gil_scoped_release unlocked;
    infos = polar_batched<T>(in, U.views(), H ? H->views() : std::vector<MatrixView<T>>{}, options);
  }
  U.write_back();
  if (H) H->write_back();
  return infos;
}

void require_same(const Exports& a, const Exports& x, const char* what) {
  if (x.first().dtype() != a.first().dtype()) invalid(std::string(what) + ": dtype differs from a's");
  if (x.first().space() != a.first().space()) invalid(std::string(what) + ": device differs from a's");
  if (x.count() != a.count()) {
    invalid(std::string(what) + ": " + std::to_string(x.count()) + " matrices, a has " +
            std::to_string(a.count()));
  }
}

// U (and H) of every matrix of a into u (and h): one polar_batched call. Returns the reports.
py::list polar_entry(const py::handle& a_obj, const py::handle& u_obj, const py::handle& h_obj,
                     const std::map<std::string, std::string>& option_text) {
  const PolarOptions options = options_from(option_text);
  const Exports a(a_obj, "a");
  const Exports u(u_obj, "out (U)");
  require_same(a, u, "out (U)");
  std::optional<Exports> h;
  if (!h_obj.is_none()) {
    h.emplace(h_obj, "out (H)");
    require_same(a, *h, "out (H)");
  }
  const std::vector<PolarInfo> infos =
      a.first().dtype() == Dtype::f32 ? solve<float>(a, u, h ? &*h : nullptr, options)
                              : solve<double>(a, u, h ? &*h : nullptr, options);
  py::list reports;
  for (const PolarInfo& info : infos) reports.append(report(info));
  return reports;
}

template <class T>
ConditionEstimate condition(const Exports& a) {
  Operand<T> A(a, true);
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
  // polarkit::Error becomes the package's exception of its code (polarkit/_errors.py).
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const polarkit::Error& e) {
      const py::object cls =
          py::module_::import("polarkit._errors").attr("error_class")(static_cast<int>(e.code()));
      PyErr_SetString(cls.ptr(), e.what());
    }
  });
  m.def("polar", &polarkit::python::polar_entry, py::arg("a"), py::arg("u"), py::arg("h"),
        py::arg("options"));
  m.def("estimate_condition", &polarkit::python::condition_entry, py::arg("a"));
  m.def("copies", [] { return polarkit::python::copies.load(); },
        "matrices copied so far because of their strides");
  m.def("method_names", [] { return polarkit::c_api::method_names(); });
}
