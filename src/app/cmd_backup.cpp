#include "app/cmd_backup.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "app/conn_flags.h"
#include "app/exit_codes.h"
#include "app/pipeline_flags.h"
#include "app/progress_display.h"
#include "app/run_report.h"
#include "app/selection_flags.h"
#include "app/settings.h"
#include "app/signals.h"
#include "common/log.h"
#include "common/timing.h"
#include "common/units.h"
#include "engine/backup.h"
#include "engine/backup_series.h"
#include "engine/cluster_backup.h"
#include "io/small_file.h"

namespace dbb::app {
namespace {

// What `backup single` and `backup cluster` share: where, how many connections, how each
// database's data is cut, compressed and written.
struct BackupFlags {
  pg::ConnParams conn;
  std::string dir;
  int jobs = 2;
  std::string lock_wait_timeout = "0";
  int retries = 3;
  std::string chunk_size = "auto";
  engine::BlobMode blob_mode = engine::BlobMode::kInline;
  bool no_blobs = false;
  bool resume = false;
  bool force = false;
  PipelineFlags pipeline;
  ReportFlags report;
  std::string target;
};

struct SingleFlags {
  BackupFlags backup;
  std::string positional_db;
  SelectionFlags selection;
};

struct ClusterFlags {
  BackupFlags backup;
  std::string timeout = "2h";
  bool no_role_passwords = false;
  std::vector<std::string> exclude_databases;
};

constexpr uint64_t kMinChunkSize = 1000 * 1000;
// More retries than this only hide a server that keeps ending sessions.
constexpr int kMaxRetries = 100;

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

void PrintSummary(const engine::BackupResult& r, const std::string& dir) {
  const engine::Manifest& m = r.manifest;
  std::printf(
      "backup of database \"%s\" complete: %s\n"
      "  %zu tables, %llu rows, %zu sequences, %zu materialized views%s\n%s"
      "  files written with %s; page pipeline %s\n",
      m.database.c_str(), dir.c_str(), m.tables.size(), static_cast<unsigned long long>(m.rows()),
      m.sequences.size(), m.matviews.size(),
      m.large_objects.included
          ? ("\n  large objects: " + engine::DescribeLargeObjects(m.large_objects)).c_str()
          : "",
      engine::DescribeMetrics(m.metrics).c_str(), r.io.c_str(),
      FormatBytes(r.pipeline_memory_bytes).c_str());
  const engine::BackupTimes& t = r.times;
  log::Verbose(
      "where the data phase's time went (seconds, summed over threads): connections in "
      "COPY " +
      FormatSeconds(t.copy_s) + ", of which waiting for the server and libpq " +
      FormatSeconds(t.copy_s - t.append_s) + " and handing pages to compression " +
      FormatSeconds(t.append_s) + " (blocked for a free page " +
      FormatSeconds(t.pipeline.producer_wait_s) + "); compression threads busy " +
      FormatSeconds(t.pipeline.compress_s) + "; writing " + FormatSeconds(t.pipeline.write_s));
}

// Checks the shared flags and turns them into a backup's options (conn, dir, filter and stop
// are the caller's).
Result<engine::BackupOptions> ToBackupOptions(const BackupFlags& f) {
  DBB_RETURN_IF_ERROR(CheckJobs(f.jobs));
  auto timeout = ParseDurationMs(f.lock_wait_timeout);
  if (!timeout.ok()) return timeout.status().WithContext("--lock-wait-timeout");
  std::optional<uint64_t> chunk_size;  // auto
  if (f.chunk_size != "auto") {
    auto parsed = ParseBytes(f.chunk_size);
    if (!parsed.ok()) return parsed.status().WithContext("--chunk-size");
    chunk_size = parsed.value();
  }
  if (chunk_size && *chunk_size != 0 && *chunk_size < kMinChunkSize) {
    return Status(
        StatusCode::kInvalidArgument,
        "--chunk-size " + f.chunk_size + ": use at least 1MB (or 0 to never split tables)");
  }
  if (f.retries < 0 || f.retries > kMaxRetries) {
    return Status(StatusCode::kInvalidArgument, "--retries " + std::to_string(f.retries) +
                                                    ": use 0 (none) to " +
                                                    std::to_string(kMaxRetries));
  }
  auto pipeline = ToPipelineOptions(f.pipeline);
  if (!pipeline.ok()) return pipeline.status();
  DBB_RETURN_IF_ERROR(CheckReportFlags(f.report));
  return engine::BackupOptions{.jobs = f.jobs,
                               .lock_wait_timeout_ms = timeout.value(),
                               .chunk_size = chunk_size,
                               .blobs = !f.no_blobs,
                               .blob_mode = f.blob_mode,
                               .pipeline = pipeline.value(),
                               .retries = f.retries,
                               .resume = f.resume,
                               .force = f.force};
}

// The target's settings, for the options the command line and the environment left out; --dir
// given one way or another.
Status ApplySettings(CLI::App* cmd, BackupFlags& b) {
  auto target = ApplyTarget(b.target, cmd, &b.conn);
  if (!target.ok()) return target.status();
  if (!b.dir.empty()) return Status::Ok();
  return Status(StatusCode::kInvalidArgument,
                b.target.empty() ? "--dir is required: the backup directory"
                                 : "--dir is required: target " + b.target +
                                       " sets no dir (the directory of its backups)");
}

// Where a run writes: --dir itself, or for a --target a new time-stamped directory under it (the
// target's lock held in *series until the run ends).
// With --resume, the newest interrupted backup of the target is completed instead.
Result<std::string> BackupDir(const BackupFlags& b, bool cluster,
                              std::optional<engine::SeriesRun>* series) {
  if (b.target.empty()) return io::TrimTrailingSlashes(b.dir);
  auto run = engine::SeriesRun::Start(io::TrimTrailingSlashes(b.dir));
  if (!run.ok()) return run.status();
  if (b.resume) {
    auto resumed = run->ResumeNewestInterrupted(cluster);
    if (!resumed.ok()) return resumed.status();
    if (resumed.value()) log::Info("resuming the interrupted backup " + run->backup_dir());
  }
  series->emplace(std::move(run.value()));
  return (*series)->backup_dir();
}

// After a complete backup of a target: `latest` points to it. A failure to do so fails the run
// (exit 1): the backup is complete, but whatever restores from `latest` would not find it.
int PublishLatest(const std::string& cmd, const std::optional<engine::SeriesRun>& series,
                  int exit_code) {
  if (!series || exit_code != kExitOk) return exit_code;
  Status published = series->PublishLatest();
  if (!published.ok()) return ReportFailure(cmd, published, 0);
  log::Info(series->dir() + "/" + engine::kLatestName + " now points to " + series->backup_dir());
  return exit_code;
}

int RunBackupSingle(CLI::App* app, SingleFlags& f) {
  const std::string cmd = "backup single";
  BackupFlags& b = f.backup;
  // Twice on the command line is an error; DBNAME wins over a -d from DBBACKUP_DBNAME or a target.
  const char* env_db = std::getenv(EnvNameOf("dbname").c_str());
  const bool d_given = !b.conn.conninfo.empty() && (env_db == nullptr || b.conn.conninfo != env_db);
  if (!f.positional_db.empty() && d_given) {
    return ReportFailure(cmd,
                         Status(StatusCode::kInvalidArgument,
                                "give the database once: as DBNAME or with -d, not both"),
                         0);
  }
  Status settings = ApplySettings(app, b);
  if (!settings.ok()) return ReportFailure(cmd, settings, 0);
  if (!f.positional_db.empty()) b.conn.conninfo = f.positional_db;
  auto options = ToBackupOptions(b);
  if (!options.ok()) return ReportFailure(cmd, options.status(), 0);
  auto filter = ToRelationFilter(f.selection);
  if (!filter.ok()) return ReportFailure(cmd, filter.status(), 0);
  std::optional<engine::SeriesRun> series;
  auto backup_dir = BackupDir(b, /*cluster=*/false, &series);
  if (!backup_dir.ok()) return ReportFailure(cmd, backup_dir.status(), 0);

  StopSource stop;
  SignalWatcher signals(&stop);
  const std::string& dir = backup_dir.value();
  engine::BackupOptions& o = options.value();
  o.conn = b.conn;
  o.dir = dir;
  o.filter = std::move(filter.value());
  o.stop = &stop;
  Progress progress;
  o.progress = &progress;
  const SteadyClock::time_point start = SteadyClock::now();
  ProgressDisplay display("backup", &progress);
  auto result = engine::RunBackup(o);
  display.Finish(result.ok());
  if (!result.ok()) {
    return FinishFailedRun("backup", cmd, b.report, result.status(), stop.signal(),
                           pg::DatabaseNameOf(b.conn), SecondsSince(start));
  }
  const engine::Manifest& m = result->manifest;
  if (!log::IsQuiet()) PrintSummary(result.value(), dir);
  return FinishRun("backup", b.report,
                   {{.database = m.database, .success = true, .metrics = m.metrics}}, m.metrics,
                   PublishLatest(cmd, series, kExitOk));
}

void PrintClusterSummary(const engine::ClusterBackupResult& r) {
  const engine::ClusterManifest& m = r.manifest;
  const size_t missing = m.missing();
  std::printf("cluster backup %s: %s\n", r.dir.c_str(),
              missing == 0 ? "complete"
                           : ("PARTIAL, " + std::to_string(missing) + " of " +
                              std::to_string(m.databases.size()) + " databases missing")
                                 .c_str());
  std::printf(
      "  PostgreSQL %s: %zu databases, %zu tablespaces; globals %s (%s)\n%s"
      "  page pipeline %s\n",
      m.server_version.c_str(), m.databases.size() - missing, m.tablespaces.size(),
      FormatBytes(m.globals.bytes).c_str(),
      m.globals.role_passwords ? "roles with their passwords" : "roles without passwords",
      engine::DescribeMetrics(m.metrics).c_str(), FormatBytes(r.pipeline_memory_bytes).c_str());
}

// The databases a partial cluster backup misses: errors, shown even with --quiet.
void PrintMissingDatabases(const engine::ClusterManifest& m) {
  for (const engine::ClusterDatabase& d : m.databases) {
    if (d.status == engine::DatabaseStatus::kComplete) continue;
    std::fprintf(stderr, "dbbackup backup cluster: MISSING database \"%s\": %s: %s\n",
                 d.name.c_str(), engine::DatabaseStatusName(d.status), d.error.c_str());
  }
}

int RunBackupCluster(CLI::App* app, ClusterFlags& f) {
  const std::string cmd = "backup cluster";
  Status settings = ApplySettings(app, f.backup);
  if (!settings.ok()) return ReportFailure(cmd, settings, 0);
  auto options = ToBackupOptions(f.backup);
  if (!options.ok()) return ReportFailure(cmd, options.status(), 0);
  auto timeout = ParseDurationMs(f.timeout);
  if (!timeout.ok()) return ReportFailure(cmd, timeout.status().WithContext("--timeout"), 0);
  std::vector<pg::NamePattern> exclude;
  for (const std::string& text : f.exclude_databases) {
    auto pattern = pg::NamePattern::ParseSchema(text);
    if (!pattern.ok()) {
      return ReportFailure(cmd, pattern.status().WithContext("--exclude-database"), 0);
    }
    exclude.push_back(std::move(pattern.value()));
  }
  std::optional<engine::SeriesRun> series;
  auto backup_dir = BackupDir(f.backup, /*cluster=*/true, &series);
  if (!backup_dir.ok()) return ReportFailure(cmd, backup_dir.status(), 0);

  StopSource stop;
  SignalWatcher signals(&stop);
  const std::string& dir = backup_dir.value();
  Progress progress;
  options->progress = &progress;
  const SteadyClock::time_point start = SteadyClock::now();
  ProgressDisplay display("backup", &progress);
  auto result = engine::RunClusterBackup({.conn = f.backup.conn,
                                          .dir = dir,
                                          .jobs = f.backup.jobs,
                                          .timeout_ms = timeout.value(),
                                          .role_passwords = !f.no_role_passwords,
                                          .exclude_databases = std::move(exclude),
                                          .database = options.value(),
                                          .stop = &stop});
  display.Finish(result.ok());
  if (!result.ok()) {
    return FinishFailedRun("backup", cmd, f.backup.report, result.status(), stop.signal(), "",
                           SecondsSince(start));
  }
  const engine::ClusterManifest& m = result->manifest;
  if (!log::IsQuiet()) PrintClusterSummary(result.value());
  PrintMissingDatabases(m);
  // The whole run first, as database "": alerts on it see a run that failed before any database.
  std::vector<DatabaseOutcome> outcomes = {
      {.database = "", .success = !m.partial(), .metrics = m.metrics}};
  for (const engine::ClusterDatabase& d : m.databases) {
    const bool complete = d.status == engine::DatabaseStatus::kComplete;
    outcomes.push_back({.database = d.name,
                        .success = complete,
                        .metrics = complete ? d.metrics : FailedRunMetrics(d.duration_s)});
  }
  return FinishRun("backup", f.backup.report, outcomes, m.metrics,
                   PublishLatest(cmd, series, m.partial() ? kExitPartial : kExitOk));
}

// The flags both commands take.
void AddBackupFlags(CLI::App* cmd, BackupFlags* flags) {
  AddConnFlags(cmd, &flags->conn);
  cmd->add_option("--dir", flags->dir,
                  "backup directory: new, or empty (created 0700). With --target, the target's "
                  "directory: each run writes a new time-stamped directory in it, and `latest` "
                  "points to the newest complete one");
  cmd->add_option("--chunk-size", flags->chunk_size,
                  "split tables larger than this (heap and TOAST) into block ranges copied in "
                  "parallel, one file each (PostgreSQL 14+; e.g. 256MB, 4GiB; 0 = never). auto: "
                  "a quarter of each connection's share of the data, 64 MiB to 1 GiB")
      ->capture_default_str();
  const std::map<std::string, engine::BlobMode> modes{{"inline", engine::BlobMode::kInline},
                                                      {"external", engine::BlobMode::kExternal}};
  cmd->add_option("--blob-mode", flags->blob_mode,
                  "large objects: inline (packed into files like table data, many objects per "
                  "file) or external (each distinct content once, in blobs/ named by its "
                  "SHA-256: identical objects are stored once)")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case))
      ->option_text("inline|external")
      ->default_str("inline");
  cmd->add_flag("--no-blobs", flags->no_blobs,
                "leave large objects out (a selection of tables leaves them out too, as "
                "pg_dump does)");
  cmd->add_option("--lock-wait-timeout", flags->lock_wait_timeout,
                  "fail if a table's ACCESS SHARE lock is not granted within this time (e.g. "
                  "30s, 5min; 0 = wait forever, as pg_dump)")
      ->capture_default_str();
  cmd->add_option("--retries", flags->retries,
                  "a data connection lost mid-copy (session ended, network cut) is replaced and "
                  "its table file or chunk copied again under the same snapshot, up to this "
                  "many times per file, waiting 1, 2, 4 ... s (at most 30 s) between tries; 0 = "
                  "fail at once. A lost coordinator connection always stops the backup: the "
                  "snapshot is gone")
      ->capture_default_str();
  cmd->add_flag("--resume", flags->resume,
                "complete an interrupted backup in --dir (killed, stopped, disk full): files it "
                "finished that still match its journal are kept, the rest is copied in a new "
                "snapshot (the manifest then says the backup is not one point in time and which "
                "files came from which snapshot). Same options as the first run; without an "
                "interrupted backup in --dir, a new backup is made. With --target: the target's "
                "newest interrupted backup");
  cmd->add_flag("--force", flags->force,
                "start even when the estimated size (relation sizes, half of it once "
                "compressed) is more than the free space at --dir");
  AddPipelineFlags(cmd, &flags->pipeline);
  AddReportFlags(cmd, &flags->report);
  AddTargetFlag(cmd, &flags->target);
}

}  // namespace

