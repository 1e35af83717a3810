// dbbackup's entry point: builds the command line, runs the chosen command, returns its exit
// code (app/exit_codes.h).
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>

#include "app/cmd_backup.h"
#include "app/cmd_bench.h"
#include "app/cmd_docs.h"
#include "app/cmd_list.h"
#include "app/cmd_prune.h"
#include "app/cmd_restore.h"
#include "app/cmd_tune.h"
#include "app/cmd_verify.h"
#include "app/exit_codes.h"
#include "app/progress_display.h"
#include "app/settings.h"
#include "common/log.h"
#include "common/units.h"
#include "pg/libpq_info.h"

#ifdef DBB_WITH_MIMALLOC
#include <mimalloc.h>
#endif

namespace dbb::app {
namespace {

std::string VersionText() {
  std::string allocator = "system malloc";
#ifdef DBB_WITH_MIMALLOC
  const int v = mi_version();  // e.g. 209
  allocator = "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
              std::to_string(v % 10);
#endif
  return std::string("dbbackup ") + DBB_VERSION + "\n" + "libpq " + pg::LibpqVersion() +
         ", liburing " + DBB_URING_VERSION + ", isa-l " + DBB_ISAL_VERSION + ", libdeflate " +
         DBB_DEFLATE_VERSION + ", zstd " + DBB_ZSTD_VERSION + ", allocator " + allocator;
}

// Backups open a file per output and a socket per connection, and start a thread per stage; the
// soft limits on open files and processes are often far below the hard ones. Raising a soft limit
// up to the hard one needs no privilege (limits/dbbackup.conf and `tune --check` count on it).
void RaiseSoftLimits() {
  for (const int resource : {RLIMIT_NOFILE, RLIMIT_NPROC}) {
    rlimit limit{};
    if (::getrlimit(resource, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
      limit.rlim_cur = limit.rlim_max;
      (void)::setrlimit(resource, &limit);
    }
  }
}

int Main(int argc, char** argv) {
  RaiseSoftLimits();
  CLI::App app{
      "dbbackup: PostgreSQL logical backup and restore at the speed of the server and the disk,\n"
      "in memory that does not grow with the database.\n\n" +
          ExitCodesHelp(),
      "dbbackup"};
  app.set_version_flag("--version", VersionText());
  bool verbose = false;
  bool quiet = false;
  std::string progress_interval = "0";
  CLI::Option* verbose_flag = app.add_flag(
      "-v,--verbose", verbose, "explain choices: I/O fallbacks, memory bounds, timings");
  app.add_flag("-q,--quiet", quiet,
               "print errors only: no progress, no summary, no notes or warnings (the exit code "
               "says how it went)")
      ->excludes(verbose_flag);
  std::string progress_mode = "auto";
  app.add_option("--progress", progress_mode,
                 "progress of backup, restore and verify on stderr: tty (one line rewritten in "
                 "place), plain (a line every 5 s, for logs), json (a JSON object per line every "
                 "1 s, then the summary as one: for other programs), none; auto: tty on a "
                 "terminal, else plain")
      ->check(CLI::IsMember({"auto", "tty", "plain", "json", "none"}))
      ->capture_default_str();
  app.add_option("--progress-interval", progress_interval,
                 "time between progress lines, 100ms to 1h (e.g. 200ms, 30s; 0 = the mode's "
                 "default)")
      ->capture_default_str();
  app.fallthrough();  // the global options may also follow the command
  app.require_subcommand(1);
  int exit_code = kExitOk;

  CLI::App* backup = app.add_subcommand("backup", "Back up one database or a whole cluster");
  backup->require_subcommand(1);
  AddBackupSingleCommand(backup, &exit_code);
  AddBackupClusterCommand(backup, &exit_code);
  CLI::App* restore = app.add_subcommand("restore", "Restore a backup directory");
  restore->require_subcommand(1);
  AddRestoreSingleCommand(restore, &exit_code);
  AddRestoreClusterCommand(restore, &exit_code);
  AddVerifyCommand(app, &exit_code);
  AddListCommand(app, &exit_code);
  AddTuneCommand(app, &exit_code);
  AddBenchCommand(app, &exit_code);
  AddPruneCommand(app, &exit_code);
  AddDocsCommands(app, &exit_code);
  AddConfigFlag(app);
  BindEnvironment(app);  // last: every option has its DBBACKUP_* variable

  app.parse_complete_callback([&] {
    log::SetVerbose(verbose);
    log::SetQuiet(quiet);
    auto interval = ParseDurationMs(progress_interval);
    if (!interval.ok()) {
      throw CLI::ValidationError("--progress-interval", interval.status().message());
    }
    if (interval.value() != 0 && (interval.value() < 100 || interval.value() > 3'600'000)) {
      throw CLI::ValidationError("--progress-interval",
                                 progress_interval + ": use 100ms to 1h (0 = the mode's default)");
    }
    const std::map<std::string, ProgressMode> modes{{"auto", ProgressMode::kAuto},
                                                    {"tty", ProgressMode::kTty},
                                                    {"plain", ProgressMode::kPlain},
                                                    {"json", ProgressMode::kJson},
                                                    {"none", ProgressMode::kNone}};
    SetDisplayOptions(
        {.mode = modes.at(progress_mode), .interval = std::chrono::milliseconds(interval.value())});
  });
  try {
    // CLI11 takes the arguments after the program name, last first.
    std::vector<std::string> args = InsertTargetKind({argv, argv + argc}, app);
    std::reverse(args.begin(), args.end());
    args.pop_back();
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

}  // namespace
}  // namespace dbb::app

int main(int argc, char** argv) { return dbb::app::Main(argc, argv); }
