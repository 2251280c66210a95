// Reductions to a double: max |a|, the finite check, Frobenius norms, dot, trace, column norms.
// Each is deterministic (fixed partition, fixed order) and accumulates in double. A reduction is
// a grid of partial results and one block that combines them; the norms may add a second,
// scaled pass, which the combining block decides on, so the host waits only for the final value.
#include "device.cuh"

namespace polarkit::cuda {
namespace {

constexpr int threads = 256;
constexpr int max_blocks = 1024;

// A sum and a maximum carried together: the norms need both (the maximum decides the scaling).
struct Partial {
  double sum;
  double max;
};

__device__ Partial combine(Partial a, Partial b) { return {a.sum + b.sum, fmax(a.max, b.max)}; }

__device__ Partial shuffle_down(Partial p, int offset) {
  return {__shfl_down_sync(0xffffffffu, p.sum, offset), __shfl_down_sync(0xffffffffu, p.max, offset)};
}

__device__ Partial warp_total(Partial p) {
  for (int offset = 16; offset > 0; offset /= 2) p = combine(p, shuffle_down(p, offset));
  return p;
}

// The block's total, returned to every thread (blockDim.x: a multiple of 32).
__device__ Partial block_total(Partial p) {
  __shared__ Partial warps[32];
  __shared__ Partial total;
  const unsigned lane = threadIdx.x % 32;
  const unsigned warp = threadIdx.x / 32;
  p = warp_total(p);
  if (lane == 0) warps[warp] = p;
  __syncthreads();
  if (warp == 0) {
    p = warp_total(lane < blockDim.x / 32 ? warps[lane] : Partial{0.0, 0.0});
    if (lane == 0) total = p;
  }
  __syncthreads();
  const Partial result = total;
  __syncthreads();  // a later call in the same kernel overwrites warps and total
  return result;
}

// The norms' scaling (as the CPU backend's): the plain sum of squares when it is representable,
// else every value times 2^-e with max |value| = f·2^e, f ∈ [1/2, 1), and the root times 2^e.
// The values are scaled by ldexp, not by a factor 2^-e: that factor overflows when max |value|
// is below 2^-1024 (subnormal doubles).
struct Rescale {
  int needed;
  int exponent;
};

__device__ bool plain_sum_is_safe(Partial p) {
  return p.max == 0.0 || (isfinite(p.sum) && p.sum > 1e-280);
}

// ---- what each element contributes -----------------------------------------------------------

// (i, j) of the k-th element along A's contiguous direction, so neighbouring threads read
// neighbouring addresses.
template <class T>
__device__ void coordinates(const Strided<const T>& A, index_t k, index_t& i, index_t& j) {
  if (A.row_stride == 1) {
    i = k % A.rows;
    j = k / A.rows;
  } else {
    i = k / A.cols;
    j = k % A.cols;
  }
}

template <class T>
__device__ double value(const Strided<const T>& A, index_t i, index_t j) {
  return static_cast<double>(static_cast<compute_t<T>>(at(A, i, j)));
}

// Squares of values v(i, j) (times 2^-exponent, the norm's scale) and their magnitudes.
template <class T, class Value>
struct Squares {
  Strided<const T> A;
  Strided<const T> B;
  __device__ Partial operator()(index_t k, int exponent) const {
    index_t i = 0;
    index_t j = 0;
    coordinates(A, k, i, j);
    const double v = Value{}(A, B, i, j);
    const double s = ldexp(v, -exponent);
    return {s * s, fabs(v)};
  }
};

struct Plain {
  template <class T>
  __device__ double operator()(const Strided<const T>& A, const Strided<const T>&, index_t i,
                               index_t j) const {
    return value(A, i, j);
  }
};

struct MinusIdentity {
  template <class T>
  __device__ double operator()(const Strided<const T>& A, const Strided<const T>&, index_t i,
                               index_t j) const {
    return value(A, i, j) - (i == j ? 1.0 : 0.0);
  }
};

struct Difference {
  template <class T>
  __device__ double operator()(const Strided<const T>& A, const Strided<const T>& B, index_t i,
                               index_t j) const {
    return value(A, i, j) - value(B, i, j);
  }
};

template <class T>
struct Products {
  Strided<const T> A;
  Strided<const T> B;
  __device__ Partial operator()(index_t k, int) const {
    index_t i = 0;
    index_t j = 0;
    coordinates(A, k, i, j);
    return {value(A, i, j) * value(B, i, j), 0.0};
  }
};

template <class T>
struct Magnitudes {
  Strided<const T> A;
  __device__ Partial operator()(index_t k, int) const {
    index_t i = 0;
    index_t j = 0;
    coordinates(A, k, i, j);
    return {0.0, fabs(value(A, i, j))};
  }
};

template <class T>
struct NonFinite {
  Strided<const T> A;
  __device__ Partial operator()(index_t k, int) const {
    index_t i = 0;
    index_t j = 0;
    coordinates(A, k, i, j);
    return {0.0, isfinite(value(A, i, j)) ? 0.0 : 1.0};
  }
};

template <class T>
struct Diagonal {
  Strided<const T> A;
  __device__ Partial operator()(index_t k, int) const { return {value(A, k, k), 0.0}; }
};

// ---- the kernels -------------------------------------------------------------------------------

// One partial per block. With a Rescale, this is the norms' second pass: skipped (by every
// block alike) unless the first one found it needed.
template <class Elements>
__global__ void partials_kernel(Elements elements, index_t count, const Rescale* rescale,
                                Partial* partials) {
  int exponent = 0;
  if (rescale != nullptr) {
    if (rescale->needed == 0) return;
    exponent = rescale->exponent;
  }
  Partial p{0.0, 0.0};
  const index_t stride = static_cast<index_t>(blockDim.x) * gridDim.x;
  for (index_t k = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < count;
       k += stride) {
    p = combine(p, elements(k, exponent));
  }
  p = block_total(p);
  if (threadIdx.x == 0) partials[blockIdx.x] = p;
}

enum class Finish { sum, max, norm, scaled_norm };

// One block: combines the partials into *result (for a norm, or decides on the scaled pass).
__global__ void finish_kernel(const Partial* partials, unsigned count, Finish how,
                              Rescale* rescale, double* result) {
  if (how == Finish::scaled_norm && rescale->needed == 0) return;
  Partial p{0.0, 0.0};
  for (unsigned b = threadIdx.x; b < count; b += blockDim.x) p = combine(p, partials[b]);
  p = block_total(p);
  if (threadIdx.x != 0) return;
  switch (how) {
    case Finish::sum:
      *result = p.sum;
      break;
    case Finish::max:
      *result = p.max;
      break;
    case Finish::norm:
      rescale->needed = plain_sum_is_safe(p) ? 0 : 1;
      if (rescale->needed == 0) {
        *result = sqrt(p.sum);
      } else {
        frexp(p.max, &rescale->exponent);
      }
      break;
    case Finish::scaled_norm:
      *result = ldexp(sqrt(p.sum), rescale->exponent);
      break;
  }
}

// One block per column: the column's norm, scaled inside the block when it needs to be.
template <class T>
__global__ void column_norms_kernel(Strided<const T> A, double* norms) {
  for (index_t j = blockIdx.x; j < A.cols; j += gridDim.x) {
    Partial p{0.0, 0.0};
    for (index_t i = threadIdx.x; i < A.rows; i += blockDim.x) {
      const double v = value(A, i, j);
      p = combine(p, {v * v, fabs(v)});
    }
    p = block_total(p);
    double norm = 0.0;
    if (plain_sum_is_safe(p)) {
      norm = sqrt(p.sum);
    } else {
      int exponent = 0;
      frexp(p.max, &exponent);
      Partial q{0.0, 0.0};
      for (index_t i = threadIdx.x; i < A.rows; i += blockDim.x) {
        const double v = ldexp(value(A, i, j), -exponent);
        q.sum += v * v;
      }
      norm = ldexp(sqrt(block_total(q).sum), exponent);
    }
    if (threadIdx.x == 0) norms[j] = norm;
  }
}

// Where reduce() keeps its intermediate values in the caller's scratch.
struct Scratch {
  Partial partials[max_blocks];
  Rescale rescale;
  double result;
};

template <class Elements>
const double* run(Elements elements, index_t count, Finish how, void* memory,
                  cudaStream_t stream) {
  auto* scratch = static_cast<Scratch*>(memory);
  const unsigned blocks = blocks_for(count, threads, max_blocks);
  partials_kernel<<<blocks, threads, 0, stream>>>(elements, count, nullptr, scratch->partials);
  check_launch("reduction kernel launch");
  finish_kernel<<<1, threads, 0, stream>>>(scratch->partials, blocks, how, &scratch->rescale,
                                           &scratch->result);
  check_launch("reduction kernel launch");
  if (how == Finish::norm) {
    partials_kernel<<<blocks, threads, 0, stream>>>(elements, count, &scratch->rescale,
                                                    scratch->partials);
    check_launch("reduction kernel launch");
    finish_kernel<<<1, threads, 0, stream>>>(scratch->partials, blocks, Finish::scaled_norm,
                                             &scratch->rescale, &scratch->result);
    check_launch("reduction kernel launch");
  }
  return &scratch->result;
}

}  // namespace

std::size_t reduce_scratch_bytes() { return sizeof(Scratch); }

template <class T>
const double* reduce(Reduce what, Strided<const T> A, Strided<const T> B, void* scratch,
                     cudaStream_t stream) {
  const index_t count = A.rows * A.cols;
  switch (what) {
    case Reduce::max_abs:
      return run(Magnitudes<T>{A}, count, Finish::max, scratch, stream);
    case Reduce::count_nonfinite:
      return run(NonFinite<T>{A}, count, Finish::max, scratch, stream);
    case Reduce::norm:
      return run(Squares<T, Plain>{A, B}, count, Finish::norm, scratch, stream);
    case Reduce::norm_minus_identity:
      return run(Squares<T, MinusIdentity>{A, B}, count, Finish::norm, scratch, stream);
    case Reduce::norm_difference:
      return run(Squares<T, Difference>{A, B}, count, Finish::norm, scratch, stream);
    case Reduce::dot:
      return run(Products<T>{A, B}, count, Finish::sum, scratch, stream);
    case Reduce::trace:
      break;
  }
  return run(Diagonal<T>{A}, std::min(A.rows, A.cols), Finish::sum, scratch, stream);
}

template <class T>
void column_norms(Strided<const T> A, double* norms, cudaStream_t stream) {
  column_norms_kernel<<<blocks_for(A.cols, 1, 65535), threads, 0, stream>>>(A, norms);
  check_launch("column_norms kernel launch");
}

#define POLARKIT_INSTANTIATE(T)                                                              \
  template const double* reduce<T>(Reduce, Strided<const T>, Strided<const T>, void*,       \
                                   cudaStream_t);                                           \
  template void column_norms<T>(Strided<const T>, double*, cudaStream_t);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
POLARKIT_INSTANTIATE(bfloat16)
POLARKIT_INSTANTIATE(float16)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::cuda