void AddBackupSingleCommand(CLI::App* backup, int* exit_code) {
  auto flags = std::make_shared<SingleFlags>();
  CLI::App* cmd = backup->add_subcommand(
      "single",
      "Back up one database to a new directory: one consistent snapshot, schema by pg_dump, data "
      "as compressed COPY BINARY streams over -j connections, manifest written last");
  cmd->add_option(
      "DBNAME", flags->positional_db,
      "database: a name, a conninfo string or a postgresql:// URI (default: PGDATABASE)");
  cmd->add_option("-d,--dbname", flags->backup.conn.conninfo, "the database, as an option");
  cmd->add_option("-j,--jobs", flags->backup.jobs,
                  "data connections; they take tables and chunks largest first")
      ->capture_default_str();
  AddBackupFlags(cmd, &flags->backup);
  AddSelectionFlags(cmd, &flags->selection, "back up");
  cmd->callback([cmd, flags, exit_code] { *exit_code = RunBackupSingle(cmd, *flags); });
}

void AddBackupClusterCommand(CLI::App* backup, int* exit_code) {
  auto flags = std::make_shared<ClusterFlags>();
  CLI::App* cmd = backup->add_subcommand(
      "cluster",
      "Back up a whole server to a new directory: the globals (roles, memberships, tablespaces: "
      "pg_dumpall --globals-only) into globals.sql, then every database that accepts "
      "connections except template0 (template1 only when it holds objects), each with its own "
      "snapshot and its owner, ACL, settings and locale, into databases/NNNN.NAME/ as by `backup "
      "single`; cluster.json written last. Exit 3 when some database failed or timed out (the "
      "others are complete; cluster.json names the missing ones)");
  cmd->add_option("-d,--dbname", flags->backup.conn.conninfo,
                  "the database to connect to for the list of databases and the globals (a "
                  "name, conninfo string or URI; default: postgres)");
  cmd->add_option("-j,--jobs", flags->backup.jobs,
                  "data connections for all databases together: several databases run side by "
                  "side, each with its share, in the memory of one -j backup")
      ->capture_default_str();
  cmd->add_option("--timeout", flags->timeout,
                  "stop a database's backup after this long (e.g. 30min, 2h; 0 = never); the "
                  "database is then missing from the backup and the others go on")
      ->capture_default_str();
  cmd->add_flag("--no-role-passwords", flags->no_role_passwords,
                "leave role passwords out of globals.sql (pg_dumpall --no-role-passwords; lets "
                "a non-superuser back up the globals)");
  cmd->add_option("--exclude-database", flags->exclude_databases,
                  "leave out databases whose name matches PATTERN (as pg_dumpall: * and ?, "
                  "unquoted letters folded to lower case; repeatable)")
      ->allow_extra_args(false);
  AddBackupFlags(cmd, &flags->backup);
  cmd->callback([cmd, flags, exit_code] { *exit_code = RunBackupCluster(cmd, *flags); });
}

}  // namespace dbb::app
