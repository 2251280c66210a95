#include "check.hpp"
#include "libraries.hpp"

#include <string>

#include "polarkit/error.hpp"

namespace polarkit::cuda {
namespace {

[[noreturn]] void fail(const char* call, const std::string& why) {
  throw Error(ErrorCode::backend_failure, std::string(call) + " failed: " + why);
}

// cuSOLVER has no status-to-string function.
const char* name(cusolverStatus_t status) {
  switch (status) {
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "CUSOLVER_STATUS_NOT_INITIALIZED";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "CUSOLVER_STATUS_ALLOC_FAILED (out of device memory)";
    case CUSOLVER_STATUS_INVALID_VALUE: return "CUSOLVER_STATUS_INVALID_VALUE";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "CUSOLVER_STATUS_ARCH_MISMATCH";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "CUSOLVER_STATUS_EXECUTION_FAILED";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "CUSOLVER_STATUS_INTERNAL_ERROR";
    case CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED: return "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "CUSOLVER_STATUS_NOT_SUPPORTED";
    case CUSOLVER_STATUS_INVALID_WORKSPACE: return "CUSOLVER_STATUS_INVALID_WORKSPACE";
    default: return "cusolverStatus_t";
  }
}

}  // namespace

void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) {
    fail(call, std::string(cudaGetErrorName(status)) + " (" + cudaGetErrorString(status) + ")");
  }
}

void check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    fail(call, std::string(cublas().cublasGetStatusName(status)) + " (" +
                  cublas().cublasGetStatusString(status) + ")");
  }
}

void check(cusolverStatus_t status, const char* call) {
  if (status != CUSOLVER_STATUS_SUCCESS) {
    fail(call, std::string(name(status)) + " = " + std::to_string(static_cast<int>(status)));
  }
}

}  // namespace polarkit::cuda
