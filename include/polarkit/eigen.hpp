// polarkit/eigen.hpp — Eigen interop (header-only; needs Eigen 3.3 or later, <Eigen/Core> only).
//
//   Eigen::MatrixXd A = ...;                     // or RowMajor, float, a Map, a Ref, a block ...
//   auto [U, H, info] = polarkit::polar(A);     // U: m × n, H: n × n, in A's storage order
//   auto [V, none, report] = polarkit::msign(A.transpose() * 2.0);  // expressions are evaluated
//
//   // Results in the caller's storage: views of Eigen objects, no copies.
//   Eigen::Ref<Eigen::MatrixXd> out = big.block(0, 0, m, n);
//   polarkit::polar(polarkit::eigen::view(A), polarkit::eigen::view(out), {}, options);
//
// polarkit::eigen::view() makes a MatrixView of any Eigen matrix object with direct access to
// its storage (Matrix, Map, Ref, Block, Transpose; ColMajor or RowMajor; float or double;
// fixed or dynamic sizes): the pointer, the sizes and the outer stride as leading dimension, so
// a RowMajor matrix becomes a Layout::row_major view, never a copy. Elements must be contiguous
// along rows or along columns (inner stride 1); anything else, e.g. a Map with InnerStride<2>,
// is Error(invalid_argument) (Eigen::Ref<const M> of it, or .eval(), makes the contiguous copy).
//
// polar() and msign() of an Eigen matrix return an EigenPolarResult of Eigen matrices, laid out
// in the input's storage order: the raw-view call polar(view(A), view(U), view(H), options)
// into freshly allocated matrices, so the results are those of the raw-view API bit for bit.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <string>
#include <type_traits>

#include "polarkit/error.hpp"
#include "polarkit/info.hpp"
#include "polarkit/matrix_view.hpp"
#include "polarkit/options.hpp"
#include "polarkit/polar.hpp"

