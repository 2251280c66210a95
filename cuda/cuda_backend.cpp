// The CUDA backend: cuBLAS for the products and triangular solves, cuSOLVER for QR, Cholesky,
// LU, the SVD and the symmetric eigensolver, and the kernels of elementwise.cu and reductions.cu
// for the O(mn) work. Everything is queued on the context's stream; the host waits only where a
// value comes back to it:
//   - the scalar reductions max_abs, norm_fro, norm_fro_minus_identity, dot, trace, all_finite
//     and norm_fro_difference, and column_norms: one read each;
//   - cholesky (potrf's info) and invert (getrf's info): one read each;
//   - svd and symmetric_eigen: two reads each (info, then the values);
//   - inverse_norms_upper: R comes to the host for LAPACK's trcon (cuSOLVER has no condition
//     estimator), n² elements, once per rational solve (ℓ₀ from the 1- and ∞-norm estimates);
//   - copy() and scale_columns() from pageable host memory may wait too, when the driver stages
//     the data (the solvers do it once per Lanczos run, for its start vector).
#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "check.hpp"
#include "context.hpp"
#include "core/kernels/backends.hpp"
#include "cublas.hpp"
#include "products.hpp"
#include "cusolver.hpp"
#include "kernels.hpp"
#include "optim/kernels.hpp"

