// How a long command (backup, restore, verify) shows its progress on stderr, chosen once for the
// process by the global --progress, --progress-interval and --quiet options:
//
//   tty    one line rewritten in place (every 0.5 s): phase, percent of bytes, bytes done of the
//          estimate, MB/s over the last 10 s, ETA, units done, peak memory, the units in flight
//   plain  the same as a plain line every 5 s (a log file: alive without flooding it)
//   json   one JSON object per line every 1 s (for other programs; below), and for backup and
//          restore the summary as a last object {"type": "summary", ...} (run_report.h)
//   none   nothing (--quiet, or --progress none)
//   auto   tty when stderr is a terminal, else plain
//
// A progress JSON line: {"type": "progress", "command": "backup", "phase": "data",
// "elapsed_s": 12.5, "bytes_done": N, "bytes_total": N, "percent": 42.1, "units_done": N,
// "units_total": N, "rate_bytes_per_s": N, "eta_s": N|null, "peak_memory_bytes": N,
// "errors": N, "current": ["public.orders (chunk 3 of 8)", ...]}. bytes_done, units_done,
// percent and elapsed_s never decrease; the last line of a run that succeeded has phase "done"
// and percent 100.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>

#include "common/progress.h"

namespace dbb::app {

enum class ProgressMode { kAuto, kTty, kPlain, kJson, kNone };

struct DisplayOptions {
  ProgressMode mode = ProgressMode::kAuto;
  std::chrono::milliseconds interval{0};  // 0: the mode's default
};
// Set once by main from the global options, before any command runs.
void SetDisplayOptions(const DisplayOptions& options);
// The mode in effect: kAuto resolved; kNone with --quiet.
ProgressMode EffectiveProgressMode();

// Shows `progress` on its own thread from construction until Finish or destruction.
class ProgressDisplay {
 public:
  ProgressDisplay(std::string command, const Progress* progress);
  ~ProgressDisplay();  // as Finish(false)
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // Stops showing; in json mode prints a last line (phase "done", percent 100 when `ok`).
  // Idempotent.
  void Finish(bool ok);

 private:
  void Loop();
  void Show(bool last, bool ok);
  nlohmann::json JsonLine(const Progress::Snapshot& s, bool last, bool ok);
  std::string TextLine(const Progress::Snapshot& s) const;
  double RecentRate(uint64_t bytes_done, std::chrono::steady_clock::time_point now);

  const std::string command_;
  const Progress* progress_;
  const ProgressMode mode_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool finished_ = false;
  double percent_ = 0;  // the highest shown
  double rate_bytes_per_s_ = 0;
  std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> samples_;
  std::thread thread_;
};

// Prints a JSON object as one line on stderr (json progress mode's summary).
void PrintJsonLine(const nlohmann::json& object);

}  // namespace dbb::app
