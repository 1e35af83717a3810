// dbbackup's entry point: builds the command line, runs the chosen command, returns its exit
// code (app/exit_codes.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "app/cmd_backup.h"
#include "app/cmd_bench.h"
#include "app/cmd_list.h"
#include "app/cmd_restore.h"
#include "app/cmd_verify.h"
#include "app/exit_codes.h"
#include "common/log.h"
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

// Commands of the product that later versions implement; they exist now so that --help shows the
// whole tool and scripts get a clear answer instead of a parse error.
void AddPendingCommand(CLI::App* parent, const std::string& name, const std::string& what,
                       int* exit_code) {
  CLI::App* cmd = parent->add_subcommand(name, what + " (not available in this version)");
  cmd->allow_extras();
  const std::string full = parent->get_parent() ? parent->get_name() + " " + name : name;
  cmd->callback([full, exit_code] {
    std::fprintf(stderr, "dbbackup %s: not available in this version of dbbackup\n", full.c_str());
    *exit_code = kExitUnavailable;
  });
}

int Main(int argc, char** argv) {
  CLI::App app{
      "dbbackup: PostgreSQL logical backup and restore at the speed of the server and the disk,\n"
      "in memory that does not grow with the database.\n\n"
      "Exit codes: 0 ok, 1 failed, 2 usage error, 3 partial (cluster), 4 verify found problems,\n"
      "5 command not available in this version, 6 cannot connect (server, authentication,\n"
      "database), 7 refused (backup dir or target database not empty or not writable),\n"
      "130/143 interrupted by SIGINT/SIGTERM.",
      "dbbackup"};
  app.set_version_flag("--version", VersionText());
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "explain choices: I/O fallbacks, memory bounds, timings");
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
  AddPendingCommand(&app, "tune", "Audit (--check) or apply (--apply) host settings", &exit_code);
  AddBenchCommand(app, &exit_code);

  app.parse_complete_callback([&] { log::SetVerbose(verbose); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

}  // namespace
}  // namespace dbb::app

int main(int argc, char** argv) { return dbb::app::Main(argc, argv); }
