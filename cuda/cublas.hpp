// cuBLAS by scalar type: each routine's single- and double-precision entry points under one name
// (blaspp's overloads as a table), so the backend is written once as a template; and the two
// ways CudaProducts multiplies (products.hpp): typed GEMM/SYRK, or cublasGemmEx.
#pragma once

#include <cublas_v2.h>

#include "check.hpp"
#include "kernels.hpp"
#include "libraries.hpp"

namespace polarkit::cuda {

// A static member function `name` forwarding to the loaded entry point `entry` of `library()`.
#define POLARKIT_FORWARD(name, library, entry)        \
  template <class... Args>                              \
  static auto name(Args... args) {                      \
    return library().entry(args...);                    \
  }

template <class T>
struct Cublas;

template <>
struct Cublas<float> {
  static constexpr const char* prefix = "cublasS";
  static constexpr cudaDataType_t type = CUDA_R_32F;
  static constexpr cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  POLARKIT_FORWARD(gemm, cublas, cublasSgemm)
  POLARKIT_FORWARD(syrk, cublas, cublasSsyrk)
  POLARKIT_FORWARD(trsm, cublas, cublasStrsm)
};

template <>
struct Cublas<double> {
  static constexpr const char* prefix = "cublasD";
  static constexpr cudaDataType_t type = CUDA_R_64F;
  static constexpr cublasComputeType_t compute = CUBLAS_COMPUTE_64F;
  POLARKIT_FORWARD(gemm, cublas, cublasDgemm)
  POLARKIT_FORWARD(syrk, cublas, cublasDsyrk)
  POLARKIT_FORWARD(trsm, cublas, cublasDtrsm)
};

/// The transpose that multiplies a stored operand by its own op: XᵀX = op(X)·op'(X).
inline cublasOperation_t other(cublasOperation_t op) {
  return op == CUBLAS_OP_N ? CUBLAS_OP_T : CUBLAS_OP_N;
}

/// C[i] = alpha·op(A[i])·op(B[i]) + beta·C[i] for the pointer arrays A, B, C (device memory),
/// operands of type Type, scalars of type Scalar, accumulation in Compute.
template <class Scalar>
void gemm_batched(cudaDataType_t type, cublasComputeType_t compute, cublasHandle_t handle,
                  cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, double alpha,
                  const void* const* A, int lda, const void* const* B, int ldb, double beta,
                  void* const* C, int ldc, int count) {
  const auto a = static_cast<Scalar>(alpha);
  const auto b = static_cast<Scalar>(beta);
  check(cublas().cublasGemmBatchedEx(handle, ta, tb, m, n, k, &a, A, type, lda, B, type, ldb, &b,
                                     C, type, ldc, count, compute, CUBLAS_GEMM_DEFAULT),
        "cublasGemmBatchedEx");
}

/// Products of float and double: GEMM, and the Gram matrix by SYRK (half the flops) and a mirror.
template <class T>
struct TypedProducts {
  static void gemm(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                   int k, double alpha, const T* A, int lda, const T* B, int ldb, double beta, T* C,
                   int ldc) {
    const T a = static_cast<T>(alpha);
    const T b = static_cast<T>(beta);
    check(Cublas<T>::gemm(handle, ta, tb, m, n, k, &a, A, lda, B, ldb, &b, C, ldc),
          Cublas<T>::prefix, "gemm");
  }

  /// G = alpha·op(X)·op(X)ᵀ + beta·G (n × n, both triangles) for op(X) n × k.
  static void gram(cublasHandle_t handle, cudaStream_t stream, cublasOperation_t op, int n, int k,
                   double alpha, const T* X, int ldx, double beta, T* G, int ldg) {
    const T a = static_cast<T>(alpha);
    const T b = static_cast<T>(beta);
    check(Cublas<T>::syrk(handle, CUBLAS_FILL_MODE_LOWER, op, n, k, &a, X, ldx, &b, G, ldg),
          Cublas<T>::prefix, "syrk");
    mirror_lower(Strided<T>{G, n, n, 1, ldg}, stream);
  }

  template <class... Args>
  static void gemm_batched(Args... args) {
    cuda::gemm_batched<T>(Cublas<T>::type, Cublas<T>::compute, args...);
  }
};

/// Products through cublasGemmEx: operands and output of type Type, accumulation in Compute
/// (float; with TF32 inputs for CUBLAS_COMPUTE_32F_FAST_TF32). cuBLAS has no SYRK for these, so
/// the Gram matrix is a full GEMM (twice SYRK's flops).
template <cudaDataType_t Type, cublasComputeType_t Compute>
struct GemmExProducts {
  template <class T>
  static void gemm(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                   int k, double alpha, const T* A, int lda, const T* B, int ldb, double beta, T* C,
                   int ldc) {
    const auto a = static_cast<float>(alpha);
    const auto b = static_cast<float>(beta);
    check(cublas().cublasGemmEx(handle, ta, tb, m, n, k, &a, A, Type, lda, B, Type, ldb, &b, C,
                                Type, ldc, Compute, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx");
  }

  template <class T>
  static void gram(cublasHandle_t handle, cudaStream_t /*stream*/, cublasOperation_t op, int n,
                   int k, double alpha, const T* X, int ldx, double beta, T* G, int ldg) {
    gemm(handle, op, other(op), n, n, k, alpha, X, ldx, X, ldx, beta, G, ldg);
  }

  template <class... Args>
  static void gemm_batched(Args... args) {
    cuda::gemm_batched<float>(Type, Compute, args...);
  }
};

using Bf16Products = GemmExProducts<CUDA_R_16BF, CUBLAS_COMPUTE_32F>;
using Fp16Products = GemmExProducts<CUDA_R_16F, CUBLAS_COMPUTE_32F>;
using Tf32Products = GemmExProducts<CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32>;

}  // namespace polarkit::cuda
