#include "app/cmd_restore.h"

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/conn_flags.h"
#include "app/exit_codes.h"
#include "app/progress_display.h"
#include "app/run_report.h"
#include "app/selection_flags.h"
#include "app/signals.h"
#include "common/log.h"
#include "common/timing.h"
#include "common/units.h"
#include "engine/cluster_restore.h"
#include "engine/restore.h"

namespace dbb::app {
namespace {

struct RestoreFlags {
  pg::ConnParams conn;
  std::string dir;
  std::string target;
  bool create = false;
  int jobs = 2;
  bool no_blobs = false;
  SelectionFlags selection;
  ReportFlags report;
};

void PrintRestoreSummary(const RestoreFlags& f, const engine::RestoreResult& r) {
  const engine::Manifest& m = r.manifest;
  std::printf(
      "restore of \"%s\" (backup of \"%s\", %s) into database \"%s\" complete\n"
      "  %zu tables, %llu rows, %zu sequences set, %zu materialized views refreshed\n",
      f.dir.c_str(), m.database.c_str(), m.finished_at.c_str(), r.database.c_str(), r.tables,
      static_cast<unsigned long long>(r.rows), r.sequences, r.matviews);
  if (r.large_objects > 0) {
    std::printf("  large objects: %llu created, %s\n",
                static_cast<unsigned long long>(r.large_objects),
                FormatBytes(r.large_object_bytes).c_str());
  }
  std::fputs(engine::DescribeMetrics(r.metrics).c_str(), stdout);
}

int RunRestoreSingle(RestoreFlags& f) {
  const std::string cmd = "restore single";
  if (Status jobs = CheckJobs(f.jobs); !jobs.ok()) return ReportFailure(cmd, jobs, 0);
  if (f.create && !IsPlainDatabaseName(f.target)) {
    return ReportFailure(cmd,
                         Status(StatusCode::kInvalidArgument,
                                "--create needs a plain database name in -d; give the server "
                                "with -h, -p and -U"),
                         0);
  }
  auto filter = ToRelationFilter(f.selection);
  if (!filter.ok()) return ReportFailure(cmd, filter.status(), 0);
  if (Status report = CheckReportFlags(f.report); !report.ok()) {
    return ReportFailure(cmd, report, 0);
  }
  if (IsPlainDatabaseName(f.target)) {
    f.conn.dbname = f.target;
  } else {
    f.conn.conninfo = f.target;
  }
  StopSource stop;
  SignalWatcher signals(&stop);
  Progress progress;
  const SteadyClock::time_point start = SteadyClock::now();
  ProgressDisplay display("restore", &progress);
  auto r = engine::RunRestore({.dir = f.dir,
                               .conn = f.conn,
                               .create = f.create,
                               .jobs = f.jobs,
                               .filter = std::move(filter.value()),
                               .blobs = !f.no_blobs,
                               .stop = &stop,
                               .progress = &progress});
  display.Finish(r.ok());
  if (!r.ok()) {
    return FinishFailedRun("restore", cmd, f.report, r.status(), stop.signal(),
                           pg::DatabaseNameOf(f.conn), SecondsSince(start));
  }
  if (!log::IsQuiet()) PrintRestoreSummary(f, r.value());
  return FinishRun("restore", f.report,
                   {{.database = r->database, .success = true, .metrics = r->metrics}}, r->metrics,
                   kExitOk);
}

struct ClusterFlags {
  pg::ConnParams conn;
  std::string dir;
  int jobs = 2;
  std::vector<std::string> databases;
  bool clean = false;
  std::vector<std::string> tablespace_mapping;
  bool no_globals = false;
  bool no_blobs = false;
  ReportFlags report;
};

// "OLD=NEW" pairs (the engine checks the directories).
Result<std::vector<std::pair<std::string, std::string>>> ParseMapping(
    const std::vector<std::string>& items) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return Status(StatusCode::kInvalidArgument,
                    "--tablespace-mapping " + item +
                        ": give OLD=NEW, both absolute directories (OLD as `dbbackup list` "
                        "shows the tablespace's location)");
    }
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

void PrintClusterRestoreSummary(const ClusterFlags& f, const engine::ClusterRestoreResult& r) {
  const size_t failed = r.failed();
  std::printf("restore of cluster backup %s: %s\n", f.dir.c_str(),
              r.partial() ? "PARTIAL" : "complete");
  const std::string globals = f.no_globals
                                  ? "globals not restored (--no-globals)"
                                  : "globals applied (" + std::to_string(r.existing_globals) +
                                        " roles or tablespaces existed already)";
  std::printf("  %zu of %zu databases restored; %s\n%s", r.databases.size() - failed,
              r.databases.size(), globals.c_str(), engine::DescribeMetrics(r.metrics).c_str());
}

int RunRestoreCluster(ClusterFlags& f) {
  const std::string cmd = "restore cluster";
  if (Status jobs = CheckJobs(f.jobs); !jobs.ok()) return ReportFailure(cmd, jobs, 0);
  auto mapping = ParseMapping(f.tablespace_mapping);
  if (!mapping.ok()) return ReportFailure(cmd, mapping.status(), 0);
  if (Status report = CheckReportFlags(f.report); !report.ok()) {
    return ReportFailure(cmd, report, 0);
  }
  StopSource stop;
  SignalWatcher signals(&stop);
  Progress progress;
  const SteadyClock::time_point start = SteadyClock::now();
  ProgressDisplay display("restore", &progress);
  auto r = engine::RunClusterRestore({.dir = f.dir,
                                      .conn = f.conn,
                                      .jobs = f.jobs,
                                      .databases = f.databases,
                                      .clean = f.clean,
                                      .tablespace_mapping = std::move(mapping.value()),
                                      .globals = !f.no_globals,
                                      .blobs = !f.no_blobs,
                                      .stop = &stop,
                                      .progress = &progress});
  display.Finish(r.ok());
  if (!r.ok()) {
    return FinishFailedRun("restore", cmd, f.report, r.status(), stop.signal(), "",
                           SecondsSince(start));
  }
  if (!log::IsQuiet()) PrintClusterRestoreSummary(f, r.value());
  for (const engine::RestoredDatabase& d : r->databases) {
    if (d.status.ok()) continue;
    std::fprintf(stderr, "dbbackup %s: FAILED database \"%s\": %s\n", cmd.c_str(), d.name.c_str(),
                 d.status.message().c_str());
  }
  for (const std::string& name : r->not_in_backup) {
    std::fprintf(stderr,
                 "dbbackup %s: NOT IN THE BACKUP: database \"%s\" (see `dbbackup list %s`)\n",
                 cmd.c_str(), name.c_str(), f.dir.c_str());
  }
  // The whole run first, as database "" (see backup cluster).
  std::vector<DatabaseOutcome> outcomes = {
      {.database = "", .success = !r->partial(), .metrics = r->metrics}};
  for (const engine::RestoredDatabase& d : r->databases) {
    outcomes.push_back({.database = d.name,
                        .success = d.status.ok(),
                        .metrics = d.status.ok() ? d.result.metrics : FailedRunMetrics(0)});
  }
  return FinishRun("restore", f.report, outcomes, r->metrics,
                   r->partial() ? kExitPartial : kExitOk);
}

}  // namespace

