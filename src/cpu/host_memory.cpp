// The machine's memory, for the size check before a host allocation (polarkit/matrix.hpp).
#include <cstddef>

#include "polarkit/matrix.hpp"

#if defined(__linux__)
#include <sys/sysinfo.h>
#endif

namespace polarkit::detail {

std::size_t host_memory_bytes() noexcept {
#if defined(__linux__)
  // Read once: the total does not change while a process runs (hot-plugged memory aside).
  static const std::size_t total = [] {
    struct sysinfo s {};
    if (sysinfo(&s) != 0) return std::size_t{0};
    const auto unit = static_cast<std::size_t>(s.mem_unit > 0 ? s.mem_unit : 1);
    return (static_cast<std::size_t>(s.totalram) + static_cast<std::size_t>(s.totalswap)) * unit;
  }();
  return total;
#else
  return 0;
#endif
}

}  // namespace polarkit::detail
