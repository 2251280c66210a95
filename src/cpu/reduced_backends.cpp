// The CPU's reduced-precision backends. They are emulations that round as the GPU does, for
// testing and reference rather than speed:
//   - 16-bit storage: each kernel widens its operands to float, runs the float kernel and rounds
//     the result back once (cuBLAS GemmEx with bf16/fp16 operands and fp32 compute);
//   - TF32: float storage, and gemm/gram round copies of their inputs to TF32 first.
#include <string_view>

#include "core/api/checks.hpp"
#include "core/kernels/backends.hpp"

namespace polarkit::detail {
namespace {

// The prefix of these backends' argument errors, the CPU backend's ("cpu backend: ...").
constexpr std::string_view who = "cpu backend";

// dst(i, j) = f(i, j) for every element.
template <class T, class F>
void assign(MatrixView<T> dst, F&& f) {
  for (index_t j = 0; j < dst.cols(); ++j) {
    for (index_t i = 0; i < dst.rows(); ++i) dst(i, j) = f(i, j);
  }
}

// A column-major float copy of A, each element converted by f.
template <class T, class F>
Matrix<float> widened(MatrixView<const T> A, F&& f) {
  Matrix<float> W(A.rows(), A.cols());
  assign(W.view(), [&](index_t i, index_t j) { return f(A(i, j)); });
  return W;
}

template <class T>
Matrix<float> widened(MatrixView<const T> A) {
  return widened(A, [](T x) { return static_cast<float>(x); });
}

template <class S>
class CpuStorageBackend final : public StorageBackend<S> {
 public:
  [[nodiscard]] MemorySpace space() const override { return MemorySpace::host; }
  [[nodiscard]] Rounding rounding() const override { return {unit_roundoff<S>, true}; }

  Matrix<S> allocate(index_t rows, index_t cols) override { return Matrix<S>(rows, cols); }

  void copy(double alpha, MatrixView<const S> src, MatrixView<S> dst) override {
    require(src.rows() == dst.rows() && src.cols() == dst.cols(), who, "copy: shape mismatch");
    const auto a = static_cast<float>(alpha);
    assign(dst, [&](index_t i, index_t j) {
      return alpha == 0.0 ? S(0.0f) : S(a * static_cast<float>(src(i, j)));
    });
  }

  void gemm(double alpha, MatrixView<const S> A, MatrixView<const S> B, double beta,
            MatrixView<S> C) override {
    require(A.rows() == C.rows() && B.cols() == C.cols() && A.cols() == B.rows(), who,
            "gemm: shape mismatch");
    Matrix<float> Cf = accumulator(beta, C);
    float_.gemm(alpha, widened(A).view(), widened(B).view(), beta, Cf.view());
    narrow_into(Cf, C);
  }

  void gram(double alpha, MatrixView<const S> X, double beta, MatrixView<S> G) override {
    require(G.rows() == X.cols() && G.cols() == X.cols(), who,
            "gram: G must be n x n for an m x n X");
    Matrix<float> Gf = accumulator(beta, G);
    float_.gram(alpha, widened(X).view(), beta, Gf.view());
    narrow_into(Gf, G);
  }

  void add(double alpha, MatrixView<const S> A, double beta, MatrixView<S> C) override {
    require(A.rows() == C.rows() && A.cols() == C.cols(), who, "add: shape mismatch");
    const auto a = static_cast<float>(alpha);
    const auto b = static_cast<float>(beta);
    assign(C, [&](index_t i, index_t j) {
      const float c = beta == 0.0 ? 0.0f : b * static_cast<float>(C(i, j));
      return S(a * static_cast<float>(A(i, j)) + c);
    });
  }

  void add_diagonal(double gamma, MatrixView<S> C) override {
    const index_t k = std::min(C.rows(), C.cols());
    for (index_t i = 0; i < k; ++i) C(i, i) = S(static_cast<float>(C(i, i)) + static_cast<float>(gamma));
  }

  double norm_fro(MatrixView<const S> A) override { return float_.norm_fro(widened(A).view()); }

  double norm_fro_minus_identity(MatrixView<const S> G) override {
    return float_.norm_fro_minus_identity(widened(G).view());
  }

