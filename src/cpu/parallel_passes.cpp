#include "cpu/parallel_passes.hpp"

#include <algorithm>
#include <exception>
#include <vector>

#include "blas/blas.hpp"
#include "cpu/threads.hpp"

namespace polarkit::cpu {

void for_block_ranges(index_t blocks, index_t elements, bool triangular,
                      const std::function<void(index_t, index_t)>& f) {
  constexpr index_t min_elements = parallel_pass_elements;
  const index_t per_thread = std::max<index_t>(min_elements / 2, 1);
  const index_t threads = std::min<index_t>(
      {static_cast<index_t>(std::max(blas::threads(), 1)), blocks, elements / per_thread});
  if (threads < 2 || elements < min_elements) {
    if (blocks > 0) f(0, blocks);
    return;
  }
  // Range boundaries at equal shares of the work: block b weighs 1, or blocks − b.
  const auto work_before = [&](index_t b) {
    const double db = static_cast<double>(b);
    const double dn = static_cast<double>(blocks);
    return triangular ? db * dn - db * (db - 1.0) / 2.0 : db;
  };
  const double total = work_before(blocks);
  std::vector<index_t> bounds{0};
  for (index_t t = 1; t < threads; ++t) {
    index_t b = bounds.back();
    while (b < blocks && work_before(b) < total * static_cast<double>(t) / static_cast<double>(threads)) ++b;
    bounds.push_back(b);
  }
  bounds.push_back(blocks);

  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  run_on_threads(static_cast<std::size_t>(threads), [&](std::size_t k) {
    try {
      if (bounds[k] < bounds[k + 1]) f(bounds[k], bounds[k + 1]);
    } catch (...) {
      errors[k] = std::current_exception();
    }
  });
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace polarkit::cpu
