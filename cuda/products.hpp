// What every CUDA backend shares: device operands and their checks, matrices from the context's
// pool, copies in any layouts, and the product kernels of ProductBackend for any storage type T,
// multiplied as the Products policy of cublas.hpp says (typed GEMM/SYRK or cublasGemmEx).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "check.hpp"
#include "context.hpp"
#include "blas/blas.hpp"
#include "core/api/checks.hpp"
#include "core/kernels/backend.hpp"
#include "cublas.hpp"
#include "kernels.hpp"

namespace polarkit::detail::cuda_shared {

using cuda::check;
using cuda::Context;
using cuda::Strided;

// The prefix of the CUDA backends' argument errors ("cuda backend: copy: shape mismatch"), for
// core/api/checks.hpp's require and invalid.
inline constexpr std::string_view who = "cuda backend";

// Device operands must be device memory: a host pointer would fault inside a kernel.
template <class T>
void require_device(MatrixView<T> A, const char* what) {
  if (!A.empty() && A.space() != MemorySpace::cuda) {
    invalid(who, std::string(what) + " is not in CUDA device memory");
  }
}

template <class T>
Strided<T> strided(MatrixView<T> A) {
  return A.is_col_major() ? Strided<T>{A.data(), A.rows(), A.cols(), 1, A.ld()}
                          : Strided<T>{A.data(), A.rows(), A.cols(), A.ld(), 1};
}

inline cublasOperation_t op_of(Layout layout) {
  return layout == Layout::col_major ? CUBLAS_OP_N : CUBLAS_OP_T;
}

// cuBLAS and cuSOLVER take LP64 BLAS's 32-bit sizes: narrowed, and refused if too large, as
// the CPU wrappers do.
inline int dim(index_t value) { return blas::narrow(value); }

inline std::size_t count(index_t value) { return static_cast<std::size_t>(value); }

// Copies between two views of one layout (either may be host memory): `lines` runs of
// contiguous elements, `ld` elements apart.
template <class T>
void copy_lines(MatrixView<const T> src, MatrixView<T> dst, cudaMemcpyKind kind,
                cudaStream_t stream) {
  const index_t run = dst.is_col_major() ? dst.rows() : dst.cols();
  const index_t lines = dst.is_col_major() ? dst.cols() : dst.rows();
  check(cudaMemcpy2DAsync(dst.data(), count(dst.ld()) * sizeof(T), src.data(),
                          count(src.ld()) * sizeof(T), count(run) * sizeof(T), count(lines), kind,
                          stream),
        "cudaMemcpy2DAsync");
}

// A Matrix's deleter is a plain function pointer, so the device is part of the function: one per
// device, each returning the memory on its own device's stream.
constexpr int max_devices = 64;

template <class T, int Device>
void release(T* memory) {
  Context::release(Device, memory);
}

template <class T, int... Devices>
constexpr std::array<typename Matrix<T>::Deleter, sizeof...(Devices)> releases(
    std::integer_sequence<int, Devices...>) {
  return {&release<T, Devices>...};
}

template <class T>
constexpr auto deleters = releases<T>(std::make_integer_sequence<int, max_devices>());

/// Base: ProductBackend<T> or one of its refinements; the class implements ProductBackend<T>.
template <class T, class Base, class Products>
class CudaProducts : public Base {
 public:
  explicit CudaProducts(Context& context) : context_(context) {}

  [[nodiscard]] MemorySpace space() const override { return MemorySpace::cuda; }

  Matrix<T> allocate(index_t rows, index_t cols) override {
    require(rows >= 0 && cols >= 0, who, "allocate: negative size");
    const int device = context_.device();
    if (device >= max_devices) {
      throw Error(ErrorCode::backend_failure,
                  "cuda backend: device " + std::to_string(device) + " is beyond the " +
                      std::to_string(max_devices) + " devices polarkit supports");
    }
    T* storage = rows > 0 && cols > 0
                     ? static_cast<T*>(context_.allocate_zeroed(count(rows * cols) * sizeof(T)))
                     : nullptr;
    return Matrix<T>(storage, rows, cols, MemorySpace::cuda,
                     deleters<T>[static_cast<std::size_t>(device)]);
  }

