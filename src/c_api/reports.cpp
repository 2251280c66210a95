#include "c_api/reports.hpp"

#include <cstdint>
#include <limits>

namespace polarkit::c_api {

std::vector<PolarInfo>& last_reports() {
  thread_local std::vector<PolarInfo> reports;
  return reports;
}

void reset(polarkit_info& info) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  info.iterations = 0;
  info.converged = 0;
  info.ortho_error = nan;
  info.backward_error = nan;
  info.nuclear_norm = nan;
  info.scale = nan;
  info.lower_bound = nan;
}

void report(const PolarInfo& result, polarkit_info& info) {
  info.iterations = static_cast<std::int32_t>(result.iterations);
  info.converged = result.converged ? 1 : 0;
  info.ortho_error = result.ortho_error;
  info.backward_error = result.backward_error;
  info.nuclear_norm = result.nuclear_norm;
  info.scale = result.scale;
  info.lower_bound = result.lower_bound;
}

}  // namespace polarkit::c_api
