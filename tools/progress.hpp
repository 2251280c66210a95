// progress.hpp — progress of a long command on stderr, never mixed into stdout or the CSV.
//
// On a terminal: one line, redrawn in place at least twice a second (also while one case runs
// long), with done/total, the current case, the elapsed time and an estimate of the time left;
// cleared when the work is done. Elsewhere (a pipe, a log file): silent, or with `lines` one line
// per finished case, which a log keeps readable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace polarkit::cli {

class Progress {
 public:
  enum class Mode { automatic, lines, off };

  /// automatic: the live line when `out` is a terminal, else nothing; lines: the live line on a
  /// terminal, one line per finished case elsewhere; off: nothing.
  Progress(std::size_t total, Mode mode, std::FILE* out = stderr);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// The case that starts now: the live line shows it until end().
  void begin(const std::string& what);
  /// The current case is done; the live line is cleared until the next begin(), so that the
  /// caller may write to a stdout that shares the terminal.
  void end();

  /// "1 h 02 min", "3 min 05 s", "12 s": how the line shows a duration.
  static std::string duration(double seconds);

 private:
  void draw_locked();  // the live line (mutex held)
  void tick();         // the live line's redraw thread

  using Clock = std::chrono::steady_clock;
  std::FILE* out_;
  std::size_t total_;
  std::size_t done_ = 0;
  std::string current_;
  Clock::time_point start_;
  bool live_ = false;   // a terminal: the line redrawn in place
  bool lines_ = false;  // not a terminal, --progress: one line per case
  bool active_ = false;  // between begin() and end()
  bool stopping_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread ticker_;
};

}  // namespace polarkit::cli
