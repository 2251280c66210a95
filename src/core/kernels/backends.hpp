// The backends backend_for() chooses from (src/core/api/backend_for.cpp), each defined beside its
// implementation: the CPU backend in src/cpu/, the CUDA backend in cuda/ when the build has it
// (POLARKIT_HAVE_CUDA).
#pragma once

#include "core/kernels/backend.hpp"

namespace polarkit::detail {

template <class T>
Backend<T>& cpu_backend();

/// The host's reduced-precision backends (src/cpu/reduced_backends.cpp): emulations that round
/// as the GPU does.
template <class S>
StorageBackend<S>& cpu_storage_backend();
ProductBackend<float>& cpu_tf32_backend();

/// Throws the Error(not_compiled) of a CUDA memory space in a build without the CUDA backend:
/// backend_for()'s, shared with the optimizer's optim_kernels_for() so both say the same.
[[noreturn]] void cuda_not_compiled();

#ifdef POLARKIT_HAVE_CUDA
/// The backend of the calling thread's current CUDA device. Throws Error(backend_failure)
/// "no CUDA device: <reason>" when the CUDA runtime finds none.
template <class T>
Backend<T>& cuda_backend();

template <class S>
StorageBackend<S>& cuda_storage_backend();
ProductBackend<float>& cuda_tf32_backend();

/// Devices the CUDA runtime sees; 0 when there is none or no usable driver.
int cuda_devices() noexcept;

/// polarkit::release_cached_device_memory() of the CUDA backend.
void cuda_release_cached();
#endif

}  // namespace polarkit::detail
