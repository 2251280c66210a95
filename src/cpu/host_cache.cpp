#include "cpu/host_cache.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace polarkit::detail {
namespace {

class HostCache {
 public:
  void* acquire(std::size_t bytes) {
    const std::size_t size = round_up(bytes);
    acquisitions_.fetch_add(1, std::memory_order_relaxed);
    void* block = nullptr;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      // The smallest free block that fits, unless it would waste more than it serves.
      const auto it = free_.lower_bound(size);
      if (it != free_.end() && it->first <= 2 * size) {
        block = it->second;
        cached_ -= it->first;
        free_.erase(it);
      }
    }
    if (block == nullptr) {
      block = std::aligned_alloc(alignment, size);
      if (block == nullptr) throw std::bad_alloc();
      const std::lock_guard<std::mutex> lock(mutex_);
      sizes_[block] = size;
    }
    std::memset(block, 0, bytes);
    return block;
  }

  void release(void* block) noexcept {
    if (block == nullptr) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = sizes_.find(block);
    if (it == sizes_.end()) return;  // not ours: cannot happen through Matrix's deleter
    const std::size_t size = it->second;
    if (cached_ + size > host_cache_limit) {
      sizes_.erase(it);
      std::free(block);
      return;
    }
    free_.emplace(size, block);
    cached_ += size;
  }

  [[nodiscard]] std::size_t acquisitions() const noexcept {
    return acquisitions_.load(std::memory_order_relaxed);
  }

  void release_cached() noexcept {
    const std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [size, block] : free_) {
      sizes_.erase(block);
      std::free(block);
    }
    free_.clear();
    cached_ = 0;
  }

 private:
  static constexpr std::size_t alignment = 64;  // a cache line, and AVX-512's width
  static std::size_t round_up(std::size_t bytes) {
    const std::size_t b = bytes > 0 ? bytes : 1;
    if (b > SIZE_MAX - alignment) throw std::bad_alloc();
    return (b + alignment - 1) / alignment * alignment;
  }

  std::mutex mutex_;
  std::multimap<std::size_t, void*> free_;         ///< cached blocks by size
  std::unordered_map<void*, std::size_t> sizes_;   ///< every live or cached block's size
  std::size_t cached_ = 0;
  std::atomic<std::size_t> acquisitions_{0};
};

// Never destroyed: matrices freed during static destruction still find it.
HostCache& cache() {
  static HostCache* const instance = new HostCache;
  return *instance;
}

}  // namespace

void* host_acquire(std::size_t bytes) { return cache().acquire(bytes); }
void host_release(void* block) noexcept { cache().release(block); }
void host_release_cached() noexcept { cache().release_cached(); }
std::size_t host_acquisitions() noexcept { return cache().acquisitions(); }

}  // namespace polarkit::detail
