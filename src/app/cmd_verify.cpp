#include "app/cmd_verify.h"

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "app/conn_flags.h"
#include "app/exit_codes.h"
#include "app/signals.h"
#include "common/units.h"
#include "engine/verify.h"

namespace dbb::app {
namespace {

using Clock = std::chrono::steady_clock;

struct VerifyFlags {
  std::string dir;
  bool quick = false;
  bool json = false;
  int jobs = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 256u));
};

// The progress line on stderr, and the problem lines that interrupt it. On a terminal the line
// is rewritten in place (\r) twice a second and cleared before a problem is printed; otherwise
// (a log file) a plain line every 5 s, so that a long verify shows it is alive without
// flooding the log.
class ProgressLine {
 public:
  explicit ProgressLine(const engine::VerifyProgress* progress)
      : progress_(progress), tty_(::isatty(STDERR_FILENO) == 1), start_(Clock::now()) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~ProgressLine() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (tty_ && shown_) std::fputs("\r\033[K", stderr);
  }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void PrintProblem(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    std::fprintf(stderr, "%s%s\n", tty_ && shown_ ? "\r\033[K" : "", line.c_str());
    shown_ = false;
  }

 private:
  void Loop() {
    const auto period = tty_ ? std::chrono::milliseconds(500) : std::chrono::seconds(5);
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, period, [this] { return done_; })) {
      std::fprintf(stderr, tty_ ? "\r\033[K%s" : "%s\n", Text().c_str());
      std::fflush(stderr);
      shown_ = true;
    }
  }

  // "verify: 12/340 files, 1.2 GiB of 3.4 GiB, 250.3 MiB/s"
  std::string Text() const {
    const double s = std::chrono::duration<double>(Clock::now() - start_).count();
    const uint64_t done = progress_->bytes_done.load();
    return "verify: " + std::to_string(progress_->files_done.load()) + "/" +
           std::to_string(progress_->files_total.load()) + " files, " + FormatBytes(done) + " of " +
           FormatBytes(progress_->bytes_total.load()) + ", " +
           FormatBytes(static_cast<uint64_t>(static_cast<double>(done) / std::max(s, 0.001))) +
           "/s";
  }

  const engine::VerifyProgress* progress_;
  const bool tty_;
  const Clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool shown_ = false;  // a progress line is on the screen (tty)
  std::thread thread_;
};

// "verified 123 files, 1.2 GiB (3.4 GiB uncompressed), 456789 rows: OK"
std::string Summary(const VerifyFlags& f, const engine::VerifyResult& r) {
  std::string out =
      "verified " + std::to_string(r.files) + " files, " + FormatBytes(r.stored_bytes);
  if (f.quick) {
    out += " (quick: sizes and checksums only)";
  } else {
    out += " (" + FormatBytes(r.raw_bytes) + " uncompressed), " + std::to_string(r.rows) + " rows";
    if (r.large_objects > 0) out += ", " + std::to_string(r.large_objects) + " large objects";
  }
  if (!r.problems.empty()) {
    return out + ": " + std::to_string(r.problems.size()) +
           (r.problems.size() == 1 ? " problem" : " problems");
  }
  if (!r.missing_databases.empty()) {
    return out + ": OK, but PARTIAL: " + std::to_string(r.missing_databases.size()) +
           " databases are not in the backup";
  }
  return out + ": OK";
}

int RunVerify(const VerifyFlags& f) {
  if (Status jobs = CheckJobs(f.jobs); !jobs.ok()) return ReportFailure("verify", jobs, 0);
  StopSource stop;
  SignalWatcher signals(&stop);
  engine::VerifyProgress progress;
  Result<engine::VerifyResult> r = Status(StatusCode::kInternal, "not run");
  {
    ProgressLine line(&progress);
    r = engine::RunVerify({.dir = f.dir,
                           .quick = f.quick,
                           .jobs = f.jobs,
                           .stop = &stop,
                           .on_problem =
                               [&line, &f](const engine::VerifyProblem& p) {
                                 line.PrintProblem("verify: " + (p.path.empty() ? f.dir : p.path) +
                                                   ": " + p.what);
                               },
                           .progress = &progress});
  }
  if (!r.ok()) return ReportFailure("verify", r.status(), stop.signal());
  for (const std::string& note : r->notes) std::fprintf(stderr, "verify: note: %s\n", note.c_str());
  for (const std::string& db : r->missing_databases) {
    std::fprintf(stderr, "verify: database not in the backup: %s\n", db.c_str());
  }
  if (f.json) {
    std::fputs(engine::VerifyResultToJson({.dir = f.dir, .quick = f.quick}, r.value()).c_str(),
               stdout);
  } else {
    std::printf("%s\n", Summary(f, r.value()).c_str());
  }
  if (!r->problems.empty()) return kExitVerifyFailed;
  return r->missing_databases.empty() ? kExitOk : kExitPartial;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "Check a backup directory without a database: the manifest and its checksum, every "
      "file's size and CRC-32C, every gzip member / zstd frame, the COPY framing and row "
      "counts, large objects. Each problem is a line on stderr naming the file; exit 0 when "
      "everything holds, 4 when problems were found, 3 for a partial cluster backup that is "
      "otherwise good");
  cmd->add_option("DIR", flags->dir, "backup directory (single database or cluster)")->required();
  cmd->add_flag("--quick", flags->quick,
                "sizes and checksums only (CRC-32C of every file, the manifest's SHA-256); "
                "nothing is inflated");
  cmd->add_option("-j,--jobs", flags->jobs, "threads checking files (default: the CPUs)")
      ->capture_default_str();
  cmd->add_flag("--json", flags->json, "print the result (and the problems) as JSON on stdout");
  cmd->callback([flags, exit_code] { *exit_code = RunVerify(*flags); });
}

}  // namespace dbb::app
