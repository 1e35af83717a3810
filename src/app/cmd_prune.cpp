#include "app/cmd_prune.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/exit_codes.h"
#include "app/settings.h"
#include "common/log.h"
#include "common/units.h"
#include "common/utc_time.h"
#include "engine/backup_series.h"
#include "engine/prune.h"

namespace dbb::app {
namespace {

const char* const kCmd = "prune";
constexpr uint64_t kMinGraceMs = 60'000;

// Strings, "" when not given: the messages for bad values are ours (they say what to give).
struct PruneFlags {
  std::string dir;
  std::string keep_last;
  std::string keep_days;
  std::string grace = "24h";
  bool dry_run = false;
  bool json = false;
  std::string target;
};

// What became of one entry.
struct Outcome {
  const engine::ScannedBackup* backup;
  engine::PruneDecision decision;
  bool deleted = false;
  std::string error;  // a deletion that failed
};

Status Usage(const std::string& message) { return Status(StatusCode::kInvalidArgument, message); }

Result<int> ParseKeepLast(const std::string& text) {
  int n = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || n < 0) {
    return Usage("--keep-last " + text + ": give a whole number of backups, 1 or more");
  }
  if (n == 0) {
    return Usage("--keep-last 0: the newest complete backup is always kept; use 1 or more");
  }
  return n;
}

Result<double> ParseKeepDays(const std::string& text) {
  double days = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), days);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(days) ||
      days < 0) {
    return Usage("--keep-days " + text + ": give a number of days, 0 or more (1.5 allowed)");
  }
  return days;
}

Result<engine::RetentionPolicy> ToPolicy(const PruneFlags& f) {
  if (f.keep_last.empty() && f.keep_days.empty()) {
    return Usage(
        "give --keep-last N (keep the newest N complete backups) and/or --keep-days D (keep "
        "those younger than D days): with neither, what to keep is not known");
  }
  engine::RetentionPolicy p;
  if (!f.keep_last.empty()) {
    auto n = ParseKeepLast(f.keep_last);
    if (!n.ok()) return n.status();
    p.keep_last = n.value();
  }
  if (!f.keep_days.empty()) {
    auto days = ParseKeepDays(f.keep_days);
    if (!days.ok()) return days.status();
    p.keep_days = days.value();
  }
  auto grace = ParseDurationMs(f.grace);
  if (!grace.ok()) return Usage(grace.status().WithContext("--grace").message());
  if (grace.value() < kMinGraceMs) {
    return Usage("--grace " + f.grace +
                 ": use 1min or more: a running backup does not write every second");
  }
  p.grace_s = static_cast<int64_t>(grace.value() / 1000);
  return p;
}

// "keep the newest 7 and those younger than 14 days"
std::string DescribePolicy(const engine::RetentionPolicy& p) {
  std::string out = "keep";
  if (p.keep_last) out += " the newest " + std::to_string(*p.keep_last);
  if (p.keep_last && p.keep_days) out += " and";
  if (p.keep_days) {
    char days[32];
    std::snprintf(days, sizeof days, "%g", *p.keep_days);
    out += std::string(" those younger than ") + days + " days";
  }
  return out + "; incomplete backups until idle for " + engine::FormatAge(p.grace_s);
}

bool IsFinished(const engine::ScannedBackup& b) {
  return b.state == engine::BackupState::kComplete || b.state == engine::BackupState::kPartial;
}

// When it started (finished backups) or was last written to; "" when not known.
std::string TimeOf(const engine::ScannedBackup& b) {
  if (IsFinished(b)) return b.started_at;
  return b.time_s > 0 ? FormatUtcTime(b.time_s) : "";
}

std::string KindOf(const engine::ScannedBackup& b) {
  return b.state == engine::BackupState::kNotABackup ? "-" : engine::BackupKindName(b.kind);
}

const char* Action(const Outcome& o, bool dry_run) {
  if (!o.decision.remove) return "keep";
  if (dry_run) return "would delete";
  return o.deleted ? "DELETED" : "FAILED";
}

