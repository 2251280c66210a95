// The one place that maps a memory space to its backends.
#include "core/kernels/backends.hpp"
#include "polarkit/error.hpp"

namespace polarkit {
namespace detail {
#ifndef POLARKIT_HAVE_CUDA
namespace {

[[noreturn]] void no_cuda() {
  throw Error(ErrorCode::not_compiled,
              "the CUDA backend is not compiled into this polarkit build (memory space 'cuda')");
}

}  // namespace
#endif

template <class T>
Backend<T>& backend_for(MemorySpace space) {
  if (space == MemorySpace::host) return cpu_backend<T>();
#ifdef POLARKIT_HAVE_CUDA
  return cuda_backend<T>();
#else
  no_cuda();
#endif
}

template <class S>
StorageBackend<S>& storage_backend_for(MemorySpace space) {
  if (space == MemorySpace::host) return cpu_storage_backend<S>();
#ifdef POLARKIT_HAVE_CUDA
  return cuda_storage_backend<S>();
#else
  no_cuda();
#endif
}

ProductBackend<float>& tf32_backend_for(MemorySpace space) {
  if (space == MemorySpace::host) return cpu_tf32_backend();
#ifdef POLARKIT_HAVE_CUDA
  return cuda_tf32_backend();
#else
  no_cuda();
#endif
}

template Backend<float>& backend_for<float>(MemorySpace);
template Backend<double>& backend_for<double>(MemorySpace);
template StorageBackend<bfloat16>& storage_backend_for<bfloat16>(MemorySpace);
template StorageBackend<float16>& storage_backend_for<float16>(MemorySpace);

}  // namespace detail

}  // namespace polarkit
