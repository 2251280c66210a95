// The reference solver: A = W Σ Vᵀ (LAPACK gesdd, gesvd if that fails), U = W Vᵀ.
#include <limits>

#include "core/orthogonality.hpp"
#include "core/solvers.hpp"

namespace polarkit::detail {

template <class T>
void solve_svd(Ops<T>& ops, Matrix<T>& X, PolarInfo& info) {
  const index_t m = X.rows();
  const index_t n = X.cols();
  Matrix<T> W = ops.allocate(m, n);
  Matrix<T> Vt = ops.allocate(n, n);
  const std::vector<double> sigma = ops.backend().svd(std::as_const(X).view(), W.view(), Vt.view());
  const double dm = static_cast<double>(m);
  const double dn = static_cast<double>(n);
  ops.add_flops(6.0 * dm * dn * dn + 20.0 * dn * dn * dn);  // thin R-SVD (Golub & Van Loan)
  ops.gemm(1.0, std::as_const(W).view(), std::as_const(Vt).view(), 0.0, X.view());

  info.iterations = 0;
  info.cond_estimate = sigma.back() > 0.0 ? sigma.front() / sigma.back()
                                          : std::numeric_limits<double>::infinity();
  info.lower_bound = sigma.back();
  info.rank = numerical_rank(sigma, m, n, 2.0 * unit_roundoff<T>);
  OrthogonalityMeter<T> meter(ops, n);
  OrthogonalityMeter<T>::record(meter.measure(std::as_const(X).view()), info);
  info.converged = true;
}

template void solve_svd<float>(Ops<float>&, Matrix<float>&, PolarInfo&);
template void solve_svd<double>(Ops<double>&, Matrix<double>&, PolarInfo&);

}  // namespace polarkit::detail
