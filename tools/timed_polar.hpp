// polar() on the memory space a --device option names, for host matrices in and out: the commands
// measure and write results on the host, whichever device computed them.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "polarkit/device.hpp"
#include "polarkit/error.hpp"
#include "polarkit/polar.hpp"

namespace polarkit::cli {

/// The memory space of a --device value ("cpu" or "cuda").
inline MemorySpace device_space(const std::string& device) {
  if (device == "cpu") return MemorySpace::host;
  if (device == "cuda") return MemorySpace::cuda;
  throw Error(ErrorCode::invalid_argument, "--device must be cpu or cuda, got '" + device + "'");
}

/// polar(A, options) computed in `space`, with U and H returned in host memory. `seconds` is the
/// polar() call alone: on a device it excludes the upload of A and the download of U and H, and
/// polar() returns once its last scalar (the backward error, or the last stopping test) is read.
template <class T>
PolarResult<T> timed_polar(MemorySpace space, const Matrix<T>& A, const PolarOptions& options,
                           double& seconds) {
  const auto clock = [] { return std::chrono::steady_clock::now(); };
  if (space == MemorySpace::host) {
    const auto start = clock();
    PolarResult<T> result = polar(A.view(), options);
    seconds = std::chrono::duration<double>(clock() - start).count();
    return result;
  }
  const Matrix<T> on_device = copy_to(A, space);
  const auto start = clock();
  PolarResult<T> computed = polar(on_device.view(), options);
  seconds = std::chrono::duration<double>(clock() - start).count();
  PolarResult<T> result;
  result.U = copy_to(computed.U, MemorySpace::host);
  if (!computed.H.empty()) result.H = copy_to(computed.H, MemorySpace::host);
  result.info = std::move(computed.info);
  return result;
}

}  // namespace polarkit::cli
