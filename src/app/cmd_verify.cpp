#include "app/cmd_verify.h"

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "app/conn_flags.h"
#include "app/exit_codes.h"
#include "app/progress_display.h"
#include "app/signals.h"
#include "common/log.h"
#include "common/units.h"
#include "engine/verify.h"

namespace dbb::app {
namespace {

struct VerifyFlags {
  std::string dir;
  bool quick = false;
  bool json = false;
  int jobs = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 256u));
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
  Progress progress;
  progress.SetPhase(f.quick ? "quick" : "full");
  ProgressDisplay display("verify", &progress);
  Result<engine::VerifyResult> r = engine::RunVerify(
      {.dir = f.dir,
       .quick = f.quick,
       .jobs = f.jobs,
       .stop = &stop,
       .on_problem =
           [&f](const engine::VerifyProblem& p) {
             log::Raw("verify: " + (p.path.empty() ? f.dir : p.path) + ": " + p.what);
           },
       .progress = &progress});
  display.Finish(r.ok() && r->problems.empty());
  if (!r.ok()) return ReportFailure("verify", r.status(), stop.signal());
  for (const std::string& note : r->notes) log::Info("verify: note: " + note);
  for (const std::string& db : r->missing_databases) {
    std::fprintf(stderr, "verify: database not in the backup: %s\n", db.c_str());
  }
  if (f.json) {
    std::fputs(engine::VerifyResultToJson({.dir = f.dir, .quick = f.quick}, r.value()).c_str(),
               stdout);
  } else if (!log::IsQuiet()) {
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
