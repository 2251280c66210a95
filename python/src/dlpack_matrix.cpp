#include "dlpack_matrix.hpp"

#include <algorithm>

namespace py = pybind11;

namespace polarkit::python {
namespace {

// The stride-(1, ld) or stride-(ld, 1) form of an m × n matrix with element strides (s0, s1):
// a dimension of extent 1 may carry any stride, so either form may fit it.
bool fits(index_t m, index_t n, std::int64_t s0, std::int64_t s1, Layout& layout, index_t& ld) {
  if ((s0 == 1 || m <= 1) && s1 >= std::max<index_t>(1, m)) {
    layout = Layout::col_major;
    ld = n <= 1 ? std::max<index_t>(1, m) : s1;
    return true;
  }
  if ((s1 == 1 || n <= 1) && s0 >= std::max<index_t>(1, n)) {
    layout = Layout::row_major;
    ld = m <= 1 ? std::max<index_t>(1, n) : s0;
    return true;
  }
  if (m <= 1 && n <= 1) {
    layout = Layout::col_major;
    ld = 1;
    return true;
  }
  return false;
}

}  // namespace

DlpackMatrices::DlpackMatrices(const py::handle& obj, const char* what) {
  const std::string name(what);
  if (!py::hasattr(obj, "__dlpack__")) {
    invalid(name + ": expected an array or tensor with __dlpack__ (numpy >= 1.22, torch), got " +
            std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
  }
  capsule_ = obj.attr("__dlpack__")();
  PyObject* capsule = capsule_.ptr();
  if (PyCapsule_IsValid(capsule, "dltensor") == 0) {
    invalid(name + ": __dlpack__ did not return a DLPack capsule");
  }
  managed_ = static_cast<dl::ManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
  // The consumer owns the tensor now: the capsule must not free it a second time.
  PyCapsule_SetName(capsule, "used_dltensor");
  const dl::Tensor& t = managed_->dl_tensor;
  if (t.dtype.lanes != 1 || t.dtype.code != 2 || (t.dtype.bits != 32 && t.dtype.bits != 64)) {
    invalid(name + ": dtype must be float32 or float64 (DLPack code " +
            std::to_string(t.dtype.code) + ", " + std::to_string(t.dtype.bits) + " bits)");
  }
  dtype_ = t.dtype.bits == 32 ? Dtype::f32 : Dtype::f64;
  if (t.device.device_type == 1 || t.device.device_type == 3) {
    space_ = MemorySpace::host;
  } else if (t.device.device_type == 2) {
    space_ = MemorySpace::cuda;
  } else {
    invalid(name + ": device type " + std::to_string(t.device.device_type) +
            " is not supported (CPU or CUDA)");
  }
  if (t.ndim != 2 && t.ndim != 3) {
    invalid(name + ": expected a 2-D matrix or a 3-D stack of matrices, got " +
            std::to_string(t.ndim) + " dimensions");
  }
  const int off = t.ndim - 2;
  count_ = off == 1 ? static_cast<std::size_t>(t.shape[0]) : 1;
  rows_ = t.shape[off];
  cols_ = t.shape[off + 1];
  // C-contiguous where the producer gives no strides.
  row_stride_ = t.strides != nullptr ? t.strides[off] : cols_;
  col_stride_ = t.strides != nullptr ? t.strides[off + 1] : 1;
  batch_stride_ = off == 1 ? (t.strides != nullptr ? t.strides[0] : rows_ * cols_) : 0;
  if (row_stride_ < 0 || col_stride_ < 0 || batch_stride_ < 0) {
    invalid(name + ": negative strides are not supported");
  }
  base_ = static_cast<char*>(t.data) + t.byte_offset;
  in_place_ = fits(rows_, cols_, row_stride_, col_stride_, layout_, ld_);
}

DlpackMatrices::~DlpackMatrices() {
  if (managed_ != nullptr && managed_->deleter != nullptr) managed_->deleter(managed_);
}

template <class T>
MatrixView<T> DlpackMatrices::view(std::size_t k) const {
  T* data = reinterpret_cast<T*>(base_) + static_cast<std::int64_t>(k) * batch_stride_;
  return MatrixView<T>(data, rows_, cols_, ld_, layout_, space_);
}

template <class T>
T* DlpackMatrices::element(std::size_t k, index_t i, index_t j) const {
  return reinterpret_cast<T*>(base_) + static_cast<std::int64_t>(k) * batch_stride_ +
         i * row_stride_ + j * col_stride_;
}

template MatrixView<float> DlpackMatrices::view<float>(std::size_t) const;
template MatrixView<double> DlpackMatrices::view<double>(std::size_t) const;
template float* DlpackMatrices::element<float>(std::size_t, index_t, index_t) const;
template double* DlpackMatrices::element<double>(std::size_t, index_t, index_t) const;

}  // namespace polarkit::python
