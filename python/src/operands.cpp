#include "operands.hpp"

#include <atomic>

namespace py = pybind11;

namespace polarkit::python {
namespace {

std::atomic<long> copies{0};

}  // namespace

long copies_made() { return copies.load(); }
void count_copy() { ++copies; }

Exports::Exports(const py::handle& obj, const char* what) {
  if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
    for (const py::handle item : obj) {
      parts_.push_back(std::make_unique<DlpackMatrices>(item, what));
    }
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

std::optional<Exports> Exports::optional_like(const pybind11::handle& obj, const char* what,
                                              const char* mine) const {
  if (obj.is_none()) return std::nullopt;
  std::optional<Exports> e(std::in_place, obj, what);
  require_like(*e, what, mine);
  return e;
}

void Exports::require_like(const Exports& other, const char* what, const char* mine) const {
  const std::string name(what);
  if (other.first().dtype() != first().dtype()) {
    invalid(name + ": dtype differs from " + mine + "'s");
  }
  if (other.first().space() != first().space()) {
    invalid(name + ": device differs from " + mine + "'s");
  }
  if (other.count() != count()) {
    invalid(name + ": " + std::to_string(other.count()) + " matrices, " + mine + " has " +
            std::to_string(count()));
  }
}

}  // namespace polarkit::python
