// The public device functions (polarkit/device.hpp): copies between memory spaces, which devices
// exist, and the release of cached memory — all through the backend registry.
#include "core/kernels/backends.hpp"
#include "cpu/host_cache.hpp"
#include "polarkit/device.hpp"

namespace polarkit {

template <class T>
void copy(MatrixView<const T> src, MatrixView<T> dst) {
  const bool device = src.space() == MemorySpace::cuda || dst.space() == MemorySpace::cuda;
  auto& backend = detail::backend_for<T>(device ? MemorySpace::cuda : MemorySpace::host);
  backend.copy(1.0, src, dst);
  // dst holds the values on return, for readers on any stream (a download has waited already).
  if (dst.space() == MemorySpace::cuda) backend.wait();
}

template <class T>
Matrix<T> copy_to(MatrixView<const T> A, MemorySpace space) {
  Matrix<T> B = detail::backend_for<T>(space).allocate(A.rows(), A.cols());
  copy(A, B.view());
  return B;
}

template void copy<float>(MatrixView<const float>, MatrixView<float>);
template void copy<double>(MatrixView<const double>, MatrixView<double>);
template Matrix<float> copy_to<float>(MatrixView<const float>, MemorySpace);
template Matrix<double> copy_to<double>(MatrixView<const double>, MemorySpace);

int cuda_device_count() noexcept {
#ifdef POLARKIT_HAVE_CUDA
  return detail::cuda_devices();
#else
  return 0;
#endif
}

void release_cached_device_memory() {
#ifdef POLARKIT_HAVE_CUDA
  detail::cuda_release_cached();
#endif
}

void release_cached_memory() {
  detail::host_release_cached();
  release_cached_device_memory();
}

}  // namespace polarkit
