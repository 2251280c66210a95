// The distributed matrices of scalapack::polar: the process grid of a BLACS context, the
// solver's own block-cyclic matrices, the local loops over them, and the replicated vectors
// through which the library's Lanczos runs on a distributed operator.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "core/kernels/backends.hpp"
#include "core/linalg/lanczos.hpp"
#include "mpi/scalapack/pblas.hpp"
#include "polarkit/matrix_view.hpp"

namespace polarkit::scalapack::detail {

/// ScaLAPACK's descriptor fields (DESC_ in its sources).
enum Field : std::size_t { dtype_ = 0, ctxt_, m_, n_, mb_, nb_, rsrc_, csrc_, lld_, desc_size_ };

/// A BLACS context's process grid and the calling process's place in it (−1 outside it).
struct Grid {
  int context = -1;
  int nprow = 0;
  int npcol = 0;
  int myrow = -1;
  int mycol = -1;

  static Grid of(int context);
  [[nodiscard]] bool holds_me() const {
    return myrow >= 0 && myrow < nprow && mycol >= 0 && mycol < npcol;
  }
  [[nodiscard]] bool root() const { return myrow == 0 && mycol == 0; }
  [[nodiscard]] int processes() const { return nprow * npcol; }
};

/// The local extent of a distributed matrix of descriptor desc on this process (numroc).
struct LocalExtent {
  index_t rows = 0;
  index_t cols = 0;
};
LocalExtent local_extent(const Grid& grid, const int* desc);

/// Global index of local index `local` of a dimension dealt in blocks of nb from process
/// `source` over `procs`, on process `proc` (ScaLAPACK's indxl2g, 0-based).
inline index_t global_index(index_t local, index_t nb, int proc, int source, int procs) {
  const index_t offset = (proc - source + procs) % procs;
  return ((local / nb) * procs + offset) * nb + local % nb;
}

/// The solver's own matrices: m × n, nb × nb blocks dealt from process (0, 0) of the grid, the
/// local array column-major with its leading dimension max(1, local rows).
template <class T>
class DistMatrix {
 public:
  DistMatrix() = default;
  DistMatrix(const Grid& grid, index_t m, index_t n, index_t nb);

  [[nodiscard]] index_t rows() const { return rows_; }
  [[nodiscard]] index_t cols() const { return cols_; }
  [[nodiscard]] const int* desc() const { return desc_.data(); }
  [[nodiscard]] const Grid& grid() const { return grid_; }

  /// The submatrix from global (i, j) on, for the PBLAS wrappers.
  [[nodiscard]] pblas::Sub<T> at(index_t i = 0, index_t j = 0) {
    return {local_.data(), desc_.data(), i, j};
  }
  [[nodiscard]] pblas::Sub<const T> at(index_t i = 0, index_t j = 0) const {
    return {local_.data(), desc_.data(), i, j};
  }

  /// f(global row, global column, local element) for every element this process holds.
  template <class F>
  void for_each_local(F&& f) {
    visit(*this, f);
  }
  template <class F>
  void for_each_local(F&& f) const {
    visit(*this, f);
  }

  /// f(global index, local element) for the diagonal elements this process holds.
  template <class F>
  void for_each_local_diagonal(F&& f) {
    visit(*this, [&](index_t i, index_t j, T& a) {
      if (i == j) f(i, a);
    });
  }
  template <class F>
  void for_each_local_diagonal(F&& f) const {
    visit(*this, [&](index_t i, index_t j, const T& a) {
      if (i == j) f(i, a);
    });
  }

 private:
  Grid grid_;
  index_t rows_ = 0;
  index_t cols_ = 0;
  index_t local_rows_ = 0;
  index_t local_cols_ = 0;
  index_t ld_ = 1;
  std::array<int, desc_size_> desc_{};
  std::vector<T> local_;

  template <class Self, class F>
  static void visit(Self& self, F&& f) {
    const index_t nb = self.desc_[nb_];
    const Grid& g = self.grid_;
    for (index_t lj = 0; lj < self.local_cols_; ++lj) {
      const index_t gj = global_index(lj, nb, g.mycol, 0, g.npcol);
      for (index_t li = 0; li < self.local_rows_; ++li) {
        f(global_index(li, nb, g.myrow, 0, g.nprow), gj,
          self.local_[static_cast<std::size_t>(li + lj * self.ld_)]);
      }
    }
  }
};

/// A replicated n-vector (every process holds all of it) and a distributed n × 1 one: x's
/// elements into v's local part, and v gathered into y on every process. The gather sums one
/// nonzero contribution per element, so y is the same, bit for bit, everywhere.
template <class T>
void scatter(MatrixView<const T> x, DistMatrix<T>& v);
template <class T>
void gather(DistMatrix<T>& v, MatrixView<T> y);

/// Extreme eigenvalues of a symmetric n × n operator distributed over the grid, by the
/// library's Lanczos (core/linalg/lanczos.hpp) on replicated vectors: apply(x, y) sets the
/// distributed y = (operator)·x. Every process runs the same iteration on the same numbers (the
/// gather is exact), as ScaLAPACK's own estimators assume processes alike; the result is then
/// broadcast from process (0, 0), so that it is the same everywhere whatever the BLAS.
template <class T, class Apply>
polarkit::detail::Extremes distributed_extremes(const Grid& grid, index_t n, index_t nb, int steps,
                                                Apply&& apply) {
  polarkit::detail::Ops<T> host(polarkit::detail::cpu_backend<T>());
  polarkit::detail::Lanczos<T> lanczos(host, n, 1, steps);
  DistMatrix<T> x(grid, n, 1, nb);
  DistMatrix<T> y(grid, n, 1, nb);
  const polarkit::detail::Extremes e =
      lanczos.extremes([&](MatrixView<const T> in, MatrixView<T> out) {
        scatter(in, x);
        apply(std::as_const(x), y);
        gather(y, out);
      });
  std::array<double, 2> values{e.min, e.max};
  pblas::broadcast(grid.context, std::span<double>(values), 0, 0);
  return {values[0], values[1]};
}

}  // namespace polarkit::scalapack::detail
