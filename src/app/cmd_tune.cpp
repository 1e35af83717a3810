#include "app/cmd_tune.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "app/exit_codes.h"
#include "tune/apply.h"
#include "tune/audit.h"
#include "tune/host_root.h"

namespace dbb::app {
namespace {

struct TuneFlags {
  bool check = false;
  bool apply = false;
  std::string dir;
  std::string root = "/";
  std::string user;
  bool json = false;
  bool dry_run = false;
  bool remount = false;
};

// The user whose limits matter: under sudo the one who called it, else whoever runs this.
std::string DefaultUser() {
  if (::geteuid() == 0) {
    if (const char* sudo = std::getenv("SUDO_USER"); sudo != nullptr && *sudo != '\0') return sudo;
  }
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_name;
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "root";
}

struct Counts {
  int ok = 0, differs = 0, unknown = 0, optional = 0;
};
Counts Count(const std::vector<tune::Row>& rows) {
  Counts c;
  for (const tune::Row& r : rows) {
    switch (r.verdict) {
      case tune::Verdict::kOk:
        ++c.ok;
        break;
      case tune::Verdict::kDiffers:
        ++c.differs;
        break;
      case tune::Verdict::kUnknown:
        ++c.unknown;
        break;
      case tune::Verdict::kOptional:
        ++c.optional;
        break;
    }
  }
  return c;
}

int CheckExitCode(const Counts& c) {
  if (c.differs > 0) return kExitVerifyFailed;
  return c.unknown > 0 ? kExitFailure : kExitOk;
}

const char* FixName(const tune::Fix& fix) {
  switch (fix.kind) {
    case tune::Fix::Kind::kWrite:
    case tune::Fix::Kind::kInstall:
      return "apply";
    case tune::Fix::Kind::kRemount:
      return "remount";
    case tune::Fix::Kind::kNone:
      break;
  }
  return "manual";
}

void PrintJson(const TuneFlags& f, const std::vector<tune::Row>& rows, const Counts& c) {
  nlohmann::ordered_json out = {{"root", f.root},
                                {"dir", f.dir.empty() ? nullptr : nlohmann::ordered_json(f.dir)},
                                {"user", f.user},
                                {"ok", c.ok},
                                {"differs", c.differs},
                                {"unknown", c.unknown},
                                {"optional", c.optional},
                                {"exit_code", CheckExitCode(c)},
                                {"rows", nlohmann::ordered_json::array()}};
  for (const tune::Row& r : rows) {
    out["rows"].push_back(
        {{"group", r.group},
         {"setting", r.setting},
         {"current", r.current},
         {"recommended", r.recommended},
         {"status", tune::VerdictName(r.verdict)},
         {"why", r.why},
         {"fix", r.verdict == tune::Verdict::kDiffers ? nlohmann::ordered_json(FixName(r.fix))
                                                      : nullptr}});
  }
  std::printf("%s\n", out.dump(2).c_str());
}

void PrintTable(const std::vector<tune::Row>& rows) {
  size_t setting_w = 7, current_w = 7;
  for (const tune::Row& r : rows) {
    setting_w = std::max(setting_w, r.setting.size());
    current_w = std::max(current_w, std::min<size_t>(r.current.size(), 40));
  }
  const int sw = static_cast<int>(setting_w), cw = static_cast<int>(current_w);
  std::printf("%-8s  %-8s  %-*s  %-*s  %s\n", "GROUP", "STATUS", sw, "SETTING", cw, "CURRENT",
              "RECOMMENDED");
  for (const tune::Row& r : rows) {
    std::printf("%-8s  %-8s  %-*s  %-*s  %s\n", r.group.c_str(), tune::VerdictName(r.verdict), sw,
                r.setting.c_str(), cw, r.current.c_str(), r.recommended.c_str());
    std::printf("%20s%s\n", "", r.why.c_str());
  }
}

int RunCheck(const TuneFlags& f, const std::vector<tune::Row>& rows) {
  const Counts c = Count(rows);
  if (f.json) {
    PrintJson(f, rows, c);
    return CheckExitCode(c);
  }
  PrintTable(rows);
  if (f.dir.empty()) {
    std::printf("\nthe backup disk and its mount options were not checked: give --dir\n");
  }
  std::printf("\ntune: %d ok, %d differ, %d could not be checked, %d optional\n", c.ok, c.differs,
              c.unknown, c.optional);
  if (c.differs > 0) {
    std::printf(
        "run `dbbackup tune --apply%s` as root to fix what it can (--dry-run shows "
        "what it would change)\n",
        f.dir.empty() ? "" : (" --dir " + f.dir).c_str());
  }
  return CheckExitCode(c);
}

// "for nofile (limits.d, user backup), nproc (...)": the rows a change fixes, other than the
// file it installs.
std::string Fixes(const tune::Change& change) {
  std::string s;
  for (const std::string& setting : change.settings) {
    if (setting != change.fix.path) s += (s.empty() ? "for " : ", ") + setting;
  }
  return s;
}

void PrintChange(const tune::Change& change, bool remount) {
  const std::string fixes = Fixes(change);
  switch (change.fix.kind) {
    case tune::Fix::Kind::kWrite:
      std::printf("  set %s: %s -> %s\n", change.fix.path.c_str(), change.before.c_str(),
                  change.fix.value.c_str());
      break;
    case tune::Fix::Kind::kInstall: {
      std::printf("  install %s (%s%s%s):\n", change.fix.path.c_str(),
                  change.before == "missing" ? "new file" : "replaces different contents",
                  fixes.empty() ? "" : "; ", fixes.c_str());
      std::istringstream lines(change.fix.value);
      for (std::string line; std::getline(lines, line);) std::printf("    | %s\n", line.c_str());
      break;
    }
    case tune::Fix::Kind::kRemount: {
      std::string cmd;
      for (const std::string& a : tune::RemountCommand(change)) cmd += (cmd.empty() ? "" : " ") + a;
      std::printf("  %s `%s` (%s); add the options to /etc/fstab to keep them after a reboot\n",
                  remount ? "run" : "to run yourself, or with --remount:", cmd.c_str(),
                  fixes.c_str());
      break;
    }
    case tune::Fix::Kind::kNone:
      break;
  }
}

int RunApply(const TuneFlags& f, const std::vector<tune::Row>& rows) {
  const tune::ApplyPlan plan = tune::PlanApply(f.root, rows);
  std::vector<tune::Change> changes, remounts_left;
  for (const tune::Change& c : plan.changes) {
    (c.fix.kind != tune::Fix::Kind::kRemount || f.remount ? changes : remounts_left).push_back(c);
  }
  if (!f.dry_run && !changes.empty() && tune::IsRealRoot(f.root) && ::geteuid() != 0) {
    std::fprintf(stderr,
                 "dbbackup tune --apply: changing system settings needs root: run it as root "
                 "(sudo dbbackup tune --apply); --dry-run shows what it would change. Nothing was "
                 "changed.\n");
    return kExitRefused;
  }
  if (changes.empty()) {
    std::printf("nothing to change: the settings tune --apply manages are as recommended\n");
  } else {
    std::printf("%s:\n", f.dry_run ? "tune --apply would make these changes" : "changes");
    for (const tune::Change& c : changes) PrintChange(c, f.remount);
  }
  for (const tune::Change& c : remounts_left) PrintChange(c, false);
  for (const tune::Row& r : plan.manual) {
    std::printf("  left for you: %s (%s): %s\n", r.setting.c_str(), r.current.c_str(),
                r.why.c_str());
  }
  if (f.dry_run) {
    std::printf("dry run: nothing was changed\n");
    return kExitOk;
  }
  // Each change stands alone: one that fails does not keep the others from being made.
  int failed = 0;
  for (const tune::Change& c : changes) {
    if (Status st = tune::MakeChange(f.root, c); !st.ok()) {
      std::fprintf(stderr, "dbbackup tune --apply: %s\n", st.message().c_str());
      ++failed;
    }
  }
  if (!changes.empty()) {
    const Counts after = Count(tune::AuditHost({.root = f.root, .dir = f.dir, .user = f.user}));
    std::printf("applied %zu of %zu changes; now %d ok, %d differ, %d could not be checked\n",
                changes.size() - static_cast<size_t>(failed), changes.size(), after.ok,
                after.differs, after.unknown);
  }
  return failed > 0 ? kExitFailure : kExitOk;
}

int RunTune(TuneFlags f) {
  if (f.check == f.apply) {
    std::fprintf(stderr,
                 "dbbackup tune: give --check (audit) or --apply (install); see "
                 "dbbackup tune --help\n");
    return kExitUsage;
  }
  if (f.user.empty()) f.user = DefaultUser();
  const std::vector<tune::Row> rows =
      tune::AuditHost({.root = f.root, .dir = f.dir, .user = f.user});
  return f.check ? RunCheck(f, rows) : RunApply(f, rows);
}

}  // namespace

void AddTuneCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<TuneFlags>();
  CLI::App* cmd = app.add_subcommand(
      "tune",
      "Audit (--check) or install (--apply) the host settings for sustained backup throughput: "
      "sysctl (dirty page cache, swappiness, overcommit), open-file and process limits, the "
      "backup disk's I/O scheduler and add_random, and its mount options. The recommended values "
      "are the files sysctl/99-dbbackup.conf, limits/dbbackup.conf and udev/60-dbbackup.rules, "
      "compiled in. --check exits 0 when all is as recommended, 4 when something differs, 1 when "
      "something could not be checked");
  CLI::Option* check = cmd->add_flag("--check", flags->check,
                                     "audit: one row per setting with its current and recommended "
                                     "value, status (ok, differs, unknown, optional) and why");
  CLI::Option* apply = cmd->add_flag(
      "--apply", flags->apply,
      "show the changes, then install the files under /etc, set the sysctl values and the disk "
      "queues live; mount options are printed (or remounted with --remount). Needs root");
  check->excludes(apply);
  cmd->add_option("--dir", flags->dir,
                  "the backup directory: audit the disks under it (through partitions, LVM and "
                  "RAID) and its mount options");
  cmd->add_option("--user", flags->user,
                  "the user that runs backups, whose limits.d grants are audited (default: the "
                  "sudo caller, else the current user)");
  cmd->add_flag("--json", flags->json, "--check: print the rows as JSON on stdout")->needs(check);
  cmd->add_flag("--dry-run", flags->dry_run, "--apply: show what would change, change nothing")
      ->needs(apply);
  cmd->add_flag("--remount", flags->remount,
                "--apply: also run `mount -o remount,noatime,nodiratime` on the backup file "
                "system (does not edit /etc/fstab)")
      ->needs(apply);
  cmd->add_option("--root", flags->root,
                  "read and write the host's files under this directory instead of / (proc, sys, "
                  "etc): for tests and for preparing an image")
      ->capture_default_str();
  cmd->callback([flags, exit_code] { *exit_code = RunTune(*flags); });
}

}  // namespace dbb::app