namespace polarkit::detail {
namespace {

using namespace cuda_shared;  // NOLINT: the shared pieces of products.hpp

// One call's device scratch, each piece aligned to 256 bytes as cudaMalloc's memory is.
class ScratchLayout {
 public:
  template <class U>
  std::size_t reserve(std::size_t elements) {
    const std::size_t offset = bytes_;
    bytes_ += (elements * sizeof(U) + 255) / 256 * 256;
    return offset;
  }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::size_t bytes_ = 0;
};

template <class U>
U* piece(void* base, std::size_t offset) {
  return reinterpret_cast<U*>(static_cast<std::byte*>(base) + offset);
}

// A cuSOLVER routine's info and work array, in the context's workspace.
template <class T>
struct SolverScratch {
  int* info;
  T* work;
};

template <class T>
SolverScratch<T> solver_scratch(Context::Session& session, int lwork) {
  ScratchLayout layout;
  const std::size_t info = layout.reserve<int>(1);
  const std::size_t work = layout.reserve<T>(static_cast<std::size_t>(lwork));
  void* base = session.workspace(layout.bytes());
  return {piece<int>(base, info), piece<T>(base, work)};
}

int read_info(Context::Session& session, const int* info) {
  int value = 0;
  session.read(info, &value, sizeof value);
  return value;
}

[[noreturn]] void solver_failed(const char* routine, int info) {
  throw Error(ErrorCode::backend_failure,
              std::string("cuSOLVER ") + routine + " failed with info = " + std::to_string(info));
}

// The optimizer's kernels (optim/kernels.hpp) on the same class, not a class of their own: they
// need this backend's context (its stream, so they run in order with the backend's kernels), its
// solver scratch and read-backs, and one object per device serves both interfaces.
template <class T>
class CudaBackend final : public CudaProducts<T, Backend<T>, cuda::TypedProducts<T>>,
                          public optim::detail::OptimKernels<T> {
  using Base = CudaProducts<T, Backend<T>, cuda::TypedProducts<T>>;
  using Base::add_diagonal;
  using Base::allocate;
  using Base::context_;
  using Base::copy;
  using Base::reduce;
  using Base::scale;
  using Blas = cuda::Cublas<T>;
  using Solver = cuda::Cusolver<T>;

 public:
  using Base::Base;

  void zero_strict_lower(MatrixView<T> A) override {
    require_device(A, "zero_strict_lower: A");
    auto session = context_.session();
    cuda::zero_strict_lower(strided(A), session.stream());
  }

  void symmetrize(MatrixView<T> C) override {
    require(C.rows() == C.cols(), who, "symmetrize: matrix is not square");
    require_device(C, "symmetrize: C");
    auto session = context_.session();
    cuda::symmetrize(strided(C), session.stream());
  }

  void scale_columns(std::span<const double> d, MatrixView<T> A) override {
    require(static_cast<index_t>(d.size()) == A.cols(), who, "scale_columns: size mismatch");
    require_device(A, "scale_columns: A");
    if (A.empty()) return;
    const std::vector<T> factors(d.begin(), d.end());
    auto session = context_.session();
    auto* device = static_cast<T*>(session.workspace(factors.size() * sizeof(T)));
    session.upload(factors.data(), device, factors.size() * sizeof(T));
    cuda::scale_columns(static_cast<const T*>(device), strided(A), session.stream());
  }

  double max_abs(MatrixView<const T> A) override {
    return A.empty() ? 0.0 : reduce(cuda::Reduce::max_abs, A, A);
  }

  double trace(MatrixView<const T> A) override {
    return A.empty() ? 0.0 : reduce(cuda::Reduce::trace, A, A);
  }

  bool all_finite(MatrixView<const T> A) override {
    return A.empty() || reduce(cuda::Reduce::count_nonfinite, A, A) == 0.0;
  }

  void qr(MatrixView<T> A, MatrixView<T> tau) override {
    require(A.is_col_major() && tau.rows() >= std::min(A.rows(), A.cols()), who,
            "qr: needs a column-major A and room for min(m, n) reflectors");
    require_device(A, "qr: A");
    require_device(tau, "qr: tau");
    if (A.empty()) return;
    auto session = context_.session();
    const cusolverDnHandle_t solver = session.solver();
    const int m = dim(A.rows());
    const int n = dim(A.cols());
    int lwork = 0;
    check(Solver::geqrf_buffer_size(solver, m, n, A.data(), dim(A.ld()), &lwork), Solver::prefix,
          "geqrf_bufferSize");
    // info reports illegal arguments only, which the checks above exclude: it is not read back
    // (that would synchronise).
    const SolverScratch<T> scratch = solver_scratch<T>(session, lwork);
    check(Solver::geqrf(solver, m, n, A.data(), dim(A.ld()), tau.data(), scratch.work, lwork,
                        scratch.info),
          Solver::prefix, "geqrf");
  }

  void form_q(MatrixView<T> A, MatrixView<const T> tau) override {
    require(A.is_col_major() && A.rows() >= A.cols(), who, "form_q: needs a tall column-major A");
    require_device(A, "form_q: A");
    require_device(tau, "form_q: tau");
    if (A.empty()) return;
    auto session = context_.session();
    const cusolverDnHandle_t solver = session.solver();
    const int m = dim(A.rows());
    const int n = dim(A.cols());
    int lwork = 0;
    check(Solver::orgqr_buffer_size(solver, m, n, n, A.data(), dim(A.ld()), tau.data(), &lwork),
          Solver::prefix, "orgqr_bufferSize");
    const SolverScratch<T> scratch = solver_scratch<T>(session, lwork);  // info: as in qr()
    check(Solver::orgqr(solver, m, n, n, A.data(), dim(A.ld()), tau.data(), scratch.work, lwork,
                        scratch.info),
          Solver::prefix, "orgqr");
  }

  bool cholesky(MatrixView<T> A) override {
    require(A.is_col_major() && A.rows() == A.cols(), who,
            "cholesky: needs a square column-major A");
    require_device(A, "cholesky: A");
    if (A.empty()) return true;
    auto session = context_.session();
    const cusolverDnHandle_t solver = session.solver();
    const int n = dim(A.rows());
    int lwork = 0;
    check(Solver::potrf_buffer_size(solver, CUBLAS_FILL_MODE_UPPER, n, A.data(), dim(A.ld()),
                                    &lwork),
          Solver::prefix, "potrf_bufferSize");
    const SolverScratch<T> scratch = solver_scratch<T>(session, lwork);
    check(Solver::potrf(solver, CUBLAS_FILL_MODE_UPPER, n, A.data(), dim(A.ld()), scratch.work,
                        lwork, scratch.info),
          Solver::prefix, "potrf");
    const int info = read_info(session, scratch.info);
    if (info < 0) solver_failed("potrf", info);
    return info == 0;
  }

  void solve_upper_right(MatrixView<const T> R, bool transpose, MatrixView<T> B) override {
    require(R.is_col_major() && B.is_col_major() && R.rows() == R.cols() && B.cols() == R.rows(),
            who, "solve_upper_right: shape or layout mismatch");
    require_device(R, "solve_upper_right: R");
    require_device(B, "solve_upper_right: B");
    if (B.empty()) return;
    const T one = T(1);
    auto session = context_.session();
    check(Blas::trsm(session.blas(), CUBLAS_SIDE_RIGHT, CUBLAS_FILL_MODE_UPPER,
                     transpose ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_DIAG_NON_UNIT, dim(B.rows()),
                     dim(B.cols()), &one, R.data(), dim(R.ld()), B.data(), dim(B.ld())),
          Blas::prefix, "trsm");
  }

  InverseNorms inverse_norms_upper(MatrixView<const T> R) override {
    require(R.is_col_major() && R.rows() == R.cols(), who, "inverse_norms_upper: needs a square R");
    require_device(R, "inverse_norms_upper: R");
    // A host round trip of n² elements: cuSOLVER has no condition estimator, and trcon's O(n²)
    // work is small beside the O(mn²) QR whose R this is.
    Matrix<T> host(R.rows(), R.cols());
    if (!R.empty()) {
      auto session = context_.session();
      copy_lines(R, host.view(), cudaMemcpyDeviceToHost, session.stream());
      session.wait();
    }
    return cpu_backend<T>().inverse_norms_upper(std::as_const(host).view());
  }

  bool invert(MatrixView<T> A) override {
    require(A.is_col_major() && A.rows() == A.cols(), who, "invert: needs a square column-major A");
    require_device(A, "invert: A");
    if (A.empty()) return true;
    // A⁻¹ as the solution X of A·X = I (getrs), then copied over A.
    Matrix<T> X = allocate(A.rows(), A.cols());
    add_diagonal(1.0, X.view());
    auto session = context_.session();
    const cusolverDnHandle_t solver = session.solver();
    const int n = dim(A.rows());
    int lwork = 0;
    check(Solver::getrf_buffer_size(solver, n, n, A.data(), dim(A.ld()), &lwork), Solver::prefix,
          "getrf_bufferSize");
    ScratchLayout layout;
    const std::size_t getrf_info = layout.reserve<int>(1);
    const std::size_t getrs_info = layout.reserve<int>(1);  // illegal arguments only: not read
    const std::size_t pivots = layout.reserve<int>(count(A.rows()));
    const std::size_t work = layout.reserve<T>(static_cast<std::size_t>(lwork));
    void* base = session.workspace(layout.bytes());
    check(Solver::getrf(solver, n, n, A.data(), dim(A.ld()), piece<T>(base, work),
                        piece<int>(base, pivots), piece<int>(base, getrf_info)),
          Solver::prefix, "getrf");
    check(Solver::getrs(solver, CUBLAS_OP_N, n, n, A.data(), dim(A.ld()), piece<int>(base, pivots),
                        X.data(), dim(X.ld()), piece<int>(base, getrs_info)),
          Solver::prefix, "getrs");
    copy_lines(std::as_const(X).view(), A, cudaMemcpyDeviceToDevice, session.stream());
    const int info = read_info(session, piece<int>(base, getrf_info));
    if (info < 0) solver_failed("getrf", info);
    return info == 0;
  }

  std::vector<double> svd(MatrixView<const T> A, MatrixView<T> W, MatrixView<T> Vt) override {
    const index_t m = A.rows();
    const index_t n = A.cols();
    require(m >= n && W.is_col_major() && W.rows() == m && W.cols() == n &&
                Vt.is_col_major() && Vt.rows() == n && Vt.cols() == n, who,
            "svd: needs a tall A, an m x n W and an n x n Vt, column-major");
    require_device(A, "svd: A");
    require_device(W, "svd: W");
    require_device(Vt, "svd: Vt");
    if (n == 0) return {};
    Matrix<T> work = allocate(m, n);  // gesvd overwrites its input
    copy(1.0, A, work.view());
    Matrix<T> sigma = allocate(n, 1);
    Matrix<T> superdiagonal = allocate(n, 1);  // gesvd's rwork
    auto session = context_.session();
    const cusolverDnHandle_t solver = session.solver();
    int lwork = 0;
    check(Solver::gesvd_buffer_size(solver, dim(m), dim(n), &lwork), Solver::prefix,
          "gesvd_bufferSize");
    const SolverScratch<T> scratch = solver_scratch<T>(session, lwork);
    check(Solver::gesvd(solver, 'S', 'S', dim(m), dim(n), work.data(), dim(work.ld()),
                        sigma.data(), W.data(), dim(W.ld()), Vt.data(), dim(Vt.ld()), scratch.work,
                        lwork, superdiagonal.data(), scratch.info),
          Solver::prefix, "gesvd");
    const int info = read_info(session, scratch.info);
    if (info != 0) solver_failed("gesvd", info);
    return read_values(session, std::as_const(sigma).view());
  }

  // ---- OptimKernels<T> ------------------------------------------------------------------------

  std::vector<double> column_norms(MatrixView<const T> A) override {
    require_device(A, "column_norms: A");
    std::vector<double> norms(count(A.cols()), 0.0);
    if (A.empty()) return norms;
    auto session = context_.session();
    auto* device = static_cast<double*>(session.workspace(norms.size() * sizeof(double)));
    cuda::column_norms(strided(A), device, session.stream());
    session.read(device, norms.data(), norms.size() * sizeof(double));
    return norms;
  }

  void sign(double alpha, MatrixView<const T> src, MatrixView<T> dst) override {
    require(src.rows() == dst.rows() && src.cols() == dst.cols(), who, "sign: shape mismatch");
    require_device(src, "sign: src");
    require_device(dst, "sign: dst");
    auto session = context_.session();
    cuda::map<T>(cuda::Map::sign, alpha, 0.0, strided(src), strided(dst), session.stream());
  }

  std::vector<double> symmetric_eigen(MatrixView<const T> A, MatrixView<T> V) override {
    const index_t n = A.rows();
    require(A.cols() == n && V.is_col_major() && V.rows() == n && V.cols() == n, who,
            "symmetric_eigen: needs a square A and a column-major V of its size");
    require_device(A, "symmetric_eigen: A");
    require_device(V, "symmetric_eigen: V");
    if (n == 0) return {};
    copy(1.0, A, V);
    Matrix<T> lambda = allocate(n, 1);
    auto session = context_.session();
    const cusolverDnHandle_t solver = session.solver();
    int lwork = 0;
    check(Solver::syevd_buffer_size(solver, CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_LOWER,
                                    dim(n), V.data(), dim(V.ld()), lambda.data(), &lwork),
          Solver::prefix, "syevd_bufferSize");
    const SolverScratch<T> scratch = solver_scratch<T>(session, lwork);
    check(Solver::syevd(solver, CUSOLVER_EIG_MODE_VECTOR, CUBLAS_FILL_MODE_LOWER, dim(n), V.data(),
                        dim(V.ld()), lambda.data(), scratch.work, lwork, scratch.info),
          Solver::prefix, "syevd");
    const int info = read_info(session, scratch.info);
    if (info != 0) solver_failed("syevd", info);
    return read_values(session, std::as_const(lambda).view());
  }

 private:
  // The elements of a device vector, as doubles.
  static std::vector<double> read_values(Context::Session& session, MatrixView<const T> v) {
    std::vector<T> values(count(v.rows()));
    session.read(v.data(), values.data(), values.size() * sizeof(T));
    return {values.begin(), values.end()};
  }

};

}  // namespace

template <class T>
Backend<T>& cuda_backend() {
  return per_device<CudaBackend<T>>();
}

int cuda_devices() noexcept { return cuda::device_count(); }

void cuda_release_cached() { cuda::Context::release_cached(); }

template Backend<float>& cuda_backend<float>();
template Backend<double>& cuda_backend<double>();

}  // namespace polarkit::detail

namespace polarkit::optim::detail {

template <class T>
OptimKernels<T>& cuda_optim_kernels() {
  return polarkit::detail::cuda_shared::per_device<polarkit::detail::CudaBackend<T>>();
}

template OptimKernels<float>& cuda_optim_kernels<float>();
template OptimKernels<double>& cuda_optim_kernels<double>();

}  // namespace polarkit::optim::detail