void AddRestoreClusterCommand(CLI::App* restore, int* exit_code) {
  auto flags = std::make_shared<ClusterFlags>();
  CLI::App* cmd = restore->add_subcommand(
      "cluster",
      "Restore a cluster backup onto a server: the globals first (psql; a role or tablespace "
      "that exists is a warning), then the databases side by side, each created with its "
      "owner, encoding, locale, tablespace, ACL and settings and restored as by `restore "
      "single`. A database that exists with objects in it is refused unless --clean; an empty "
      "one (postgres, template1) is restored into. Exit 3 when some database failed or is not "
      "in the backup");
  cmd->add_option("DIR", flags->dir, "cluster backup directory (with cluster.json)")->required();
  cmd->add_option("-d,--dbname", flags->conn.conninfo,
                  "the database to connect to for the globals and CREATE DATABASE (a name, "
                  "conninfo string or URI; default: postgres)");
  AddConnFlags(cmd, &flags->conn);
  cmd->add_option("-j,--jobs", flags->jobs,
                  "data connections for all databases together (each database also runs its "
                  "post-data schema with its share)")
      ->capture_default_str();
  cmd->add_option("--databases", flags->databases,
                  "restore only these databases (comma-separated names)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_flag("--clean", flags->clean,
                "drop and recreate databases that exist on the target with objects in them");
  cmd->add_option("--tablespace-mapping", flags->tablespace_mapping,
                  "OLD=NEW: create the tablespace whose location was OLD at NEW instead (an "
                  "empty directory owned by the server's OS user); repeat for several; needed "
                  "to restore onto the same host as the source")
      ->allow_extra_args(false);
  cmd->add_flag("--no-globals", flags->no_globals,
                "do not run globals.sql: the roles and tablespaces must exist on the target "
                "(a managed server where roles are made otherwise, or a non-superuser)");
  cmd->add_flag("--no-blobs", flags->no_blobs, "do not restore large objects");
  AddReportFlags(cmd, &flags->report);
  cmd->callback([flags, exit_code] { *exit_code = RunRestoreCluster(*flags); });
}

void AddRestoreSingleCommand(CLI::App* restore, int* exit_code) {
  auto flags = std::make_shared<RestoreFlags>();
  CLI::App* cmd = restore->add_subcommand(
      "single",
      "Restore a backup directory into one database: pre-data schema, data over -j connections, "
      "then indexes and constraints in parallel, sequences and materialized views. The target "
      "must be empty (or new, with --create)");
  cmd->add_option("DIR", flags->dir, "backup directory (with manifest.json)")->required();
  cmd->add_option("-d,--dbname", flags->target,
                  "target database: a name, or a conninfo string / URI without --create")
      ->required();
  AddConnFlags(cmd, &flags->conn);
  cmd->add_flag("--create", flags->create,
                "create the target database first (connecting to the postgres database), with "
                "the source's encoding and locale");
  cmd->add_option("-j,--jobs", flags->jobs,
                  "connections for data (files largest first; a table's chunks load in "
                  "parallel) and for post-data (indexes, constraints)")
      ->capture_default_str();
  AddSelectionFlags(cmd, &flags->selection, "restore");
  cmd->add_flag("--no-blobs", flags->no_blobs,
                "do not restore large objects (a selection of tables leaves them out too, as "
                "pg_restore does)");
  AddReportFlags(cmd, &flags->report);
  cmd->callback([flags, exit_code] { *exit_code = RunRestoreSingle(*flags); });
}

}  // namespace dbb::app