  void copy(double alpha, MatrixView<const T> src, MatrixView<T> dst) override {
    require(src.rows() == dst.rows() && src.cols() == dst.cols(), who, "copy: shape mismatch");
    if (dst.space() == MemorySpace::host) {
      download(alpha, src, dst);
      return;
    }
    if (dst.empty()) return;
    auto session = context_.session();
    const cudaStream_t stream = session.stream();
    const bool same_layout = src.layout() == dst.layout();
    MatrixView<const T> from = src;
    if (alpha != 0.0 && src.space() == MemorySpace::host) {
      if (same_layout) {
        copy_lines(src, dst, cudaMemcpyHostToDevice, stream);
        if (alpha != 1.0) scale(alpha, dst, stream);
        return;
      }
      // Upload in src's layout, then transpose on the device.
      const index_t packed_ld = std::max<index_t>(1, src.is_col_major() ? src.rows() : src.cols());
      auto* staged = static_cast<T*>(session.workspace(count(src.rows() * src.cols()) * sizeof(T)));
      from = MatrixView<const T>(staged, src.rows(), src.cols(), packed_ld, src.layout(),
                                 MemorySpace::cuda);
      copy_lines(src, MatrixView<T>(staged, src.rows(), src.cols(), packed_ld, src.layout(),
                                    MemorySpace::cuda),
                 cudaMemcpyHostToDevice, stream);
    } else if (alpha == 1.0 && same_layout) {
      require_device(src, "copy: src");
      if (src.data() != dst.data()) copy_lines(src, dst, cudaMemcpyDeviceToDevice, stream);
      return;
    }
    // alpha = 0 does not read src, which may then be anywhere.
    if (alpha != 0.0) require_device(from, "copy: src");
    cuda::map<T>(cuda::Map::scale, alpha, 0.0, strided(from), strided(dst), stream);
  }

  void gemm(double alpha, MatrixView<const T> A, MatrixView<const T> B, double beta,
            MatrixView<T> C) override {
    require(A.rows() == C.rows() && B.cols() == C.cols() && A.cols() == B.rows(), who,
            "gemm: shape mismatch");
    if (!C.is_col_major()) {  // Cᵀ = BᵀAᵀ keeps the output column-major
      gemm(alpha, B.transposed(), A.transposed(), beta, C.transposed());
      return;
    }
    require_device(A, "gemm: A");
    require_device(B, "gemm: B");
    require_device(C, "gemm: C");
    if (C.empty()) return;
    auto session = context_.session();
    Products::gemm(session.blas(), op_of(A.layout()), op_of(B.layout()), dim(C.rows()),
                   dim(C.cols()), dim(A.cols()), alpha, A.data(), dim(A.ld()), B.data(),
                   dim(B.ld()), beta, C.data(), dim(C.ld()));
  }

  void gram(double alpha, MatrixView<const T> X, double beta, MatrixView<T> G) override {
    require(G.is_col_major() && G.rows() == X.cols() && G.cols() == X.cols(), who,
            "gram: G must be a column-major n x n matrix for an m x n X");
    require_device(X, "gram: X");
    require_device(G, "gram: G");
    if (G.empty()) return;
    auto session = context_.session();
    // XᵀX from a column-major X is op 'T'; a row-major X stores Xᵀ, whose XXᵀ is op 'N'.
    const cublasOperation_t op = X.is_col_major() ? CUBLAS_OP_T : CUBLAS_OP_N;
    Products::gram(session.blas(), session.stream(), op, dim(G.rows()), dim(X.rows()), alpha,
                   X.data(), dim(X.ld()), beta, G.data(), dim(G.ld()));
  }

  void add(double alpha, MatrixView<const T> A, double beta, MatrixView<T> C) override {
    require(A.rows() == C.rows() && A.cols() == C.cols(), who, "add: shape mismatch");
    require_device(A, "add: A");
    require_device(C, "add: C");
    auto session = context_.session();
    cuda::map<T>(cuda::Map::axpby, alpha, beta, strided(A), strided(C), session.stream());
  }

  void add_diagonal(double gamma, MatrixView<T> C) override {
    require_device(C, "add_diagonal: C");
    auto session = context_.session();
    cuda::add_diagonal(gamma, strided(C), session.stream());
  }

  double norm_fro(MatrixView<const T> A) override {
    return A.empty() ? 0.0 : reduce(cuda::Reduce::norm, A, A);
  }

