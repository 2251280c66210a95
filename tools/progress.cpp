// progress.cpp — Progress: the live line on a terminal, one line per case in a log.
#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace polarkit::cli {

Progress::Progress(std::size_t total, Mode mode, std::FILE* out)
    : out_(out), total_(total), start_(Clock::now()) {
  if (mode == Mode::off || total == 0) return;
  live_ = isatty(fileno(out)) != 0;
  lines_ = !live_ && mode == Mode::lines;
  // A case may run for minutes: the thread keeps the elapsed time and the estimate moving.
  if (live_) ticker_ = std::thread([this] { tick(); });
}

Progress::~Progress() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (live_) {
    std::fputs("\r\033[K", out_);  // leave the terminal as it was
    std::fflush(out_);
  }
}

void Progress::begin(const std::string& what) {
  const std::lock_guard lock(mutex_);
  current_ = what;
  active_ = true;
  if (live_) draw_locked();
}

void Progress::end() {
  const std::lock_guard lock(mutex_);
  ++done_;
  if (lines_) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    std::fprintf(out_, "polarkit: [%zu/%zu] %s done, %s elapsed\n", done_, total_,
                 current_.c_str(), duration(elapsed).c_str());
    std::fflush(out_);
  }
  // Between cases the caller prints its table to stdout, which may be the same terminal: the
  // line is cleared, and drawn again by the next begin().
  active_ = false;
  if (live_) {
    std::fputs("\r\033[K", out_);
    std::fflush(out_);
  }
}

std::string Progress::duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
  char text[48];
  if (seconds < 9.95) {
    std::snprintf(text, sizeof text, "%.1f s", std::max(seconds, 0.0));
  } else if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lld h %02lld min", s / 3600, (s % 3600) / 60);
  } else if (s >= 60) {
    std::snprintf(text, sizeof text, "%lld min %02lld s", s / 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld s", s);
  }
  return text;
}

void Progress::draw_locked() {
  const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  // The mean time of the finished cases times those left: the cases of a sweep differ in cost,
  // but a sweep interleaves cheap and dear ones, so the mean settles quickly.
  std::string left = "estimating";
  if (done_ > 0) left = "about " + duration(elapsed / static_cast<double>(done_) *
                                           static_cast<double>(total_ - done_)) + " left";
  std::fprintf(out_, "\r\033[K[%zu/%zu] %s  %s elapsed, %s", done_, total_, current_.c_str(),
               duration(elapsed).c_str(), left.c_str());
  std::fflush(out_);
}

void Progress::tick() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(500));
    if (!stopping_ && active_) draw_locked();
  }
}

}  // namespace polarkit::cli
