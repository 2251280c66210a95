// Maps a memory space to the optimizer's kernels, as backend_for() does to the backend: the
// same backend objects, reached through the optimizer's own interface.
#include "core/kernels/backends.hpp"
#include "optim/kernels.hpp"

namespace polarkit::optim::detail {

template <class T>
OptimKernels<T>& optim_kernels_for(MemorySpace space) {
  if (space == MemorySpace::host) return cpu_optim_kernels<T>();
#ifdef POLARKIT_HAVE_CUDA
  return cuda_optim_kernels<T>();
#else
  polarkit::detail::cuda_not_compiled();
#endif
}

template OptimKernels<float>& optim_kernels_for<float>(MemorySpace);
template OptimKernels<double>& optim_kernels_for<double>(MemorySpace);

}  // namespace polarkit::optim::detail