  double norm_fro_minus_identity(MatrixView<const T> G) override {
    return G.empty() ? 0.0 : reduce(cuda::Reduce::norm_minus_identity, G, G);
  }

  double dot(MatrixView<const T> A, MatrixView<const T> B) override {
    require(A.rows() == B.rows() && A.cols() == B.cols(), who, "dot: shape mismatch");
    return A.empty() ? 0.0 : reduce(cuda::Reduce::dot, A, B);
  }

  double norm_fro_difference(MatrixView<const T> A, MatrixView<const T> B) override {
    require(A.rows() == B.rows() && A.cols() == B.cols(), who,
            "norm_fro_difference: shape mismatch");
    return A.empty() ? 0.0 : reduce(cuda::Reduce::norm_difference, A, B);
  }

  // ---- batched kernels: one cuBLAS call, or one read-back for the whole batch ------------------

  /// 64 matrices of 1024² keep a GPU busy with one batched GEMM per stage (and take about 1 GB
  /// of workspace in float); larger groups would mostly add memory.
  [[nodiscard]] int batch_group() const override { return 64; }

  void wait() override { context_.session().wait(); }

  /// One cublasGemmBatchedEx for a batch whose operands agree in shape, layout and leading
  /// dimension (every batch the solvers make); any other batch runs item by item.
  void gemm_batched(double alpha, Views<const T> A, Views<const T> B, double beta,
                    Views<T> C) override {
    require(A.size() == C.size() && B.size() == C.size(), who, "gemm_batched: batch size mismatch");
    if (C.size() < 2 || !uniform(A) || !uniform(B) || !uniform(C)) {
      Base::gemm_batched(alpha, A, B, beta, C);
      return;
    }
    require(A[0].rows() == C[0].rows() && B[0].cols() == C[0].cols() && A[0].cols() == B[0].rows(),
            who, "gemm_batched: shape mismatch");
    if (!C[0].is_col_major()) {  // Cᵀ = BᵀAᵀ keeps the output column-major
      gemm_batched(alpha, transposed(B), transposed(A), beta, transposed(C));
      return;
    }
    if (C[0].empty()) return;
    const std::size_t n = C.size();
    std::vector<const void*> pointers(3 * n);
    for (std::size_t i = 0; i < n; ++i) {
      require_device(A[i], "gemm_batched: A");
      require_device(B[i], "gemm_batched: B");
      require_device(C[i], "gemm_batched: C");
      pointers[i] = A[i].data();
      pointers[n + i] = B[i].data();
      pointers[2 * n + i] = C[i].data();
    }
    auto session = context_.session();
    // The pointer arrays go through the workspace (upload keeps its own copy of `pointers`).
    auto* arrays = static_cast<const void**>(session.workspace(pointers.size() * sizeof(void*)));
    session.upload(pointers.data(), static_cast<void*>(arrays), pointers.size() * sizeof(void*));
    Products::gemm_batched(session.blas(), op_of(A[0].layout()), op_of(B[0].layout()),
                           dim(C[0].rows()), dim(C[0].cols()), dim(A[0].cols()), alpha, arrays,
                           dim(A[0].ld()), arrays + n, dim(B[0].ld()), beta,
                           const_cast<void* const*>(arrays + 2 * n), dim(C[0].ld()),
                           static_cast<int>(n));
  }

  std::vector<double> dot_batched(Views<const T> A, Views<const T> B) override {
    return reduce_batched(cuda::Reduce::dot, A, B);
  }

  std::vector<double> norm_fro_batched(Views<const T> A) override {
    return reduce_batched(cuda::Reduce::norm, A, A);
  }

  std::vector<double> norm_fro_minus_identity_batched(Views<const T> G) override {
    return reduce_batched(cuda::Reduce::norm_minus_identity, G, G);
  }

  std::vector<double> norm_fro_difference_batched(Views<const T> A, Views<const T> B) override {
    return reduce_batched(cuda::Reduce::norm_difference, A, B);
  }

