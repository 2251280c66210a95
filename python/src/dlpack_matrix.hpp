// Matrices handed over by the DLPack protocol (obj.__dlpack__()): numpy arrays, torch tensors and
// anything else that exports one, read and written in place. The structs are the DLPack ABI
// (dlpack.h, version 0.x, the layout numpy ≥ 1.22 and torch ≥ 1.10 export); only the fields
// polarkit reads are interpreted.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "polarkit/error.hpp"
#include "polarkit/matrix.hpp"

namespace polarkit::python {

/// Throws Error(invalid_argument): the package's InvalidArgumentError.
[[noreturn]] inline void invalid(const std::string& message) {
  throw Error(ErrorCode::invalid_argument, message);
}

namespace dl {
struct Device {
  std::int32_t device_type;  // 1: CPU, 2: CUDA, 3: CUDA host (pinned)
  std::int32_t device_id;
};
struct DataType {
  std::uint8_t code;  // 0: int, 1: uint, 2: float, 4: bfloat
  std::uint8_t bits;
  std::uint16_t lanes;
};
struct Tensor {
  void* data;
  Device device;
  std::int32_t ndim;
  DataType dtype;
  std::int64_t* shape;
  std::int64_t* strides;  // in elements; NULL: C-contiguous
  std::uint64_t byte_offset;
};
struct ManagedTensor {
  Tensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(ManagedTensor*);
};
}  // namespace dl

/// The element types a DLPack tensor may hold for polarkit.
enum class Dtype { f32, f64 };

/// One DLPack export, held for the duration of a call: the producer's memory stays alive until
/// the destructor hands the tensor back (the protocol's deleter), and the capsule is marked used.
class DlpackMatrices {
 public:
  /// obj.__dlpack__() of a 2-D (one matrix) or 3-D (a stack: batch × rows × cols) array.
  /// `what` names the argument in errors.
  DlpackMatrices(const pybind11::handle& obj, const char* what);
  DlpackMatrices(const DlpackMatrices&) = delete;
  DlpackMatrices& operator=(const DlpackMatrices&) = delete;
  ~DlpackMatrices();

  [[nodiscard]] Dtype dtype() const { return dtype_; }
  [[nodiscard]] MemorySpace space() const { return space_; }
  [[nodiscard]] std::size_t count() const { return count_; }
  [[nodiscard]] index_t rows() const { return rows_; }
  [[nodiscard]] index_t cols() const { return cols_; }
  /// Whether item k is a strided matrix polarkit reads in place (column- or row-major with a
  /// leading dimension); otherwise it is copied once (the callers count the copies).
  [[nodiscard]] bool in_place() const { return in_place_; }
  /// Item k as a view (in_place() only).
  template <class T>
  [[nodiscard]] MatrixView<T> view(std::size_t k) const;
  /// Element (i, j) of item k at any strides, for the copies.
  template <class T>
  [[nodiscard]] T* element(std::size_t k, index_t i, index_t j) const;

 private:
  pybind11::object capsule_;
  dl::ManagedTensor* managed_ = nullptr;
  Dtype dtype_ = Dtype::f64;
  MemorySpace space_ = MemorySpace::host;
  std::size_t count_ = 1;
  index_t rows_ = 0;
  index_t cols_ = 0;
  std::int64_t batch_stride_ = 0;
  std::int64_t row_stride_ = 0;
  std::int64_t col_stride_ = 0;
  bool in_place_ = false;
  Layout layout_ = Layout::col_major;
  index_t ld_ = 1;
  char* base_ = nullptr;
};

}  // namespace polarkit::python
