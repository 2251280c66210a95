// cuSOLVER (dense) by scalar type, as cublas.hpp does for cuBLAS.
#pragma once

#include <cusolverDn.h>

namespace polarkit::cuda {

template <class T>
struct Cusolver;

template <>
struct Cusolver<float> {
  static constexpr const char* prefix = "cusolverDnS";
  static constexpr auto geqrf_buffer_size = &cusolverDnSgeqrf_bufferSize;
  static constexpr auto geqrf = &cusolverDnSgeqrf;
  static constexpr auto orgqr_buffer_size = &cusolverDnSorgqr_bufferSize;
  static constexpr auto orgqr = &cusolverDnSorgqr;
  static constexpr auto potrf_buffer_size = &cusolverDnSpotrf_bufferSize;
  static constexpr auto potrf = &cusolverDnSpotrf;
  static constexpr auto getrf_buffer_size = &cusolverDnSgetrf_bufferSize;
  static constexpr auto getrf = &cusolverDnSgetrf;
  static constexpr auto getrs = &cusolverDnSgetrs;
  static constexpr auto gesvd_buffer_size = &cusolverDnSgesvd_bufferSize;
  static constexpr auto gesvd = &cusolverDnSgesvd;
  static constexpr auto syevd_buffer_size = &cusolverDnSsyevd_bufferSize;
  static constexpr auto syevd = &cusolverDnSsyevd;
};

template <>
struct Cusolver<double> {
  static constexpr const char* prefix = "cusolverDnD";
  static constexpr auto geqrf_buffer_size = &cusolverDnDgeqrf_bufferSize;
  static constexpr auto geqrf = &cusolverDnDgeqrf;
  static constexpr auto orgqr_buffer_size = &cusolverDnDorgqr_bufferSize;
  static constexpr auto orgqr = &cusolverDnDorgqr;
  static constexpr auto potrf_buffer_size = &cusolverDnDpotrf_bufferSize;
  static constexpr auto potrf = &cusolverDnDpotrf;
  static constexpr auto getrf_buffer_size = &cusolverDnDgetrf_bufferSize;
  static constexpr auto getrf = &cusolverDnDgetrf;
  static constexpr auto getrs = &cusolverDnDgetrs;
  static constexpr auto gesvd_buffer_size = &cusolverDnDgesvd_bufferSize;
  static constexpr auto gesvd = &cusolverDnDgesvd;
  static constexpr auto syevd_buffer_size = &cusolverDnDsyevd_bufferSize;
  static constexpr auto syevd = &cusolverDnDsyevd;
};

}  // namespace polarkit::cuda
