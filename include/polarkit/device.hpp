// polarkit/device.hpp — which devices this build of polarkit can run on.
#pragma once

namespace polarkit {

/// The number of CUDA devices polarkit can use for views in MemorySpace::cuda: 0 when the CUDA
/// backend is not compiled into this build, and 0 when the CUDA runtime finds no device (no GPU,
/// no driver, or a driver too old for the runtime). Never throws. With 0, a polarkit call on
/// device memory throws Error: not_compiled without the backend, backend_failure ("no CUDA
/// device: <reason>") with it.
int cuda_device_count() noexcept;

}  // namespace polarkit
