// cuBLAS and cuSOLVER, loaded on first use (dlopen) instead of linked. Linked, every process that
// calls polar() on host memory loaded them at start-up, GPU or not: 1.0–1.6 s per process on the
// development machines (the libraries' initialisers touch hundreds of MB; cuSOLVER brings
// cuSPARSE and nvJitLink too). Now only a process that uses a device pays for them, once.
//
// Every entry point the backend calls is listed once below; `cublas()` and `cusolver()` return a
// table of them, resolved by name (the v2 names the headers' macros map to).
#pragma once

#include <cublas_v2.h>
#include <cusolverDn.h>

namespace polarkit::cuda {

#define POLARKIT_CUBLAS_ENTRY_POINTS(X)                                                       \
  X(cublasCreate) X(cublasDestroy) X(cublasSetStream) X(cublasGetStatusName)                  \
  X(cublasGetStatusString) X(cublasGetProperty) X(cublasSgemm) X(cublasDgemm) X(cublasSsyrk) \
  X(cublasDsyrk) X(cublasStrsm) X(cublasDtrsm)

#define POLARKIT_CUSOLVER_ENTRY_POINTS(X)                                                      \
  X(cusolverDnCreate) X(cusolverDnDestroy) X(cusolverDnSetStream) X(cusolverGetProperty)       \
  X(cusolverDnSgeqrf_bufferSize) X(cusolverDnSgeqrf) X(cusolverDnSorgqr_bufferSize)            \
  X(cusolverDnSorgqr) X(cusolverDnSpotrf_bufferSize) X(cusolverDnSpotrf)                       \
  X(cusolverDnSgetrf_bufferSize) X(cusolverDnSgetrf) X(cusolverDnSgetrs)                       \
  X(cusolverDnSgesvd_bufferSize) X(cusolverDnSgesvd) X(cusolverDnSsyevd_bufferSize)            \
  X(cusolverDnSsyevd) X(cusolverDnDgeqrf_bufferSize) X(cusolverDnDgeqrf)                       \
  X(cusolverDnDorgqr_bufferSize) X(cusolverDnDorgqr) X(cusolverDnDpotrf_bufferSize)            \
  X(cusolverDnDpotrf) X(cusolverDnDgetrf_bufferSize) X(cusolverDnDgetrf) X(cusolverDnDgetrs)   \
  X(cusolverDnDgesvd_bufferSize) X(cusolverDnDgesvd) X(cusolverDnDsyevd_bufferSize)            \
  X(cusolverDnDsyevd)

// A member per entry point, named and typed as the header declares it.
#define POLARKIT_ENTRY_POINT_MEMBER(f) decltype(&::f) f = nullptr;

struct CublasApi {
  POLARKIT_CUBLAS_ENTRY_POINTS(POLARKIT_ENTRY_POINT_MEMBER)
  // Overloaded in C++ (an inline compatibility overload takes a cudaDataType compute type): the
  // exported C function, by its signature.
  cublasStatus_t (*cublasGemmEx)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int,
                                 int, const void*, const void*, cudaDataType, int, const void*,
                                 cudaDataType, int, const void*, void*, cudaDataType, int,
                                 cublasComputeType_t, cublasGemmAlgo_t) = nullptr;
  cublasStatus_t (*cublasGemmBatchedEx)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int,
                                        int, int, const void*, const void* const[], cudaDataType,
                                        int, const void* const[], cudaDataType, int, const void*,
                                        void* const[], cudaDataType, int, int, cublasComputeType_t,
                                        cublasGemmAlgo_t) = nullptr;
};

struct CusolverApi {
  POLARKIT_CUSOLVER_ENTRY_POINTS(POLARKIT_ENTRY_POINT_MEMBER)
};

#undef POLARKIT_ENTRY_POINT_MEMBER

/// The libraries' entry points, loaded on the first call (thread-safe). Throws
/// Error(backend_failure) naming the library and the loader's message when it cannot be loaded
/// or lacks an entry point.
const CublasApi& cublas();
const CusolverApi& cusolver();

}  // namespace polarkit::cuda
