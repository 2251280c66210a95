#include "mpi/scalapack/distributed.hpp"

#include <algorithm>
#include <string>

#include "blas/fortran.hpp"
#include "polarkit/error.hpp"

namespace polarkit::scalapack::detail {

Grid Grid::of(int context) {
  Grid g;
  g.context = context;
  Cblacs_gridinfo(context, &g.nprow, &g.npcol, &g.myrow, &g.mycol);
  return g;
}

LocalExtent local_extent(const Grid& grid, const int* desc) {
  return {pblas::local_size(desc[m_], desc[mb_], grid.myrow, desc[rsrc_], grid.nprow),
          pblas::local_size(desc[n_], desc[nb_], grid.mycol, desc[csrc_], grid.npcol)};
}

template <class T>
DistMatrix<T>::DistMatrix(const Grid& grid, index_t m, index_t n, index_t nb)
    : grid_(grid), rows_(m), cols_(n) {
  local_rows_ = pblas::local_size(m, nb, grid.myrow, 0, grid.nprow);
  local_cols_ = pblas::local_size(n, nb, grid.mycol, 0, grid.npcol);
  ld_ = std::max<index_t>(1, local_rows_);
  const int zero = 0;
  int info = 0;
  using blas::fortran::Int;
  descinit_(desc_.data(), Int(m), Int(n), Int(nb), Int(nb), &zero, &zero, &grid.context, Int(ld_),
            &info);
  if (info != 0) {
    throw Error(ErrorCode::backend_failure,
                "scalapack::polar: descinit refused a work matrix (info " + std::to_string(info) + ")");
  }
  // At least one element: the routines take the local array's address even where it is empty.
  local_.assign(static_cast<std::size_t>(std::max<index_t>(1, ld_ * local_cols_)), T(0));
}

template <class T>
void scatter(MatrixView<const T> x, DistMatrix<T>& v) {
  v.for_each_local([&](index_t i, index_t, T& a) { a = x(i, 0); });
}

template <class T>
void gather(DistMatrix<T>& v, MatrixView<T> y) {
  std::vector<T> all(static_cast<std::size_t>(v.rows()), T(0));
  v.for_each_local([&](index_t i, index_t, T& a) { all[static_cast<std::size_t>(i)] = a; });
  pblas::sum(v.grid().context, std::span<T>(all));
  for (index_t i = 0; i < v.rows(); ++i) y(i, 0) = all[static_cast<std::size_t>(i)];
}

#define POLARKIT_INSTANTIATE(T)                                    \
  template class DistMatrix<T>;                                    \
  template void scatter<T>(MatrixView<const T>, DistMatrix<T>&);   \
  template void gather<T>(DistMatrix<T>&, MatrixView<T>);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::scalapack::detail
