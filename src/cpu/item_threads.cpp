#include "cpu/item_threads.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "cpu/blas.hpp"

namespace polarkit::cpu {
namespace {

// One side-by-side region at a time: each sets the process-wide BLAS thread count and restores
// it, so two overlapping regions could leave BLAS single-threaded for good.
std::mutex side_by_side_region;

thread_local bool side_by_side_worker = false;

// Marks the calling thread as a side-by-side worker while it runs jobs.
class WorkerMark {
 public:
  WorkerMark() { side_by_side_worker = true; }
  WorkerMark(const WorkerMark&) = delete;
  WorkerMark& operator=(const WorkerMark&) = delete;
  ~WorkerMark() { side_by_side_worker = false; }
};

// Restores BLAS's thread count however the region ends.
class SingleThreadedBlas {
 public:
  explicit SingleThreadedBlas(int previous) : previous_(previous) { set_blas_threads(1); }
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
  ~SingleThreadedBlas() { set_blas_threads(previous_); }

 private:
  int previous_;
};

}  // namespace

bool in_side_by_side_worker() { return side_by_side_worker; }

void run_on_threads(std::size_t workers, const std::function<void(std::size_t)>& body) {
  std::vector<std::jthread> pool;
  std::size_t t = 1;
  for (; t < workers; ++t) {
    try {
      pool.emplace_back(body, t);
    } catch (const std::system_error&) {
      break;  // no thread to be had: the calling thread runs the rest
    }
  }
  for (std::size_t rest = t; rest < workers; ++rest) body(rest);
  body(0);
}  // the pool joins

bool items_side_by_side(index_t m, index_t n) {
  // Up to 3072 × 768 (1.8e9 multiply-adds per product) measured faster side by side; 2048 × 2048
  // products (8.6e9) already run at 0.9 of the GEMM rate on all cores.
  const double work = static_cast<double>(std::max(m, n)) * static_cast<double>(std::min(m, n)) *
                      static_cast<double>(std::min(m, n));
  return work <= 2.2e9;
}

void run_items(std::size_t count, bool side_by_side,
               const std::function<void(std::size_t)>& job) {
  const auto in_order = [&] {
    for (std::size_t i = 0; i < count; ++i) job(i);
  };
  const int threads = blas_threads();
  if (!side_by_side || count < 2 || threads < 2) return in_order();
  std::unique_lock<std::mutex> region(side_by_side_region, std::try_to_lock);
  if (!region.owns_lock()) return in_order();

  const SingleThreadedBlas single(threads);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  const auto worker = [&](std::size_t) {
    const WorkerMark mark;
    for (std::size_t i = next++; i < count && !failed; i = next++) {
      try {
        job(i);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
      }
    }
  };
  run_on_threads(std::min<std::size_t>(static_cast<std::size_t>(threads), count), worker);
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace polarkit::cpu
