// The backend's own kernels (elementwise.cu, reductions.cu), as host functions that queue them
// on a stream. Shared by nvcc and the host compiler: no polarkit types beyond a strided matrix and
// the 16-bit storage formats (core/kernels/half.hpp), which the kernels widen to float.
#pragma once

#include <cuda_runtime_api.h>

#include "core/kernels/half.hpp"

#include <cstddef>
#include <cstdint>

namespace polarkit::cuda {

using index_t = std::int64_t;
using detail::bfloat16;
using detail::compute_t;
using detail::float16;

/// A matrix as the kernels address it: element (i, j) at data[i·row_stride + j·col_stride], so
/// one kernel serves both layouts (column-major: 1 and ld; row-major: ld and 1).
template <class T>
struct Strided {
  T* data;
  index_t rows;
  index_t cols;
  index_t row_stride;
  index_t col_stride;
};

// ---- elementwise.cu ----------------------------------------------------------------------------

/// dst = f(src, dst) elementwise, for src and dst of one shape in any layouts: each is read and
/// written along its own contiguous direction (a tile transposes through shared memory).
enum class Map {
  scale,  ///< alpha·src; alpha = 0 writes zeros without reading src (src may be host memory)
  axpby,  ///< alpha·src + beta·dst; beta = 0 does not read dst
  sign,   ///< alpha·sign(src), sign(0) = 0
};
template <class T>
void map(Map op, double alpha, double beta, Strided<const T> src, Strided<T> dst,
         cudaStream_t stream);

/// dst = src converted to To (through float, rounded to nearest), for src and dst of one shape.
template <class From, class To>
void convert(Strided<const From> src, Strided<To> dst, cudaStream_t stream);

/// A(i, i) += gamma for i < min(rows, cols).
template <class T>
void add_diagonal(double gamma, Strided<T> A, cudaStream_t stream);

/// A(i, j) = 0 for i > j.
template <class T>
void zero_strict_lower(Strided<T> A, cudaStream_t stream);

/// A = (A + Aᵀ)/2 for square A.
template <class T>
void symmetrize(Strided<T> A, cudaStream_t stream);

/// A(i, j) = A(j, i) for i < j: the upper triangle from the lower one (after SYRK).
template <class T>
void mirror_lower(Strided<T> A, cudaStream_t stream);

/// A(i, j) *= d[j], d in device memory.
template <class T>
void scale_columns(const T* d, Strided<T> A, cudaStream_t stream);

// ---- reductions.cu -----------------------------------------------------------------------------

/// What reduce() computes, in double, of A (and B where named).
enum class Reduce {
  max_abs,              ///< max |a_ij|
  count_nonfinite,      ///< > 0 when some a_ij is NaN or infinite
  norm,                 ///< ‖A‖_F
  norm_minus_identity,  ///< ‖A − I‖_F
  norm_difference,      ///< ‖A − B‖_F
  dot,                  ///< Σ a_ij b_ij
  trace,                ///< Σ a_ii
};

/// Device scratch reduce() needs (reusable once the stream has passed the reduction).
std::size_t reduce_scratch_bytes();

/// Queues the reduction of a non-empty A and returns where in scratch its result will be (one
/// double in device memory). The norms are safe from overflow and underflow as the CPU
/// backend's: the plain double sum of squares, or, when that is not representable, a second
/// pass scaled by a power of two near max |value| (decided on the device: no synchronisation).
template <class T>
const double* reduce(Reduce what, Strided<const T> A, Strided<const T> B, void* scratch,
                     cudaStream_t stream);

/// norms[j] = ‖a_j‖₂ for every column j of a non-empty A, overflow-safe as reduce(norm).
template <class T>
void column_norms(Strided<const T> A, double* norms, cudaStream_t stream);

}  // namespace polarkit::cuda
