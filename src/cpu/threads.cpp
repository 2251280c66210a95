#include "cpu/threads.hpp"

#include <system_error>
#include <thread>
#include <vector>

namespace polarkit::cpu {

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

}  // namespace polarkit::cpu
