// block_cyclic.hpp — matrices distributed 2-D block-cyclically over a BLACS grid, for the
// distributed tests (tests/mpi) and benchmark (bench/scalapack_polar.cpp): the grid of all MPI
// processes, a process's blocks of a matrix every process holds (the block-cyclic index map
// written here, independently of the library), and the gather back onto every process.
// Header-only, for targets that link polarkit::mpi (MPI and ScaLAPACK); the BLACS, descinit and
// numroc prototypes come from the library's own declarations (src/mpi/scalapack/pblas.hpp).
#pragma once

#include "mpi/scalapack/pblas.hpp"  // first: mpi.h's C interface

#include <algorithm>
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "polarkit/matrix.hpp"
#include "polarkit/scalapack.hpp"

namespace polarkit::testkit {

/// The BLACS grid of all MPI processes, made once (collectively, at the first call): p
/// processes as r × p/r with r the largest divisor of p up to √p (1×1, 1×2, 1×3, 2×2, ...).
struct ProcessGrid {
  int context = -1;
  int nprow = 1;
  int npcol = 1;
  int myrow = 0;
  int mycol = 0;
  int rank = 0;
  int size = 1;
};

inline const ProcessGrid& process_grid() {
  static const ProcessGrid g = [] {
    ProcessGrid r;
    MPI_Comm_rank(MPI_COMM_WORLD, &r.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &r.size);
    for (int d = 1; d * d <= r.size; ++d) {
      if (r.size % d == 0) r.nprow = d;
    }
    r.npcol = r.size / r.nprow;
    r.context = Csys2blacs_handle(MPI_COMM_WORLD);
    Cblacs_gridinit(&r.context, "Row", r.nprow, r.npcol);
    Cblacs_gridinfo(r.context, &r.nprow, &r.npcol, &r.myrow, &r.mycol);
    return r;
  }();
  return g;
}

/// How a matrix is dealt: mb × nb blocks from process (rsrc, csrc).
struct BlockLayout {
  int mb = 64;
  int nb = 64;
  int rsrc = 0;
  int csrc = 0;
};

/// Global index of local index l (0-based) on process coordinate p of procs.
inline index_t global_of(index_t l, int nb, int p, int source, int procs) {
  return ((l / nb) * procs + (p - source + procs) % procs) * nb + l % nb;
}

/// This process's part of an m × n matrix: its local array (column-major) and descriptor.
template <class T>
struct LocalPart {
  index_t m = 0;
  index_t n = 0;
  BlockLayout layout;
  index_t rows = 0;  ///< local rows and columns
  index_t cols = 0;
  std::vector<T> data;
  std::array<int, 9> desc{};

  [[nodiscard]] index_t ld() const { return desc[8]; }
  /// f(global row, global column, local element) over this process's elements.
  template <class F>
  void each(F&& f) {
    const ProcessGrid& g = process_grid();
    for (index_t j = 0; j < cols; ++j) {
      for (index_t i = 0; i < rows; ++i) {
        f(global_of(i, layout.mb, g.myrow, layout.rsrc, g.nprow),
          global_of(j, layout.nb, g.mycol, layout.csrc, g.npcol),
          data[static_cast<std::size_t>(i + j * ld())]);
      }
    }
  }
  scalapack::DistributedMatrix<T> mutable_view() { return {data.data(), desc.data()}; }
  [[nodiscard]] scalapack::DistributedMatrix<const T> view() const {
    return {data.data(), desc.data()};
  }
};

/// A zero m × n matrix dealt as `layout`, LLD = max(1, local rows).
template <class T>
LocalPart<T> distributed_zeros(index_t m, index_t n, BlockLayout layout = {}) {
  const ProcessGrid& g = process_grid();
  LocalPart<T> L;
  L.m = m;
  L.n = n;
  L.layout = layout;
  const int mm = static_cast<int>(m);
  const int nn = static_cast<int>(n);
  L.rows = numroc_(&mm, &layout.mb, &g.myrow, &layout.rsrc, &g.nprow);
  L.cols = numroc_(&nn, &layout.nb, &g.mycol, &layout.csrc, &g.npcol);
  const int lld = static_cast<int>(std::max<index_t>(1, L.rows));
  int info = 0;
  descinit_(L.desc.data(), &mm, &nn, &layout.mb, &layout.nb, &layout.rsrc, &layout.csrc,
            &g.context, &lld, &info);
  if (info != 0) throw std::runtime_error("descinit failed, info = " + std::to_string(info));
  L.data.assign(static_cast<std::size_t>(std::max<index_t>(1, lld * L.cols)), T(0));
  return L;
}

/// This process's blocks of A, which every process holds alike (no communication).
template <class T>
LocalPart<T> distribute(const Matrix<T>& A, BlockLayout layout = {}) {
  LocalPart<T> L = distributed_zeros<T>(A.rows(), A.cols(), layout);
  L.each([&](index_t i, index_t j, T& a) { a = A(i, j); });
  return L;
}

/// The whole matrix on every process: each process's blocks in a zero matrix, summed over the
/// processes — one nonzero term per element, so the result is exact and the same everywhere.
template <class T>
Matrix<T> gather(LocalPart<T>& L) {
  std::vector<double> all(static_cast<std::size_t>(L.m * L.n), 0.0);
  L.each([&](index_t i, index_t j, T& a) {
    all[static_cast<std::size_t>(i + j * L.m)] = static_cast<double>(a);
  });
  MPI_Allreduce(MPI_IN_PLACE, all.data(), static_cast<int>(all.size()), MPI_DOUBLE, MPI_SUM,
                MPI_COMM_WORLD);
  Matrix<T> G(L.m, L.n);
  for (index_t j = 0; j < L.n; ++j) {
    for (index_t i = 0; i < L.m; ++i) G(i, j) = static_cast<T>(all[static_cast<std::size_t>(i + j * L.m)]);
  }
  return G;
}

}  // namespace polarkit::testkit
