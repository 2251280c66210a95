// The matrices of one argument of an entry point (polar's a, u, h; an optimizer's w, g, m) as
// polarkit views: in place where the strides allow, else through a column-major copy that is
// counted (copies_made()), so the tests can prove that the usual layouts are not copied.
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dlpack_matrix.hpp"
#include "polarkit/matrix.hpp"

namespace polarkit::python {

/// Matrices copied so far because their strides were neither column- nor row-major with a
/// leading dimension.
long copies_made();
void count_copy();

/// The matrices of an argument: one DLPack export (a 2-D matrix or a 3-D stack) or a list of
/// them, all of one shape, dtype and device.
class Exports {
 public:
  /// `what` names the argument in errors.
  Exports(const pybind11::handle& obj, const char* what);
  [[nodiscard]] const DlpackMatrices& first() const { return *parts_.front(); }
  [[nodiscard]] const std::vector<std::unique_ptr<DlpackMatrices>>& parts() const { return parts_; }
  [[nodiscard]] std::size_t count() const { return count_; }
  /// Throws invalid_argument unless `other` has this argument's dtype, device and count.
  void require_like(const Exports& other, const char* what, const char* mine) const;
  /// An optional argument (None: empty) that must be like this one (`mine` names this one).
  [[nodiscard]] std::optional<Exports> optional_like(const pybind11::handle& obj, const char* what,
                                                     const char* mine) const;

 private:
  std::vector<std::unique_ptr<DlpackMatrices>> parts_;
  std::size_t count_ = 0;
};

/// How an entry point uses an argument: what a copy must be filled from and written back to.
enum class Access { read, write, read_write };

/// The items of an argument as views: in place where the layout allows, else through a
/// column-major copy (filled from the caller's memory where the argument is read, written back
/// by write_back() where it is written).
template <class T>
class Operand {
 public:
  Operand(const Exports& e, Access access) : access_(access) {
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
        if (access != Access::write) {
          for (index_t j = 0; j < m.cols(); ++j) {
            for (index_t i = 0; i < m.rows(); ++i) c(i, j) = *m.template element<T>(k, i, j);
          }
        }
        count_copy();
        views_.push_back(c.view());
      }
    }
  }

  /// Writes the copies of a written argument back into the caller's memory.
  void write_back() {
    if (access_ == Access::read) return;
    for (Copy& c : copies_) {
      for (index_t j = 0; j < c.from->cols(); ++j) {
        for (index_t i = 0; i < c.from->rows(); ++i) {
          *c.from->template element<T>(c.item, i, j) = c.matrix(i, j);
        }
      }
    }
  }

  [[nodiscard]] const std::vector<MatrixView<T>>& views() const { return views_; }
  /// The views as read-only ones (an input's).
  [[nodiscard]] std::vector<MatrixView<const T>> const_views() const {
    return {views_.begin(), views_.end()};
  }

 private:
  struct Copy {
    const DlpackMatrices* from;
    std::size_t item;
    Matrix<T> matrix;
  };
  Access access_;
  std::vector<Copy> copies_;  // views_ point into the copies' heap storage, which moves keep
  std::vector<MatrixView<T>> views_;
};

}  // namespace polarkit::python
