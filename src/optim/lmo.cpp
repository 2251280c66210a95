// Scion's linear minimisation oracles: ColNorm, RowNorm, Sign and Spectral.
#include <cmath>
#include <limits>
#include <utility>

#include "core/api/checks.hpp"
#include "optim/kernels.hpp"
#include "polarkit/optim.hpp"
#include "polarkit/polar.hpp"

namespace polarkit::optim {
namespace {

using detail::Backend;
using detail::OptimKernels;

// Scales every column j of the column-major X to target·x_j/‖x_j‖ (a zero column stays zero),
// norms[j] = ‖x_j‖. Safe for any magnitude: a column whose norm overflowed is rescaled first,
// and a factor target/‖x_j‖ outside √(T's range) is applied in two parts (a power of two, then
// the rest), so no factor overflows or loses bits to underflow in T.
template <class T>
void normalize_columns(Backend<T>& be, OptimKernels<T>& kernels, MatrixView<T> X,
                       std::vector<double> norms, double target) {
  const auto n = static_cast<std::size_t>(X.cols());
  for (std::size_t j = 0; j < n; ++j) {
    if (std::isinf(norms[j])) {  // double entries near the overflow threshold
      const MatrixView<T> c = X.col(static_cast<index_t>(j));
      be.copy(std::ldexp(1.0, -std::numeric_limits<T>::max_exponent / 2), MatrixView<const T>(c),
              c);
      norms[j] = kernels.column_norms(c)[0];
    }
  }
  const double lo = std::sqrt(static_cast<double>(std::numeric_limits<T>::min()));
  const double hi = std::sqrt(static_cast<double>(std::numeric_limits<T>::max()));
  std::vector<double> coarse(n, 1.0);
  std::vector<double> fine(n, 0.0);
  bool two_parts = false;
  for (std::size_t j = 0; j < n; ++j) {
    if (norms[j] == 0.0) continue;  // a zero column stays zero
    int e = 0;
    const double mantissa = std::frexp(norms[j], &e);  // ‖x_j‖ = mantissa·2^e
    const double f = target / mantissa;
    const double whole = std::ldexp(f, -e);
    if (whole >= lo && whole <= hi) {
      fine[j] = whole;
    } else {
      coarse[j] = std::ldexp(1.0, -e / 2);
      fine[j] = std::ldexp(f, -e - (-e / 2));
      two_parts = true;
    }
  }
  if (two_parts) be.scale_columns(coarse, X);
  be.scale_columns(fine, X);
}

// out = columns of D normalised to `target` (a column-major work matrix when out is not).
template <class T>
void column_normalized(Backend<T>& be, OptimKernels<T>& kernels, MatrixView<const T> D,
                       MatrixView<T> out, double target) {
  Matrix<T> work;
  MatrixView<T> X = out;
  if (!out.is_col_major()) {
    work = be.allocate(D.rows(), D.cols());
    X = work.view();
  }
  be.copy(1.0, D, X);
  normalize_columns(be, kernels, X, kernels.column_norms(D), target);
  if (!out.is_col_major()) detail::copy(be, 1.0, std::as_const(work).view(), out);
}

}  // namespace

template <class T>
PolarInfo lmo(Kind kind, MatrixView<const std::type_identity_t<T>> D, MatrixView<T> out,
              const PolarOptions& oracle) {
  polarkit::detail::require_same_shape("lmo", D, "D", out, "out");
  if (kind != Kind::colnorm && kind != Kind::rownorm && kind != Kind::sign &&
      kind != Kind::spectral) {
    polarkit::detail::invalid("lmo: kind must be colnorm, rownorm, sign or spectral");
  }
  if (polarkit::detail::overlap(D, out)) polarkit::detail::invalid("lmo: out must not alias D");
  Backend<T>& be = polarkit::detail::backend_for<T>(D.space());
  OptimKernels<T>& kernels = detail::optim_kernels_for<T>(D.space());
  if (!be.all_finite(D)) throw Error(ErrorCode::non_finite_input, "lmo: D contains NaN or Inf");
  PolarInfo info;
  if (D.empty()) return info;
  const auto d_out = static_cast<double>(D.rows());
  const auto d_in = static_cast<double>(D.cols());
  switch (kind) {
    case Kind::colnorm:  // each column → √d_out·col/‖col‖
      column_normalized(be, kernels, D, out, std::sqrt(d_out));
      break;
    case Kind::rownorm:  // each row → row/(‖row‖·√d_in): the columns of Dᵀ
      column_normalized(be, kernels, D.transposed(), out.transposed(), 1.0 / std::sqrt(d_in));
      break;
    case Kind::sign:
      detail::sign(kernels, 1.0 / d_in, D, out);
      break;
    default: {  // spectral: msign(D)·√(d_out/d_in)
      PolarOptions o = oracle;
      o.compute_h = false;
      info = polar<T>(D, out, MatrixView<T>(), o);
      detail::copy(be, std::sqrt(d_out / d_in), MatrixView<const T>(out), out);
    }
  }
  return info;
}

template PolarInfo lmo<float>(Kind, MatrixView<const float>, MatrixView<float>,
                              const PolarOptions&);
template PolarInfo lmo<double>(Kind, MatrixView<const double>, MatrixView<double>,
                               const PolarOptions&);

}  // namespace polarkit::optim
