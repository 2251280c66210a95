// polarkit/error.hpp — the one exception type every polarkit entry point throws.
#pragma once

#include <stdexcept>
#include <string>

namespace polarkit {

/// Why an operation failed. The numeric values are part of the C ABI (polarkit.h): never renumber.
enum class ErrorCode : int {
  invalid_argument = 1,  ///< a shape, leading dimension, option or pointer is not acceptable
  non_finite_input = 2,  ///< the input matrix holds NaN or Inf; rejected before any work
  backend_failure = 3,   ///< BLAS/LAPACK (or CUDA) reported an error or failed to converge
  not_compiled = 4,      ///< the requested backend or feature is not part of this build
  io_error = 5,          ///< a file could not be read, is malformed or is unsupported
  out_of_memory = 6,     ///< memory for a matrix or workspace could not be allocated
};

/// Thrown for invalid arguments and backend failures. Non-convergence of an iteration is not
/// an error: it is reported by PolarInfo::converged.
class Error : public std::runtime_error {
 public:
  /// An error of the given kind with a one-line message.
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  /// The kind of error (the C ABI returns it as the status).
  [[nodiscard]] ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace polarkit