namespace polarkit {

/// What polar() and msign() of an Eigen matrix return: U is m × n, H is n × n (0 × 0 unless
/// options.compute_h; always 0 × 0 for msign), both with the input's storage order
/// (Eigen::ColMajor or Eigen::RowMajor). Destructures like PolarResult:
/// `auto [U, H, info] = polarkit::polar(A);`.
template <class Scalar, int StorageOrder>
struct EigenPolarResult {
  /// The Eigen matrix type of U and H: the input's scalar and storage order.
  using MatrixType = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, StorageOrder>;
  MatrixType U;    ///< the polar factor (m × n)
  MatrixType H;    ///< the Hermitian factor (n × n; empty when not computed)
  PolarInfo info;  ///< what the solve did
};

namespace eigen {
namespace detail {

// Eigen matrix objects: whatever converts to a reference to some Eigen::MatrixBase<Derived>,
// including a MatrixBase<Derived>& itself (what generic code taking Eigen arguments holds).
template <class Derived>
void accepts_matrix_base(const Eigen::MatrixBase<Derived>&);
template <class E>
concept eigen_matrix = requires(const E& e) { detail::accepts_matrix_base(e); };

// Whether the object exposes its storage (data() and strides): Matrix, Map, Ref, Block of those,
// Transpose. Products, sums and the like do not: polar() evaluates them first.
template <class Derived>
inline constexpr bool has_direct_access =
    (static_cast<unsigned>(Derived::Flags) & Eigen::DirectAccessBit) != 0u;

// Whether writes through it reach storage (not a Map/Ref of const, not a const object).
template <class Derived>
inline constexpr bool is_lvalue = (static_cast<unsigned>(Derived::Flags) & Eigen::LvalueBit) != 0u;

template <class Derived>
inline constexpr int storage_order = Derived::IsRowMajor ? Eigen::RowMajor : Eigen::ColMajor;

template <class Scalar>
inline constexpr bool is_supported_scalar =
    std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double>;

// Element (i, j) of a direct-access Eigen object is at data + i·row_stride + j·col_stride. A
// MatrixView needs unit stride along one direction: row_stride == 1 is column-major with
// ld = col_stride, col_stride == 1 row-major with ld = row_stride. A stride along a dimension of
// extent ≤ 1 is never used, so it need not be 1 (a row of a column-major matrix, which Eigen
// calls row-major with inner stride ld, is the column-major 1 × n view with that ld), and
// neither is a leading dimension then (Eigen reports 0 for an empty matrix). The storage order
// decides where both layouts fit. Not a template on the Eigen type: one copy per scalar.
template <class T>
MatrixView<T> strided_view(T* data, index_t rows, index_t cols, index_t row_stride,
                           index_t col_stride, bool prefer_row_major) {
  const bool fits_col_major = rows <= 1 || row_stride == 1;
  const bool fits_row_major = cols <= 1 || col_stride == 1;
  if (!fits_col_major && !fits_row_major) {
    throw Error(ErrorCode::invalid_argument,
                "polarkit::eigen::view: a " + std::to_string(rows) + "x" + std::to_string(cols) +
                    " Eigen matrix with row stride " + std::to_string(row_stride) +
                    " and column stride " + std::to_string(col_stride) +
                    ": a polarkit view needs inner stride 1 (contiguous rows or columns); "
                    "evaluate it into a matrix first");
  }
  const bool row_major = fits_row_major && (prefer_row_major || !fits_col_major);
  const bool empty = rows == 0 || cols == 0;
  const index_t contiguous = std::max<index_t>(1, row_major ? cols : rows);
  const index_t ld = empty || (row_major ? rows : cols) <= 1
                         ? contiguous
                         : (row_major ? row_stride : col_stride);
  return MatrixView<T>(data, rows, cols, ld, row_major ? Layout::row_major : Layout::col_major);
}

template <class Derived>
using PlainMatrix = Eigen::Matrix<typename Derived::Scalar, Eigen::Dynamic, Eigen::Dynamic,
                                  storage_order<Derived>>;

}  // namespace detail

/// A MatrixView of an Eigen matrix object with direct access (see the top of this header),
/// sharing its storage: MatrixView<Scalar> when it is writable (a non-const Matrix, a Map or Ref
/// of non-const, a block of those, also passed as a temporary: view(M.block(0, 0, 2, 2))),
/// MatrixView<const Scalar> otherwise. Throws Error(invalid_argument) when neither its rows nor
/// its columns are contiguous. A temporary Eigen::Matrix is refused at compile time: its view
/// would dangle.
template <class E>
  requires detail::eigen_matrix<std::remove_cvref_t<E>>
auto view(E&& A) {
  auto& object = A.derived();  // the most derived type, also for an argument typed MatrixBase<D>
  using Object = std::remove_reference_t<decltype(object)>;
  using Derived = std::remove_const_t<Object>;
  using Scalar = typename Derived::Scalar;
  static_assert(detail::is_supported_scalar<Scalar>, "polarkit works on float and double");
  static_assert(detail::has_direct_access<Derived>,
                "polarkit::eigen::view needs an object with storage (Matrix, Map, Ref, Block); "
                "evaluate an expression first (.eval())");
  static_assert(std::is_lvalue_reference_v<E> ||
                    !std::is_base_of_v<Eigen::PlainObjectBase<Derived>, Derived>,
                "a view of a temporary Eigen::Matrix would dangle");
  constexpr bool writable = !std::is_const_v<Object> && detail::is_lvalue<Derived>;
  using T = std::conditional_t<writable, Scalar, const Scalar>;
  T* const data = object.data();
  return detail::strided_view<T>(data, static_cast<index_t>(object.rows()),
                                 static_cast<index_t>(object.cols()),
                                 static_cast<index_t>(object.rowStride()),
                                 static_cast<index_t>(object.colStride()), Derived::IsRowMajor);
}

namespace detail {

// The raw-view call into Eigen matrices of the input's storage order. H is allocated only when
// it is asked for: an empty H view tells polar() not to form it.
template <class Scalar, int StorageOrder>
EigenPolarResult<Scalar, StorageOrder> polar_into_eigen(MatrixView<const Scalar> A,
                                                        const PolarOptions& options) {
  EigenPolarResult<Scalar, StorageOrder> result;
  result.U.resize(A.rows(), A.cols());
  if (options.compute_h) result.H.resize(A.cols(), A.cols());
  result.info = polarkit::polar(A, eigen::view(result.U), eigen::view(result.H), options);
  return result;
}

// Views the object when it has storage; an expression is evaluated once, in its storage order.
template <class Derived>
EigenPolarResult<typename Derived::Scalar, storage_order<Derived>> polar_of(
    const Derived& A, const PolarOptions& options) {
  using Scalar = typename Derived::Scalar;
  static_assert(is_supported_scalar<Scalar>, "polarkit works on float and double");
  if constexpr (has_direct_access<Derived>) {
    return polar_into_eigen<Scalar, storage_order<Derived>>(eigen::view(A), options);
  } else {
    const PlainMatrix<Derived> evaluated = A;
    return polar_into_eigen<Scalar, storage_order<Derived>>(eigen::view(evaluated), options);
  }
}

}  // namespace detail
}  // namespace eigen

/// Polar decomposition of an Eigen matrix or expression: polar() of include/polarkit/polar.hpp
/// (same options, same errors), with U and H as Eigen matrices in A's storage order.
template <class Derived>
EigenPolarResult<typename Derived::Scalar, eigen::detail::storage_order<Derived>> polar(
    const Eigen::MatrixBase<Derived>& A, const PolarOptions& options = {}) {
  return eigen::detail::polar_of(A.derived(), options);
}

/// msign(A) = U alone, as msign() of polar.hpp: H is not formed (result.H is 0 × 0).
template <class Derived>
EigenPolarResult<typename Derived::Scalar, eigen::detail::storage_order<Derived>> msign(
    const Eigen::MatrixBase<Derived>& A, const PolarOptions& options = {}) {
  PolarOptions without_h = options;  // what polarkit::msign does with a MatrixView
  without_h.compute_h = false;
  return eigen::detail::polar_of(A.derived(), without_h);
}

}  // namespace polarkit