  double dot(MatrixView<const S> A, MatrixView<const S> B) override {
    require(A.rows() == B.rows() && A.cols() == B.cols(), who, "dot: shape mismatch");
    return float_.dot(widened(A).view(), widened(B).view());
  }

  double norm_fro_difference(MatrixView<const S> A, MatrixView<const S> B) override {
    require(A.rows() == B.rows() && A.cols() == B.cols(), who,
            "norm_fro_difference: shape mismatch");
    return float_.norm_fro_difference(widened(A).view(), widened(B).view());
  }

  void load(MatrixView<const float> src, MatrixView<S> dst) override { convert(src, dst); }
  void load(MatrixView<const double> src, MatrixView<S> dst) override { convert(src, dst); }
  void store(MatrixView<const S> src, MatrixView<float> dst) override { convert(src, dst); }
  void store(MatrixView<const S> src, MatrixView<double> dst) override { convert(src, dst); }

 private:
  // C's float image for beta ≠ 0; beta = 0 must not read C (it may hold anything).
  static Matrix<float> accumulator(double beta, MatrixView<S> C) {
    return beta == 0.0 ? Matrix<float>(C.rows(), C.cols()) : widened(MatrixView<const S>(C));
  }

  static void narrow_into(const Matrix<float>& W, MatrixView<S> C) {
    assign(C, [&](index_t i, index_t j) { return S(W(i, j)); });
  }

  // Every conversion goes through float, as the GPU's does.
  template <class From, class To>
  static void convert(MatrixView<const From> src, MatrixView<To> dst) {
    require(src.rows() == dst.rows() && src.cols() == dst.cols(), who, "convert: shape mismatch");
    assign(dst, [&](index_t i, index_t j) {
      return To(static_cast<float>(static_cast<compute_t<From>>(src(i, j))));
    });
  }

  Backend<float>& float_ = cpu_backend<float>();
};

// TF32 products over the float backend: its kernels, with gemm and gram rounding copies of their
// inputs to TF32 first.
class CpuTf32Backend final : public ProductBackend<float> {
 public:
  [[nodiscard]] MemorySpace space() const override { return base_.space(); }
  [[nodiscard]] Rounding rounding() const override { return {tf32_unit_roundoff, true}; }
  Matrix<float> allocate(index_t rows, index_t cols) override { return base_.allocate(rows, cols); }
  void copy(double alpha, MatrixView<const float> src, MatrixView<float> dst) override {
    base_.copy(alpha, src, dst);
  }
  void add(double alpha, MatrixView<const float> A, double beta, MatrixView<float> C) override {
    base_.add(alpha, A, beta, C);
  }
  void add_diagonal(double gamma, MatrixView<float> C) override { base_.add_diagonal(gamma, C); }
  double norm_fro(MatrixView<const float> A) override { return base_.norm_fro(A); }
  double norm_fro_minus_identity(MatrixView<const float> G) override {
    return base_.norm_fro_minus_identity(G);
  }
  double dot(MatrixView<const float> A, MatrixView<const float> B) override {
    return base_.dot(A, B);
  }
  double norm_fro_difference(MatrixView<const float> A, MatrixView<const float> B) override {
    return base_.norm_fro_difference(A, B);
  }

  void gemm(double alpha, MatrixView<const float> A, MatrixView<const float> B, double beta,
            MatrixView<float> C) override {
    base_.gemm(alpha, rounded(A).view(), rounded(B).view(), beta, C);
  }

  void gram(double alpha, MatrixView<const float> X, double beta, MatrixView<float> G) override {
    base_.gram(alpha, rounded(X).view(), beta, G);
  }

 private:
  static Matrix<float> rounded(MatrixView<const float> A) { return widened(A, round_to_tf32); }

  Backend<float>& base_ = cpu_backend<float>();
};

}  // namespace

template <class S>
StorageBackend<S>& cpu_storage_backend() {
  static CpuStorageBackend<S> backend;
  return backend;
}

template StorageBackend<bfloat16>& cpu_storage_backend<bfloat16>();
template StorageBackend<float16>& cpu_storage_backend<float16>();

ProductBackend<float>& cpu_tf32_backend() {
  static CpuTf32Backend backend;
  return backend;
}

}  // namespace polarkit::detail
