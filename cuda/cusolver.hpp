// cuSOLVER (dense) by scalar type, as cublas.hpp does for cuBLAS.
#pragma once

#include <cusolverDn.h>

#include "cublas.hpp"  // POLARKIT_FORWARD
#include "libraries.hpp"

namespace polarkit::cuda {

template <class T>
struct Cusolver;

template <>
struct Cusolver<float> {
  static constexpr const char* prefix = "cusolverDnS";
  POLARKIT_FORWARD(geqrf_buffer_size, cusolver, cusolverDnSgeqrf_bufferSize)
  POLARKIT_FORWARD(geqrf, cusolver, cusolverDnSgeqrf)
  POLARKIT_FORWARD(orgqr_buffer_size, cusolver, cusolverDnSorgqr_bufferSize)
  POLARKIT_FORWARD(orgqr, cusolver, cusolverDnSorgqr)
  POLARKIT_FORWARD(potrf_buffer_size, cusolver, cusolverDnSpotrf_bufferSize)
  POLARKIT_FORWARD(potrf, cusolver, cusolverDnSpotrf)
  POLARKIT_FORWARD(getrf_buffer_size, cusolver, cusolverDnSgetrf_bufferSize)
  POLARKIT_FORWARD(getrf, cusolver, cusolverDnSgetrf)
  POLARKIT_FORWARD(getrs, cusolver, cusolverDnSgetrs)
  POLARKIT_FORWARD(gesvd_buffer_size, cusolver, cusolverDnSgesvd_bufferSize)
  POLARKIT_FORWARD(gesvd, cusolver, cusolverDnSgesvd)
  POLARKIT_FORWARD(syevd_buffer_size, cusolver, cusolverDnSsyevd_bufferSize)
  POLARKIT_FORWARD(syevd, cusolver, cusolverDnSsyevd)
};

template <>
struct Cusolver<double> {
  static constexpr const char* prefix = "cusolverDnD";
  POLARKIT_FORWARD(geqrf_buffer_size, cusolver, cusolverDnDgeqrf_bufferSize)
  POLARKIT_FORWARD(geqrf, cusolver, cusolverDnDgeqrf)
  POLARKIT_FORWARD(orgqr_buffer_size, cusolver, cusolverDnDorgqr_bufferSize)
  POLARKIT_FORWARD(orgqr, cusolver, cusolverDnDorgqr)
  POLARKIT_FORWARD(potrf_buffer_size, cusolver, cusolverDnDpotrf_bufferSize)
  POLARKIT_FORWARD(potrf, cusolver, cusolverDnDpotrf)
  POLARKIT_FORWARD(getrf_buffer_size, cusolver, cusolverDnDgetrf_bufferSize)
  POLARKIT_FORWARD(getrf, cusolver, cusolverDnDgetrf)
  POLARKIT_FORWARD(getrs, cusolver, cusolverDnDgetrs)
  POLARKIT_FORWARD(gesvd_buffer_size, cusolver, cusolverDnDgesvd_bufferSize)
  POLARKIT_FORWARD(gesvd, cusolver, cusolverDnDgesvd)
  POLARKIT_FORWARD(syevd_buffer_size, cusolver, cusolverDnDsyevd_bufferSize)
  POLARKIT_FORWARD(syevd, cusolver, cusolverDnDsyevd)
};

}  // namespace polarkit::cuda