void PrintLine(const Outcome& o, bool dry_run, size_t name_width) {
  const engine::ScannedBackup& b = *o.backup;
  const std::string time = TimeOf(b);
  std::printf("  %-*s %-7s %-12s %-20s %10s  %-12s %s\n", static_cast<int>(name_width),
              b.name.c_str(), KindOf(b).c_str(), engine::BackupStateName(b.state),
              time.empty() ? "-" : time.c_str(), FormatBytes(b.bytes).c_str(), Action(o, dry_run),
              o.decision.reason.c_str());
  std::fflush(stdout);
}

std::string Plural(size_t n, const char* one) {
  return std::to_string(n) + " " + one + (n == 1 ? "" : "s");
}

struct Totals {
  size_t to_delete = 0;
  uint64_t to_delete_bytes = 0;
  size_t deleted = 0;
  uint64_t freed_bytes = 0;
  size_t failed = 0;
};

Totals Sum(const std::vector<Outcome>& outcomes) {
  Totals t;
  for (const Outcome& o : outcomes) {
    if (!o.decision.remove) continue;
    ++t.to_delete;
    t.to_delete_bytes += o.backup->bytes;
    if (o.deleted) {
      ++t.deleted;
      t.freed_bytes += o.backup->bytes;
    }
    if (!o.error.empty()) ++t.failed;
  }
  return t;
}

// "deleted 3 backups, 1.2 GiB freed" / "would delete ..." / "nothing to delete"
std::string Summary(const Totals& t, bool dry_run) {
  if (t.to_delete == 0) return "nothing to delete";
  if (dry_run) {
    return "would delete " + Plural(t.to_delete, "backup") + ", " + FormatBytes(t.to_delete_bytes) +
           " (dry run: nothing was deleted)";
  }
  std::string out =
      "deleted " + Plural(t.deleted, "backup") + ", " + FormatBytes(t.freed_bytes) + " freed";
  if (t.failed > 0) out += "; " + std::to_string(t.failed) + " could not be deleted (see above)";
  return out;
}

nlohmann::json ToJson(const Outcome& o) {
  const engine::ScannedBackup& b = *o.backup;
  nlohmann::json j = {{"name", b.name},
                      {"path", b.path},
                      {"kind", nullptr},
                      {"state", engine::BackupStateName(b.state)},
                      {"time", nullptr},
                      {"bytes", b.bytes},
                      {"delete", o.decision.remove},
                      {"deleted", o.deleted},
                      {"reason", o.decision.reason}};
  if (b.state != engine::BackupState::kNotABackup) j["kind"] = engine::BackupKindName(b.kind);
  if (const std::string time = TimeOf(b); !time.empty()) j["time"] = time;
  if (!b.problem.empty()) j["problem"] = b.problem;
  if (!o.error.empty()) j["error"] = o.error;
  return j;
}

void PrintJson(const PruneFlags& f, const engine::BackupScan& scan,
               const engine::RetentionPolicy& p, const std::vector<Outcome>& outcomes) {
  nlohmann::json backups = nlohmann::json::array();
  for (const Outcome& o : outcomes) backups.push_back(ToJson(o));
  const Totals t = Sum(outcomes);
  const nlohmann::json j = {
      {"dir", scan.dir},
      {"dry_run", f.dry_run},
      {"policy",
       {{"keep_last", p.keep_last ? nlohmann::json(*p.keep_last) : nlohmann::json()},
        {"keep_days", p.keep_days ? nlohmann::json(*p.keep_days) : nlohmann::json()},
        {"grace_s", p.grace_s}}},
      {"latest", scan.latest.empty() ? nlohmann::json() : nlohmann::json(scan.latest)},
      {"run_active", scan.run_active},
      {"backups", backups},
      {"summary",
       {{"delete", t.to_delete},
        {"delete_bytes", t.to_delete_bytes},
        {"deleted", t.deleted},
        {"freed_bytes", t.freed_bytes},
        {"failed", t.failed}}}};
  std::puts(j.dump(2).c_str());
}

size_t NameWidth(const engine::BackupScan& scan) {
  size_t width = 4;
  for (const engine::ScannedBackup& b : scan.backups) width = std::max(width, b.name.size());
  return width;
}

