// The checks the optimizer's batched entry points share (optim::step_batched and
// mpi::optim::step_batched), so that the same arguments get the same verdict and the same words.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string_view>

#include "polarkit/optim.hpp"

namespace polarkit::optim::detail {

/// step_batched's checks before any update (Error(invalid_argument), messages prefixed by
/// `who`): the hyper-parameters, the counts of G and M, each item's operands (G and M of W's
/// shape, M present when momentum > 0) and the overlap rule across the whole batch. one_shape:
/// every W must have W[0]'s shape and memory space (optim::step_batched), and an item's errors
/// then speak as step() does; otherwise (mixed shapes) they name the item. holds_state(i) false:
/// M[i] is not this call's to touch (a sharded state its owner holds) and is neither checked nor
/// part of the overlap rule; empty: every M[i] is. G's finiteness is the caller's to check (only
/// the gradients a call reads).
template <class T>
void validate_step_batch(std::string_view who, bool one_shape, const Config& config,
                         std::span<const MatrixView<T>> W, std::span<const MatrixView<const T>> G,
                         std::span<const MatrixView<T>> M,
                         const std::function<bool(std::size_t)>& holds_state = {});

}  // namespace polarkit::optim::detail
