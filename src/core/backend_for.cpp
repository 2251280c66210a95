// The one place that maps a memory space to its backend, and tells which devices exist.
#include "core/backends.hpp"
#include "polarkit/device.hpp"

namespace polarkit {
namespace detail {

template <class T>
Backend<T>& backend_for(MemorySpace space) {
  switch (space) {
    case MemorySpace::host:
      return cpu_backend<T>();
    case MemorySpace::cuda:
#ifdef POLARKIT_HAVE_CUDA
      return cuda_backend<T>();
#else
      break;
#endif
  }
  throw Error(ErrorCode::not_compiled,
              "the CUDA backend is not compiled into this polarkit build (memory space 'cuda')");
}

template Backend<float>& backend_for<float>(MemorySpace);
template Backend<double>& backend_for<double>(MemorySpace);

}  // namespace detail

int cuda_device_count() noexcept {
#ifdef POLARKIT_HAVE_CUDA
  return detail::cuda_devices();
#else
  return 0;
#endif
}

}  // namespace polarkit