// Deletes what the plan says (unless a dry run), each line printed as its entry is done; one
// failed deletion does not stop the others.
std::vector<Outcome> Apply(const PruneFlags& f, const engine::BackupScan& scan,
                           std::vector<engine::PruneDecision> plan) {
  const size_t width = NameWidth(scan);
  if (!f.json) {
    std::printf("  %-*s %-7s %-12s %-20s %10s  %-12s %s\n", static_cast<int>(width), "name", "kind",
                "state", "started/last write", "size", "action", "why");
  }
  std::vector<Outcome> outcomes;
  for (size_t i = 0; i < scan.backups.size(); ++i) {
    Outcome o{.backup = &scan.backups[i], .decision = std::move(plan[i])};
    if (o.decision.remove && !f.dry_run) {
      log::Verbose("removing " + o.backup->path);
      const Status st = engine::RemoveBackup(*o.backup);
      o.deleted = st.ok();
      if (!st.ok()) {
        o.error = st.message();
        ReportFailure(kCmd, st, 0);
      }
    }
    if (!f.json) PrintLine(o, f.dry_run, width);
    outcomes.push_back(std::move(o));
  }
  return outcomes;
}

int RunPrune(CLI::App* cmd, PruneFlags& f) {
  auto target = ApplyTarget(f.target, cmd);
  if (!target.ok()) return ReportFailure(kCmd, target.status(), 0);
  if (f.dir.empty()) return ReportFailure(kCmd, Usage("give --dir DIR (or --target NAME)"), 0);
  // A scheduled prune after each backup: a target without retention keeps everything.
  if (target.value() && f.keep_last.empty() && f.keep_days.empty()) {
    log::Info("target " + f.target + " sets neither keep-last nor keep-days: nothing to prune");
    return kExitOk;
  }
  auto policy = ToPolicy(f);
  if (!policy.ok()) return ReportFailure(kCmd, policy.status(), 0);
  // Held through the scan and the deletions: no target run starts, or resumes what is being
  // deleted, meanwhile. Held by a run: its backup (any incomplete one) is left alone.
  auto lock = engine::SeriesLock::Acquire(f.dir, std::chrono::milliseconds(0));
  auto scan = engine::ScanBackups(f.dir);
  if (!scan.ok()) return ReportFailure(kCmd, scan.status(), 0);
  scan->run_active = !lock.ok() && lock.status().code() == StatusCode::kRefused;
  const engine::BackupScan& s = scan.value();
  if (!f.json) {
    std::printf("prune %s: %s%s\n", s.dir.c_str(), DescribePolicy(policy.value()).c_str(),
                f.dry_run ? " (dry run)" : "");
  }
  const std::vector<Outcome> outcomes =
      Apply(f, s, engine::PlanPrune(s, policy.value(), std::time(nullptr)));
  const Totals t = Sum(outcomes);
  if (f.json) {
    PrintJson(f, s, policy.value(), outcomes);
  } else {
    std::printf("%s\n", Summary(t, f.dry_run).c_str());
  }
  return t.failed > 0 ? kExitFailure : kExitOk;
}

}  // namespace

void AddPruneCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<PruneFlags>();
  CLI::App* cmd = app.add_subcommand(
      "prune",
      "Delete the backups in a directory that a retention policy no longer keeps. Backups are "
      "found by their manifests (manifest.json, cluster.json) or journals, never by name. The "
      "newest complete backup and the one `latest` points to are always kept; partial cluster "
      "backups while not older than the oldest complete one kept; incomplete backups until idle "
      "for the --grace period (one may be running); anything else is never touched");
  cmd->add_option("--dir", flags->dir, "the directory that holds the backups (required)");
  cmd->add_option("--keep-last", flags->keep_last, "keep the newest N complete backups (1 or more)")
      ->type_name("N");
  cmd->add_option("--keep-days", flags->keep_days,
                  "keep the complete backups that started less than D days ago (1.5 allowed); "
                  "with --keep-last too, a backup is kept when either keeps it")
      ->type_name("D");
  cmd->add_option("--grace", flags->grace,
                  "keep an incomplete backup (no manifest, a journal) until nothing in it was "
                  "written for this long: 30min, 6h, ...")
      ->type_name("DURATION")
      ->capture_default_str();
  cmd->add_flag("--dry-run", flags->dry_run, "show what would be deleted, delete nothing");
  cmd->add_flag("--json", flags->json, "print the decisions as one JSON object");
  AddTargetFlag(cmd, &flags->target);
  cmd->callback([cmd, flags, exit_code] { *exit_code = RunPrune(cmd, *flags); });
}

}  // namespace dbb::app
