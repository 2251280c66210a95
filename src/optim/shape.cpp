// Muon's learning-rate scale by shape, and the matrix view of a convolution weight.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/api/checks.hpp"
#include "polarkit/optim.hpp"

namespace polarkit::optim {

double shape_scale(Scale scale, index_t rows, index_t cols) {
  if (rows < 1 || cols < 1) {
    polarkit::detail::invalid("shape_scale: rows and cols must be positive, got " +
                    polarkit::detail::shape(rows, cols));
  }
  const auto r = static_cast<double>(rows);
  const auto c = static_cast<double>(cols);
  switch (scale) {
    case Scale::none:
      return 1.0;
    case Scale::original:
      return std::sqrt(std::max(1.0, r / c));
    case Scale::moonlight:
      return 0.2 * std::sqrt(std::max(r, c));
    case Scale::spectral:
      return std::sqrt(r / c);
  }
  polarkit::detail::invalid("shape_scale: unknown Scale value");
}

template <class T>
MatrixView<T> flatten_conv_weight(T* data, index_t out, index_t in, index_t kh, index_t kw) {
  if (out < 0 || in < 0 || kh < 0 || kw < 0) {
    polarkit::detail::invalid("flatten_conv_weight: negative dimension in (" + std::to_string(out) + ", " +
                    std::to_string(in) + ", " + std::to_string(kh) + ", " + std::to_string(kw) +
                    ")");
  }
  constexpr index_t max = std::numeric_limits<index_t>::max();
  if ((kh > 0 && kw > max / kh) || (kh * kw > 0 && in > max / (kh * kw)) ||
      (in * kh * kw > 0 && out > max / (in * kh * kw))) {
    polarkit::detail::invalid("flatten_conv_weight: the weight's element count overflows");
  }
  const index_t cols = in * kh * kw;
  // Contiguous C order (PyTorch): element (o, i, y, x) at ((o·in + i)·kh + y)·kw + x, which is
  // entry (o, (i·kh + y)·kw + x) of the row-major out × (in·kh·kw) matrix with ld = in·kh·kw.
  return MatrixView<T>(data, out, cols, std::max<index_t>(cols, 1), Layout::row_major);
}

template MatrixView<float> flatten_conv_weight<float>(float*, index_t, index_t, index_t, index_t);
template MatrixView<double> flatten_conv_weight<double>(double*, index_t, index_t, index_t,
                                                        index_t);
template MatrixView<const float> flatten_conv_weight<const float>(const float*, index_t, index_t,
                                                                  index_t, index_t);
template MatrixView<const double> flatten_conv_weight<const double>(const double*, index_t, index_t,
                                                                    index_t, index_t);

}  // namespace polarkit::optim
