// The CUDA backends of the reduced precisions: 16-bit storage multiplied by cublasGemmEx with
// float accumulation, and float storage multiplied with TF32 inputs (tensor cores). The
// elementwise kernels and reductions are the shared ones, which widen 16-bit values to float.
#include "core/kernels/backends.hpp"
#include "products.hpp"

namespace polarkit::detail {
namespace {

using namespace cuda_shared;  // NOLINT: the shared pieces of products.hpp

template <class S, class Products>
class CudaStorageBackend final : public CudaProducts<S, StorageBackend<S>, Products> {
  using Base = CudaProducts<S, StorageBackend<S>, Products>;
  using Base::context_;

 public:
  using Base::Base;

  [[nodiscard]] Rounding rounding() const override { return {unit_roundoff<S>, true}; }
  [[nodiscard]] bool gram_by_gemm() const override { return true; }

  void load(MatrixView<const float> src, MatrixView<S> dst) override { convert(src, dst); }
  void load(MatrixView<const double> src, MatrixView<S> dst) override { convert(src, dst); }
  void store(MatrixView<const S> src, MatrixView<float> dst) override { convert(src, dst); }
  void store(MatrixView<const S> src, MatrixView<double> dst) override { convert(src, dst); }

 private:
  template <class From, class To>
  void convert(MatrixView<const From> src, MatrixView<To> dst) {
    require(src.rows() == dst.rows() && src.cols() == dst.cols(), who, "convert: shape mismatch");
    require_device(src, "convert: src");
    require_device(dst, "convert: dst");
    auto session = context_.session();
    cuda::convert<From, To>(strided(src), strided(dst), session.stream());
  }
};

class CudaTf32Backend final : public CudaProducts<float, ProductBackend<float>, cuda::Tf32Products> {
 public:
  using CudaProducts::CudaProducts;

  [[nodiscard]] Rounding rounding() const override { return {tf32_unit_roundoff, true}; }
  [[nodiscard]] bool gram_by_gemm() const override { return true; }
};

template <class S>
struct ProductsOf;
template <>
struct ProductsOf<bfloat16> {
  using type = cuda::Bf16Products;
};
template <>
struct ProductsOf<float16> {
  using type = cuda::Fp16Products;
};

}  // namespace

template <class S>
StorageBackend<S>& cuda_storage_backend() {
  return per_device<CudaStorageBackend<S, typename ProductsOf<S>::type>>();
}

template StorageBackend<bfloat16>& cuda_storage_backend<bfloat16>();
template StorageBackend<float16>& cuda_storage_backend<float16>();

ProductBackend<float>& cuda_tf32_backend() { return per_device<CudaTf32Backend>(); }

}  // namespace polarkit::detail
