// One polar or optimizer call of the C ABI as the library computes it: the caller's arrays of
// pointers checked (sizes, leading dimensions, NULLs, the overlap rule over the whole list, on
// the caller's own pointers), staged (bf16 through float copies) and viewed; then, once the
// library has run, the outputs committed and the reports written. The same for the
// single-process entry points (polar.cpp, optimizer.cpp; every item of one shape) and for the
// distributed ones of libpolarkit_mpi (each item its own shape), which run the preparation on
// every rank and agree on its verdict before any collective.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "c_api/common.hpp"
#include "c_api/handles.hpp"
#include "polarkit/info.hpp"
#include "polarkit/matrix.hpp"
#include "polarkit/optim.hpp"

namespace polarkit::c_api {

/// The shape and leading dimensions of one item of a call (ld_out: U's or M's, ld_h: H's).
struct ItemShape {
  std::int64_t m = 0;
  std::int64_t n = 0;
  std::int64_t ld_in = 0;   ///< a's (polar) or g's (step)
  std::int64_t ld_out = 0;  ///< u's (polar) or w's (step)
  std::int64_t ld_aux = 0;  ///< h's (polar) or momentum's (step)
};

/// count items of the one shape of the single-process entry points.
std::vector<ItemShape> uniform_items(std::int64_t count, std::int64_t m, std::int64_t n,
                                     std::int64_t ld_in, std::int64_t ld_out, std::int64_t ld_aux);

/// A polar call: U[i] (and H[i]) of A[i]. Throws Error for invalid arguments; writes nothing.
template <class S>
class PolarBatch {
 public:
  using T = compute_of_t<S>;
  PolarBatch(std::span<const ItemShape> items, const S* const* a, S* const* u, S* const* h,
             const polarkit_options* opts, bool want_info);

  std::vector<MatrixView<const T>> A;
  std::vector<MatrixView<T>> U;
  std::vector<MatrixView<T>> H;  ///< empty, or one per item (the caller's or scratch)
  PolarOptions options;

  /// After the library succeeded: outputs back to bf16 where staged, info[i] and the thread's
  /// last reports.
  void finish(std::vector<PolarInfo> results, polarkit_info* info);

 private:
  Staging<S> staging_;
  std::vector<Matrix<T>> scratch_;
};

/// An optimizer step: W[i] (and M[i]) updated from G[i]. `momentum_optional` lets items without
/// a momentum state through although momentum > 0 (a sharded state lives on its owner only).
template <class S>
class StepBatch {
 public:
  using T = compute_of_t<S>;
  StepBatch(const polarkit_optimizer* opt, std::span<const ItemShape> items, S* const* w,
            const S* const* g, S* const* momentum, bool momentum_optional = false);

  std::vector<MatrixView<T>> W;
  std::vector<MatrixView<const T>> G;
  std::vector<MatrixView<T>> M;  ///< empty (no momentum array) or one per item (maybe empty views)

  /// After the library succeeded: outputs back to bf16 where staged, ν into step_nu.
  void finish(const std::vector<optim::StepReport>& reports, double* step_nu) const;

 private:
  Staging<S> staging_;
};

}  // namespace polarkit::c_api
