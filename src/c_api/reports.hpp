// Reports through the C ABI: polarkit_info (a fixed layout, the fields every caller wants) and
// the full PolarInfo of each matrix of the calling thread's last polar call, which
// polarkit_last_report_get reads (polarkit_info has no room for new fields).
#pragma once

#include <vector>

#include "polarkit/info.hpp"
#include "polarkit/polarkit.h"

namespace polarkit::c_api {

/// The reports of this thread's last polarkit_*polar* call, one per matrix (empty after a
/// failed call).
std::vector<PolarInfo>& last_reports();

/// info as a call that failed or did nothing leaves it: 0 iterations, not converged, NaN values.
void reset(polarkit_info& info);

/// The fields of result that polarkit_info holds.
void report(const PolarInfo& result, polarkit_info& info);

}  // namespace polarkit::c_api
