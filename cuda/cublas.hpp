// cuBLAS by scalar type: each routine's single- and double-precision entry points under one name
// (blaspp's overloads as a table), so the backend is written once as a template.
#pragma once

#include <cublas_v2.h>

namespace polarkit::cuda {

template <class T>
struct Cublas;

template <>
struct Cublas<float> {
  static constexpr const char* prefix = "cublasS";
  static constexpr auto gemm = &cublasSgemm;
  static constexpr auto syrk = &cublasSsyrk;
  static constexpr auto trsm = &cublasStrsm;
};

template <>
struct Cublas<double> {
  static constexpr const char* prefix = "cublasD";
  static constexpr auto gemm = &cublasDgemm;
  static constexpr auto syrk = &cublasDsyrk;
  static constexpr auto trsm = &cublasDtrsm;
};

}  // namespace polarkit::cuda
