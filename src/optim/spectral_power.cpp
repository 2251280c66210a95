// The spectral power map U·H^p, p ∈ [0, 1]: p = 0 is msign(A), p = 1 is A itself, p = 1/2 uses
// the polar factor of a Cholesky factor of H, any other p the eigendecomposition of H.
#include <algorithm>
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

// Eigenvalues of H below this fraction of the largest are rounding noise (H itself is only known
// to about n·u·‖H‖): they are mapped to 0, as a numerically zero singular value of A should be.
template <class T>
double noise_level(index_t n) {
  return static_cast<double>(n) * polarkit::detail::unit_roundoff<T>;
}

// Hp = H^{1/2} as the H-factor of polar(R), R = chol(H) (H = RᵀR ⇒ (RᵀR)^{1/2} = H^{1/2}): no
// eigendecomposition. False, with Hp untouched, when H is not numerically positive definite:
// Cholesky fails, or λ_min(H) = σ_min(R)² is estimated below the noise level of H.
template <class T>
bool half_power_by_cholesky(Backend<T>& be, MatrixView<const T> H, MatrixView<T> Hp,
                            const PolarOptions& options, PolarInfo& info) {
  const index_t n = H.rows();
  Matrix<T> R = be.allocate(n, n);
  be.copy(1.0, H, R.view());
  if (!be.cholesky(R.view())) return false;
  be.zero_strict_lower(R.view());
  // σ_min(R) ≈ 1/‖R⁻¹‖₁ against √(noise·λ_max) (tr(H) ≥ λ_max), compared as square roots so
  // that nothing overflows for tiny H.
  const double sigma_min = 1.0 / be.inverse_norms_upper(std::as_const(R).view()).one;
  if (!(sigma_min > std::sqrt(noise_level<T>(n) * be.trace(H)))) return false;
  PolarOptions o = options;
  o.compute_h = true;
  Matrix<T> Q = be.allocate(n, n);
  const PolarInfo inner = polar<T>(std::as_const(R).view(), Q.view(), Hp, o);
  info.flops += inner.flops;
  info.products += inner.products;
  return true;
}

// Hp = V·diag(max(λ, 0)^p)·Vᵀ from H = V·diag(λ)·Vᵀ, formed as Y·Yᵀ with Y = V·diag(λ^{p/2})
// (symmetric by construction); eigenvalues at the noise level count as 0.
template <class T>
void power_by_eigen(Backend<T>& be, OptimKernels<T>& kernels, MatrixView<const T> H, double p,
                    MatrixView<T> Hp) {
  const index_t n = H.rows();
  Matrix<T> V = be.allocate(n, n);
  std::vector<double> lambda = kernels.symmetric_eigen(H, V.view());
  const double top = lambda.empty() ? 0.0 : std::max(0.0, lambda.back());
  const double floor = noise_level<T>(n) * top;
  for (double& l : lambda) l = l > floor ? std::pow(l, p / 2) : 0.0;
  be.scale_columns(lambda, V.view());
  be.gram(1.0, std::as_const(V).view().transposed(), 0.0, Hp);
}

}  // namespace

template <class T>
PolarInfo spectral_power(MatrixView<const std::type_identity_t<T>> A, double p, MatrixView<T> out,
                         const PolarOptions& options) {
  if (!(p >= 0.0 && p <= 1.0)) {
    polarkit::detail::invalid("spectral_power: p must be in [0, 1], got " + std::to_string(p));
  }
  polarkit::detail::require_same_shape("spectral_power", A, "A", out, "out");
  if (polarkit::detail::overlap(A, out)) polarkit::detail::invalid("spectral_power: out must not alias A");
  Backend<T>& be = polarkit::detail::backend_for<T>(A.space());
  if (!be.all_finite(A)) {
    throw Error(ErrorCode::non_finite_input, "spectral_power: A contains NaN or Inf");
  }
  // U·H^p of Aᵀ is (U·H^p of A)ᵀ: work on the tall orientation, where H is the small factor.
  if (A.rows() < A.cols()) return spectral_power<T>(A.transposed(), p, out.transposed(), options);

  PolarInfo info;
  if (A.empty()) return info;
  PolarOptions o = options;
  if (p == 1.0) {
    detail::copy(be, 1.0, A, out);
    info.method = info.method_used = options.method;
    info.converged = true;
    info.zero_input = be.max_abs(A) == 0.0;
    info.backward_error = info.nuclear_norm = std::numeric_limits<double>::quiet_NaN();
    return info;
  }
  if (p == 0.0) {
    o.compute_h = false;
    return polar<T>(A, out, MatrixView<T>(), o);
  }
  const index_t m = A.rows();
  const index_t n = A.cols();
  o.compute_h = true;
  Matrix<T> U = be.allocate(m, n);
  Matrix<T> H = be.allocate(n, n);
  info = polar<T>(A, U.view(), H.view(), o);
  if (info.zero_input) {
    detail::copy(be, 0.0, std::as_const(U).view(), out);
    return info;
  }
  Matrix<T> Hp = be.allocate(n, n);
  const MatrixView<const T> Hc = std::as_const(H).view();
  if (!(p == 0.5 && half_power_by_cholesky(be, Hc, Hp.view(), o, info))) {
    power_by_eigen(be, detail::optim_kernels_for<T>(A.space()), Hc, p, Hp.view());
  }
  detail::gemm(be, 1.0, std::as_const(U).view(), std::as_const(Hp).view(), 0.0, out);
  return info;
}

template PolarInfo spectral_power<float>(MatrixView<const float>, double, MatrixView<float>,
                                         const PolarOptions&);
template PolarInfo spectral_power<double>(MatrixView<const double>, double, MatrixView<double>,
                                          const PolarOptions&);

}  // namespace polarkit::optim
