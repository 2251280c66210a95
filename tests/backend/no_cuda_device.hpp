// Why the CUDA backend's tests cannot run here, shared by the conformance suite's CUDA cases and
// tests/cuda/test_cuda_backend.cpp, so both skip with the same reason.
#pragma once

#include <string>

#include "core/kernels/backend.hpp"
#include "polarkit/device.hpp"

namespace polarkit::detail {

/// "" when a CUDA device is present, else backend_for's error ("no CUDA device: ...").
inline std::string no_cuda_device_reason() {
  if (cuda_device_count() > 0) return "";
  try {
    (void)backend_for<double>(MemorySpace::cuda);
  } catch (const Error& e) {
    return e.what();
  }
  return "no CUDA device: cuda_device_count() is 0";
}

}  // namespace polarkit::detail
