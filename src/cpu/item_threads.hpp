// Independent solves of small matrices side by side: one thread per core, each calling
// single-threaded BLAS, where BLAS's own threads would split every small product between cores
// (measured on 2 cores, float, 5 Polar Express steps: 15% faster for 768 × 768, 9% for
// 3072 × 768; docs/performance.md). The CPU backend no longer runs a batch's items this way: the
// lowered thread count changed results (cpu_backend.cpp, for_each_item, says why).
#pragma once

#include <cstddef>
#include <functional>

#include "polarkit/matrix_view.hpp"

namespace polarkit::cpu {

/// Whether m × n matrices (m ≥ n, the tall orientation) are small enough that a product of
/// theirs (m·n² multiply-adds) runs better on one core each than on all cores in turn.
bool items_side_by_side(index_t m, index_t n);

/// Runs job(0), …, job(count − 1) on up to BLAS's thread count of threads, BLAS single-threaded
/// meanwhile (restored after), when side_by_side, there are at least two jobs and BLAS's thread
/// count can be set (OpenBLAS); in order on the calling thread otherwise, and while another
/// call runs side by side (the thread count is process-wide). Rethrows the first exception a
/// job threw once every started job has finished; the jobs not started then are skipped.
void run_items(std::size_t count, bool side_by_side, const std::function<void(std::size_t)>& job);

/// Runs body(0), …, body(workers − 1) at the same time and returns when all have returned:
/// body(0) on the calling thread, the others on threads of their own — or, where no thread can
/// be had, on the calling thread afterwards. body must not throw (it keeps its own errors).
void run_on_threads(std::size_t workers, const std::function<void(std::size_t)>& body);

/// Whether the calling thread is running a job of run_items side by side with others (whose
/// threads then occupy the cores an O(n²) pass would otherwise spread over).
bool in_side_by_side_worker();

}  // namespace polarkit::cpu
