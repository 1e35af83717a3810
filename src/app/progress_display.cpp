#include "app/progress_display.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/log.h"
#include "common/process_stats.h"
#include "common/units.h"

namespace dbb::app {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

DisplayOptions g_options;

// The rate is taken over this much of the recent past: steady enough to read, quick to follow
// a change (a run of small tables after a large one).
constexpr auto kRateWindow = std::chrono::seconds(10);

milliseconds DefaultInterval(ProgressMode mode) {
  switch (mode) {
    case ProgressMode::kTty:
      return milliseconds(500);
    case ProgressMode::kJson:
      return milliseconds(1000);
    default:
      return milliseconds(5000);
  }
}

// "9s", "3m05s", "1h02m"
std::string FormatEta(double s) {
  const auto total = static_cast<long long>(std::llround(s));
  char buf[32];
  if (total < 60) {
    std::snprintf(buf, sizeof buf, "%llds", total);
  } else if (total < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", total / 60, total % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", total / 3600, total / 60 % 60);
  }
  return buf;
}

size_t TerminalColumns() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20) return ws.ws_col;
  return 100;
}

}  // namespace

void SetDisplayOptions(const DisplayOptions& options) { g_options = options; }

ProgressMode EffectiveProgressMode() {
  if (log::IsQuiet()) return ProgressMode::kNone;
  if (g_options.mode != ProgressMode::kAuto) return g_options.mode;
  return ::isatty(STDERR_FILENO) == 1 ? ProgressMode::kTty : ProgressMode::kPlain;
}

ProgressDisplay::ProgressDisplay(std::string command, const Progress* progress)
    : command_(std::move(command)),
      progress_(progress),
      mode_(EffectiveProgressMode()),
      start_(Clock::now()) {
  if (mode_ != ProgressMode::kNone) thread_ = std::thread([this] { Loop(); });
}

ProgressDisplay::~ProgressDisplay() { Finish(false); }

void ProgressDisplay::Finish(bool ok) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (mode_ == ProgressMode::kTty) log::ClearStatus();
  if (mode_ == ProgressMode::kJson) Show(true, ok);
}

void ProgressDisplay::Loop() {
  const milliseconds interval =
      g_options.interval.count() > 0 ? g_options.interval : DefaultInterval(mode_);
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval, [this] { return done_; })) {
    lock.unlock();
    Show(false, false);
    lock.lock();
  }
}

// Called by the display thread, or once more after it has ended.
void ProgressDisplay::Show(bool last, bool ok) {
  const Progress::Snapshot s = progress_->Read();
  rate_bytes_per_s_ = RecentRate(s.bytes_done, Clock::now());
  percent_ = std::max(percent_, last && ok ? 100.0 : ProgressPercent(s));
  switch (mode_) {
    case ProgressMode::kTty: {
      std::string line = TextLine(s);
      const size_t columns = TerminalColumns() - 1;
      if (line.size() > columns) line = line.substr(0, columns - 3) + "...";
      log::ShowStatus(line);
      break;
    }
    case ProgressMode::kJson:
      PrintJsonLine(JsonLine(s, last, ok));
      break;
    default:
      log::Raw(TextLine(s));
  }
}

double ProgressDisplay::RecentRate(uint64_t bytes_done, Clock::time_point now) {
  samples_.emplace_back(now, bytes_done);
  while (samples_.size() > 2 && now - samples_[1].first >= kRateWindow) samples_.pop_front();
  const auto& [then, bytes_then] = samples_.size() > 1 ? samples_.front() : std::pair{start_, 0ul};
  const double s = std::chrono::duration<double>(now - then).count();
  return s > 0 ? static_cast<double>(bytes_done - bytes_then) / s : 0;
}

// "backup data: 42.1% (1.2 GiB of ~2.9 GiB), 180 MB/s, ETA 9s, 12/40 files, peak memory 85 MiB;
// now public.big (chunk 3 of 8), public.rental"
std::string ProgressDisplay::TextLine(const Progress::Snapshot& s) const {
  char head[64];
  std::snprintf(head, sizeof head, "%.1f%%", percent_);
  std::string line = command_ + (s.phase.empty() ? "" : " " + s.phase) + ": " + head + " (" +
                     FormatBytes(s.bytes_done) + " of ~" + FormatBytes(s.bytes_total) + "), " +
                     std::to_string(static_cast<uint64_t>(rate_bytes_per_s_ / 1e6)) + " MB/s";
  if (rate_bytes_per_s_ > 0 && s.bytes_total > s.bytes_done && percent_ < 99.9) {
    line +=
        ", ETA " + FormatEta(static_cast<double>(s.bytes_total - s.bytes_done) / rate_bytes_per_s_);
  }
  line += ", " + std::to_string(s.units_done) + "/" + std::to_string(s.units_total) +
          " files, peak memory " + FormatBytes(PeakRssBytes());
  if (s.errors > 0) line += ", " + std::to_string(s.errors) + " retried";
  for (size_t i = 0; i < s.current.size(); ++i) line += (i == 0 ? "; now " : ", ") + s.current[i];
  return line;
}

nlohmann::json ProgressDisplay::JsonLine(const Progress::Snapshot& s, bool last, bool ok) {
  nlohmann::json j{{"type", "progress"},
                   {"command", command_},
                   {"phase", last && ok ? "done" : s.phase},
                   {"elapsed_s", std::chrono::duration<double>(Clock::now() - start_).count()},
                   {"bytes_done", s.bytes_done},
                   {"bytes_total", s.bytes_total},
                   {"percent", std::round(percent_ * 10) / 10},
                   {"units_done", s.units_done},
                   {"units_total", s.units_total},
                   {"rate_bytes_per_s", static_cast<uint64_t>(rate_bytes_per_s_)},
                   {"eta_s", nullptr},
                   {"peak_memory_bytes", PeakRssBytes()},
                   {"errors", s.errors},
                   {"current", s.current}};
  if (rate_bytes_per_s_ > 0 && s.bytes_total >= s.bytes_done && percent_ < 99.9 && !last) {
    j["eta_s"] = std::round(static_cast<double>(s.bytes_total - s.bytes_done) / rate_bytes_per_s_);
  }
  return j;
}

// Names from the server may not be valid UTF-8 (a SQL_ASCII database): replaced, not thrown.
void PrintJsonLine(const nlohmann::json& object) {
  log::Raw(object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace dbb::app
