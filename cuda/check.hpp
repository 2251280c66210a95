// Turns a failed CUDA runtime, cuBLAS or cuSOLVER status into polarkit::Error(backend_failure),
// naming the call and the library's own description of the status.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cusolverDn.h>

#include <string>

namespace polarkit::cuda {

void check(cudaError_t status, const char* call);
void check(cublasStatus_t status, const char* call);
void check(cusolverStatus_t status, const char* call);

/// A routine of cublas.hpp or cusolver.hpp, named prefix + routine (cublasDgemm) when it failed.
template <class Status>
void check(Status status, const char* prefix, const char* routine) {
  if (status != Status{}) {  // CUBLAS_STATUS_SUCCESS and CUSOLVER_STATUS_SUCCESS are 0
    check(status, (std::string(prefix) + routine).c_str());
  }
}

}  // namespace polarkit::cuda