 protected:
  // dst (host memory) = alpha · src (device memory), staged on the device in dst's layout when it
  // needs a transposition or a scaling; returns once dst holds the values (the caller reads it).
  void download(double alpha, MatrixView<const T> src, MatrixView<T> dst) {
    if (dst.empty()) return;
    if (alpha != 0.0) require_device(src, "copy: src");
    auto session = context_.session();
    const cudaStream_t stream = session.stream();
    MatrixView<const T> from = src;
    if (alpha != 1.0 || src.layout() != dst.layout()) {
      const index_t packed_ld = std::max<index_t>(1, dst.is_col_major() ? dst.rows() : dst.cols());
      auto* staged = static_cast<T*>(session.workspace(count(dst.rows() * dst.cols()) * sizeof(T)));
      const MatrixView<T> stage(staged, dst.rows(), dst.cols(), packed_ld, dst.layout(),
                                MemorySpace::cuda);
      cuda::map<T>(cuda::Map::scale, alpha, 0.0, strided(src), strided(stage), stream);
      from = stage;
    }
    copy_lines(from, dst, cudaMemcpyDeviceToHost, stream);
    session.wait();
  }

  // In place: dst = alpha · dst.
  static void scale(double alpha, MatrixView<T> dst, cudaStream_t stream) {
    cuda::map<T>(cuda::Map::scale, alpha, 0.0, strided(MatrixView<const T>(dst)), strided(dst),
                 stream);
  }

  double reduce(cuda::Reduce what, MatrixView<const T> A, MatrixView<const T> B) {
    require_device(A, "reduction operand");
    require_device(B, "reduction operand");
    auto session = context_.session();
    const double* result = cuda::reduce<T>(what, strided(A), strided(B),
                                           session.workspace(cuda::reduce_scratch_bytes()),
                                           session.stream());
    double value = 0.0;
    session.read(result, &value, sizeof value);
    return value;
  }

  // The reductions of every item into one device array, read back once: the batch's scalars cost
  // one synchronisation, not one per item.
  std::vector<double> reduce_batched(cuda::Reduce what, Views<const T> A, Views<const T> B) {
    const std::size_t n = A.size();
    for (std::size_t i = 0; i < n; ++i) {
      require(A[i].rows() == B[i].rows() && A[i].cols() == B[i].cols(), who,
              "batched reduction: shape mismatch");
    }
    if (n == 1) {  // a batch of one (every single-matrix solve): as the single kernels do it
      return {A[0].empty() ? 0.0 : reduce(what, A[0], B[0])};
    }
    std::vector<double> values(n, 0.0);
    if (n == 0) return values;
    auto session = context_.session();
    const std::size_t slice = (cuda::reduce_scratch_bytes() + 255) / 256 * 256;
    auto* base = static_cast<unsigned char*>(session.workspace(n * slice + n * sizeof(double)));
    auto* results = static_cast<double*>(static_cast<void*>(base + n * slice));
    const cudaStream_t stream = session.stream();
    check(cudaMemsetAsync(results, 0, n * sizeof(double), stream), "cudaMemsetAsync");
    for (std::size_t i = 0; i < n; ++i) {
      if (A[i].empty()) continue;
      require_device(A[i], "reduction operand");
      require_device(B[i], "reduction operand");
      const double* value =
          cuda::reduce<T>(what, strided(A[i]), strided(B[i]), base + i * slice, stream);
      check(cudaMemcpyAsync(results + i, value, sizeof(double), cudaMemcpyDeviceToDevice, stream),
            "cudaMemcpyAsync (reduction result)");
    }
    session.read(results, values.data(), n * sizeof(double));
    return values;
  }

  template <class V>
  static bool uniform(std::span<const V> views) {
    return std::all_of(views.begin(), views.end(), [&](const V& v) {
      return v.rows() == views[0].rows() && v.cols() == views[0].cols() &&
             v.ld() == views[0].ld() && v.layout() == views[0].layout();
    });
  }

  template <class V>
  static std::vector<V> transposed(std::span<const V> views) {
    std::vector<V> t;
    t.reserve(views.size());
    for (const V& v : views) t.push_back(v.transposed());
    return t;
  }

  Context& context_;
};

/// The instance of backend class B for the calling thread's current device, made on first use.
template <class B>
B& per_device() {
  Context& context = Context::current();
  static std::mutex mutex;
  static std::vector<std::unique_ptr<B>> backends;  // by device
  const std::lock_guard lock(mutex);
  const auto device = static_cast<std::size_t>(context.device());
  if (backends.size() <= device) backends.resize(device + 1);
  if (!backends[device]) backends[device] = std::make_unique<B>(context);
  return *backends[device];
}

}  // namespace polarkit::detail::cuda_shared
