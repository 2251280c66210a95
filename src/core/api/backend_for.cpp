// The one place that maps a memory space to its backends (the optimizer layer maps it to its own
// kernels in src/optim/kernels_for.cpp, the same way).
#include "core/kernels/backends.hpp"
#include "polarkit/error.hpp"

namespace polarkit {
namespace detail {

void cuda_not_compiled() {
  throw Error(ErrorCode::not_compiled,
              "the CUDA backend is not compiled into this polarkit build (memory space 'cuda')");
}

template <class T>
Backend<T>& backend_for(MemorySpace space) {
  if (space == MemorySpace::host) return cpu_backend<T>();
#ifdef POLARKIT_HAVE_CUDA
  return cuda_backend<T>();
#else
  cuda_not_compiled();
#endif
}

template <class S>
StorageBackend<S>& storage_backend_for(MemorySpace space) {
  if (space == MemorySpace::host) return cpu_storage_backend<S>();
#ifdef POLARKIT_HAVE_CUDA
  return cuda_storage_backend<S>();
#else
  cuda_not_compiled();
#endif
}

ProductBackend<float>& tf32_backend_for(MemorySpace space) {
  if (space == MemorySpace::host) return cpu_tf32_backend();
#ifdef POLARKIT_HAVE_CUDA
  return cuda_tf32_backend();
#else
  cuda_not_compiled();
#endif
}

template Backend<float>& backend_for<float>(MemorySpace);
template Backend<double>& backend_for<double>(MemorySpace);
template StorageBackend<bfloat16>& storage_backend_for<bfloat16>(MemorySpace);
template StorageBackend<float16>& storage_backend_for<float16>(MemorySpace);

}  // namespace detail

}  // namespace polarkit
