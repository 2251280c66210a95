// The O(mn) kernels that write a matrix: scaled copies and sums in any layouts, sign, the
// triangle and diagonal updates. One thread per element (or per element pair for symmetrize).
#include "device.cuh"

namespace polarkit::cuda {
namespace {

// ---- map: dst = f(src, dst) ------------------------------------------------------------------

// A 32 × 32 tile per block of 32 × 8 threads: the tile is read along src's contiguous direction
// and written along dst's, through shared memory, so a transposing copy stays coalesced.
constexpr int tile = 32;
constexpr int tile_rows = 8;

// Each computes in compute_t<T> (float for the 16-bit formats) and rounds once.
template <class T>
struct Scale {
  using C = compute_t<T>;
  static constexpr bool reads_dst = false;
  C alpha;
  __device__ T operator()(T s, T) const { return T(alpha * C(s)); }
};

template <class T>
struct Axpby {
  using C = compute_t<T>;
  static constexpr bool reads_dst = true;
  C alpha;
  C beta;
  __device__ T operator()(T s, T d) const { return T(alpha * C(s) + beta * C(d)); }
};

template <class T>
struct Sign {
  using C = compute_t<T>;
  static constexpr bool reads_dst = false;
  C alpha;
  __device__ T operator()(T s, T) const {
    const C v = C(s);
    return T(v > C(0) ? alpha : v < C(0) ? -alpha : C(0));
  }
};

template <class T, class Op>
__global__ void map_kernel(Op op, Strided<const T> src, Strided<T> dst, bool read_src) {
  __shared__ T buffer[tile][tile + 1];  // + 1: a column of the tile spans all 32 banks
  const bool src_rows_fast = src.row_stride == 1;
  const bool dst_rows_fast = dst.row_stride == 1;
  const index_t row_tiles = (dst.rows + tile - 1) / tile;
  const index_t tiles = row_tiles * ((dst.cols + tile - 1) / tile);
  const int x = static_cast<int>(threadIdx.x);
  for (index_t t = blockIdx.x; t < tiles; t += gridDim.x) {
    const index_t i0 = (t % row_tiles) * tile;
    const index_t j0 = (t / row_tiles) * tile;
    if (read_src) {
      for (int k = static_cast<int>(threadIdx.y); k < tile; k += tile_rows) {
        const int a = src_rows_fast ? x : k;
        const int b = src_rows_fast ? k : x;
        if (i0 + a < src.rows && j0 + b < src.cols) buffer[a][b] = at(src, i0 + a, j0 + b);
      }
    }
    __syncthreads();
    for (int k = static_cast<int>(threadIdx.y); k < tile; k += tile_rows) {
      const int a = dst_rows_fast ? x : k;
      const int b = dst_rows_fast ? k : x;
      if (i0 + a < dst.rows && j0 + b < dst.cols) {
        T& d = at(dst, i0 + a, j0 + b);
        const T s = read_src ? buffer[a][b] : T(0);
        d = op(s, Op::reads_dst ? d : T(0));
      }
    }
    __syncthreads();  // the next tile refills the buffer
  }
}

template <class T, class Op>
void launch_map(Op op, Strided<const T> src, Strided<T> dst, bool read_src, cudaStream_t stream) {
  const index_t tiles = ((dst.rows + tile - 1) / tile) * ((dst.cols + tile - 1) / tile);
  map_kernel<T><<<blocks_for(tiles, 1, 4096), dim3(tile, tile_rows), 0, stream>>>(op, src, dst,
                                                                                  read_src);
  check_launch("map kernel launch");
}

// ---- one thread per (i, j) -------------------------------------------------------------------

constexpr int threads = 256;

template <class F>
__global__ void each_kernel(F f, index_t rows, index_t cols) {
  const index_t stride = static_cast<index_t>(blockDim.x) * gridDim.x;
  for (index_t j = blockIdx.y; j < cols; j += gridDim.y) {
    for (index_t i = static_cast<index_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < rows;
         i += stride) {
      f(i, j);
    }
  }
}

template <class F>
void launch_each(F f, index_t rows, index_t cols, cudaStream_t stream, const char* what) {
  if (rows == 0 || cols == 0) return;
  const dim3 grid(blocks_for(rows, threads, 1024), blocks_for(cols, 1, 65535));
  each_kernel<<<grid, threads, 0, stream>>>(f, rows, cols);
  check_launch(what);
}

template <class T>
struct AddDiagonal {
  Strided<T> A;
  compute_t<T> gamma;
  __device__ void operator()(index_t i, index_t) const {
    at(A, i, i) = T(compute_t<T>(at(A, i, i)) + gamma);
  }
};

template <class From, class To>
struct Convert {
  Strided<const From> src;
  Strided<To> dst;
  __device__ void operator()(index_t i, index_t j) const {
    at(dst, i, j) = To(static_cast<float>(static_cast<compute_t<From>>(at(src, i, j))));
  }
};

template <class T>
struct ZeroStrictLower {
  Strided<T> A;
  __device__ void operator()(index_t i, index_t j) const {
    if (i > j) at(A, i, j) = T(0);
  }
};

// The thread of (i, j), i > j, owns the pair (i, j), (j, i).
template <class T>
struct Symmetrize {
  Strided<T> A;
  __device__ void operator()(index_t i, index_t j) const {
    if (i > j) {
      const T s = (at(A, i, j) + at(A, j, i)) / T(2);
      at(A, i, j) = s;
      at(A, j, i) = s;
    }
  }
};

template <class T>
struct MirrorLower {
  Strided<T> A;
  __device__ void operator()(index_t i, index_t j) const {
    if (i < j) at(A, i, j) = at(A, j, i);
  }
};

template <class T>
struct ScaleColumns {
  Strided<T> A;
  const T* d;
  __device__ void operator()(index_t i, index_t j) const { at(A, i, j) *= d[j]; }
};

}  // namespace

template <class T>
void map(Map op, double alpha, double beta, Strided<const T> src, Strided<T> dst,
         cudaStream_t stream) {
  if (dst.rows == 0 || dst.cols == 0) return;
  using C = compute_t<T>;
  const C a = static_cast<C>(alpha);
  switch (op) {
    case Map::scale:
      launch_map(Scale<T>{a}, src, dst, alpha != 0.0, stream);
      break;
    case Map::axpby:
      if (beta == 0.0) {
        launch_map(Scale<T>{a}, src, dst, true, stream);
      } else {
        launch_map(Axpby<T>{a, static_cast<C>(beta)}, src, dst, true, stream);
      }
      break;
    case Map::sign:
      launch_map(Sign<T>{a}, src, dst, true, stream);
      break;
  }
}

template <class T>
void add_diagonal(double gamma, Strided<T> A, cudaStream_t stream) {
  launch_each(AddDiagonal<T>{A, static_cast<compute_t<T>>(gamma)}, std::min(A.rows, A.cols), 1, stream,
              "add_diagonal kernel launch");
}

template <class T>
void zero_strict_lower(Strided<T> A, cudaStream_t stream) {
  launch_each(ZeroStrictLower<T>{A}, A.rows, A.cols, stream, "zero_strict_lower kernel launch");
}

template <class T>
void symmetrize(Strided<T> A, cudaStream_t stream) {
  launch_each(Symmetrize<T>{A}, A.rows, A.cols, stream, "symmetrize kernel launch");
}

template <class T>
void mirror_lower(Strided<T> A, cudaStream_t stream) {
  launch_each(MirrorLower<T>{A}, A.rows, A.cols, stream, "mirror_lower kernel launch");
}

template <class T>
void scale_columns(const T* d, Strided<T> A, cudaStream_t stream) {
  launch_each(ScaleColumns<T>{A, d}, A.rows, A.cols, stream, "scale_columns kernel launch");
}

template <class From, class To>
void convert(Strided<const From> src, Strided<To> dst, cudaStream_t stream) {
  launch_each(Convert<From, To>{src, dst}, dst.rows, dst.cols, stream, "convert kernel launch");
}

#define POLARKIT_INSTANTIATE(T)                                                               \
  template void map<T>(Map, double, double, Strided<const T>, Strided<T>, cudaStream_t);     \
  template void add_diagonal<T>(double, Strided<T>, cudaStream_t);                           \
  template void zero_strict_lower<T>(Strided<T>, cudaStream_t);                              \
  template void symmetrize<T>(Strided<T>, cudaStream_t);                                     \
  template void mirror_lower<T>(Strided<T>, cudaStream_t);                                   \
  template void scale_columns<T>(const T*, Strided<T>, cudaStream_t);
POLARKIT_INSTANTIATE(float)
POLARKIT_INSTANTIATE(double)
#undef POLARKIT_INSTANTIATE

// The 16-bit formats need what the Newton–Schulz loop does (ProductBackend) and conversions.
#define POLARKIT_INSTANTIATE(S)                                                               \
  template void map<S>(Map, double, double, Strided<const S>, Strided<S>, cudaStream_t);     \
  template void add_diagonal<S>(double, Strided<S>, cudaStream_t);                           \
  template void convert<float, S>(Strided<const float>, Strided<S>, cudaStream_t);           \
  template void convert<double, S>(Strided<const double>, Strided<S>, cudaStream_t);         \
  template void convert<S, float>(Strided<const S>, Strided<float>, cudaStream_t);           \
  template void convert<S, double>(Strided<const S>, Strided<double>, cudaStream_t);
POLARKIT_INSTANTIATE(bfloat16)
POLARKIT_INSTANTIATE(float16)
#undef POLARKIT_INSTANTIATE

}  // namespace polarkit::cuda
