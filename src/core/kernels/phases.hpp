// PhaseClock: the bookkeeping behind PolarInfo::phases — named phases, each charged with the
// wall-clock time and the flops counted while it is the innermost open one. Ops times a solver's
// phases with it; the ScaLAPACK solver (src/mpi/scalapack/) times its own with it too.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "polarkit/info.hpp"

namespace polarkit::detail {

class PhaseClock {
 public:
  /// Opens a phase inside the open ones; flops: the caller's total count now.
  void open(std::string_view name, double flops) {
    const Clock::time_point now = Clock::now();
    charge(now, flops);
    const std::size_t i = index_of(name);
    ++phases_[i].calls;
    stack_.push_back({i, now, flops});
  }

  /// Closes the innermost open phase; the enclosing one resumes from here.
  void close(double flops) noexcept {
    const Clock::time_point now = Clock::now();
    charge(now, flops);
    stack_.pop_back();
    if (!stack_.empty()) {
      stack_.back().since = now;
      stack_.back().flops_since = flops;
    }
  }

  /// Phases timed elsewhere, merged by name.
  void merge(const std::vector<PhaseTime>& more) {
    for (const PhaseTime& p : more) {
      PhaseTime& mine = phases_[index_of(p.name)];
      mine.seconds += p.seconds;
      mine.flops += p.flops;
      mine.calls += p.calls;
    }
  }

  /// The phases in the order they first ran.
  [[nodiscard]] const std::vector<PhaseTime>& phases() const noexcept { return phases_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Open {
    std::size_t phase;
    Clock::time_point since;
    double flops_since;
  };

  std::size_t index_of(std::string_view name) {
    for (std::size_t i = 0; i < phases_.size(); ++i) {
      if (phases_[i].name == name) return i;
    }
    phases_.push_back({std::string(name), 0.0, 0.0, 0});
    return phases_.size() - 1;
  }
  // Charges the innermost open phase with the time and flops since it was last (re)started.
  void charge(Clock::time_point now, double flops) {
    if (stack_.empty()) return;
    Open& o = stack_.back();
    phases_[o.phase].seconds += std::chrono::duration<double>(now - o.since).count();
    phases_[o.phase].flops += flops - o.flops_since;
    o.since = now;
    o.flops_since = flops;
  }

  std::vector<PhaseTime> phases_;
  std::vector<Open> stack_;
};

}  // namespace polarkit::detail
