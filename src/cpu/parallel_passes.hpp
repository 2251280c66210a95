// The O(n²) element-wise passes (mirroring a Gram matrix, forming a polynomial in it, copies and
// sums of iterates) across cores. BLAS runs the products on every core; a pass on one thread
// leaves the others waiting — 10–15% of a 5-step float Polar Express run at n = 2048 on 2 cores.
#pragma once

#include <functional>

#include "polarkit/matrix_view.hpp"

namespace polarkit::cpu {

/// The smallest pass (in elements) spread over threads: about 0.1 ms of work, where a thread
/// costs about 20 µs.
inline constexpr index_t parallel_pass_elements = index_t{1} << 18;

/// Calls f(b0, b1) on contiguous ranges [b0, b1) that cover the blocks [0, blocks), on up to
/// BLAS's thread count of threads (cpu/threads.hpp) when the pass touches at least
/// parallel_pass_elements; on the calling thread otherwise. triangular: block b holds (blocks − b) parts of work (a lower triangle by column
/// blocks), so the ranges are split by area. f must write disjoint memory for disjoint ranges;
/// the result is then the same for any split. Rethrows an exception of f after all ranges ran.
void for_block_ranges(index_t blocks, index_t elements, bool triangular,
                      const std::function<void(index_t, index_t)>& f);

}  // namespace polarkit::cpu
