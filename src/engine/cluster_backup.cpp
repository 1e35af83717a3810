#include "engine/cluster_backup.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/log.h"
#include "common/timing.h"
#include "common/units.h"
#include "engine/database_runs.h"
#include "engine/run_state.h"
#include "io/small_file.h"
#include "pg/catalog.h"
#include "pg/cluster.h"
#include "pg/pg_tools.h"

namespace dbb::engine {
namespace {

// "databases/0003.my_db": the number keeps names unique, the name makes them readable.
std::string DatabaseDirName(size_t number, const std::string& name) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%04zu.", number);
  return std::string(kDatabasesDirName) + "/" + prefix + FileNamePart(name);
}

std::string DescribeDuration(uint64_t ms) {
  if (ms % 1000 != 0) return std::to_string(ms) + " ms";
  if (ms % 60000 != 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms / 60000) + " min";
}

// The databases to back up: all that accept connections but template0 and the excluded ones,
// and template1 only when someone put objects in it (then they are part of every database
// created from it).
Result<std::vector<pg::DatabaseInfo>> DatabasesToBackUp(const ClusterBackupOptions& o,
                                                        pg::Connection& admin,
                                                        std::vector<std::string>* excluded) {
  auto all = pg::ListDatabases(admin);
  if (!all.ok()) return all.status().WithContext("list the databases");
  std::vector<pg::DatabaseInfo> out;
  for (pg::DatabaseInfo& d : all.value()) {
    const bool exclude =
        std::any_of(o.exclude_databases.begin(), o.exclude_databases.end(),
                    [&](const pg::NamePattern& p) { return p.MatchesSchema(d.name); });
    if (exclude) {
      log::Info("database \"" + d.name + "\" left out (--exclude-database)");
      excluded->push_back(d.name);
      continue;
    }
    if (d.name == "template1") {
      pg::ConnParams params = o.conn;
      params.dbname = d.name;
      auto conn = pg::Connection::Open(params);
      if (!conn.ok()) return conn.status().WithContext("check template1 for user objects");
      auto objects = pg::DescribeUserObjects(conn.value());
      if (!objects.ok()) return objects.status().WithContext("template1");
      if (objects->empty()) continue;
      log::Info("template1 holds user objects (" + objects.value() + "): backed up too");
    }
    out.push_back(std::move(d));
  }
  return out;
}

// One database of the cluster: its own stop (a failure or its timeout stops only it; a stop of
// the whole run stops it too) and its own backup directory.
class DatabaseBackup {
 public:
  DatabaseBackup(const ClusterBackupOptions& o, compress::Pipeline* pipeline,
                 ClusterDatabase* entry)
      : o_(o), pipeline_(pipeline), entry_(entry) {}

  void Run(int connections) {
    StopSource stop;
    const int link = o_.stop->OnStop([&stop] { stop.Request("the cluster backup was stopped"); });
    const std::string what = "database \"" + entry_->name + "\"";
    Result<BackupResult> result = Status(StatusCode::kInternal, "not run");
    const std::string timed_out = "timed out after " + DescribeDuration(o_.timeout_ms);
    {
      const StopTimer timer(&stop, std::chrono::milliseconds(o_.timeout_ms), timed_out);
      log::Info(what + ": backing up with " + std::to_string(connections) + " connection" +
                (connections > 1 ? "s" : ""));
      BackupOptions b = o_.database;
      b.conn = o_.conn;
      b.conn.dbname = entry_->name;
      b.dir = o_.dir + "/" + entry_->dir;
      b.jobs = connections;
      b.shared_pipeline = pipeline_;
      b.stop = &stop;
      result = RunBackup(b);
      if (!result.ok() && timer.fired()) {
        entry_->status = DatabaseStatus::kTimedOut;
        entry_->error = timed_out + " (--timeout); its files were removed";
      }
    }
    o_.stop->Unregister(link);
    if (result.ok()) {
      const Manifest& m = result->manifest;
      entry_->status = DatabaseStatus::kComplete;
      entry_->tables = m.tables.size();
      entry_->rows = m.rows();
      entry_->raw_bytes = m.raw_bytes();
      entry_->stored_bytes = m.stored_bytes();
      entry_->duration_s = m.duration_s;
      char line[160];
      std::snprintf(line, sizeof line, ": complete, %zu tables, %s in %.1f s", entry_->tables,
                    FormatBytes(entry_->raw_bytes).c_str(), entry_->duration_s);
      log::Info(what + line);
      return;
    }
    entry_->dir.clear();
    if (entry_->status != DatabaseStatus::kTimedOut) {
      entry_->status = DatabaseStatus::kFailed;
      entry_->error = result.status().message();
    }
    if (!o_.stop->requested()) log::Warn(what + " is NOT in the backup: " + entry_->error);
  }

 private:
  const ClusterBackupOptions& o_;
  compress::Pipeline* pipeline_;
  ClusterDatabase* entry_;
};

Status BackupGlobals(const ClusterBackupOptions& o, pg::Connection& admin, RunState& run,
                     ClusterManifest* m) {
  const std::string path = o.dir + "/" + kGlobalsName;
  run.AddCreated(path);
  DBB_RETURN_IF_ERROR(pg::DumpGlobals(
      admin, {.out_path = path, .role_passwords = o.role_passwords, .stop = o.stop}));
  auto crc = FileCrc32c(path, &m->globals.bytes);
  if (!crc.ok()) return crc.status();
  m->globals.crc32c = crc.value();
  m->globals.role_passwords = o.role_passwords;
  return Status::Ok();
}

// Everything after the directory is made; the databases' outcomes go into `m`.
Status BackupCluster(const ClusterBackupOptions& o, pg::Connection& admin, RunState& run,
                     ClusterBackupResult* result) {
  ClusterManifest& m = result->manifest;
  m.server_version = admin.server_version();
  m.server_version_num = admin.server_version_num();
  auto databases = DatabasesToBackUp(o, admin, &m.excluded);
  if (!databases.ok()) return databases.status();
  auto tablespaces = pg::ListTablespaces(admin);
  if (!tablespaces.ok()) return tablespaces.status().WithContext("list the tablespaces");
  m.tablespaces = std::move(tablespaces.value());
  DBB_RETURN_IF_ERROR(BackupGlobals(o, admin, run, &m));

  const std::string databases_dir = o.dir + "/" + kDatabasesDirName;
  if (::mkdir(databases_dir.c_str(), 0700) != 0) {
    return Status::FromErrno(errno, "create " + databases_dir);
  }
  run.AddCreatedTree(databases_dir);
  const bool external = o.database.blobs && o.database.blob_mode == BlobMode::kExternal;
  auto pipeline =
      compress::Pipeline::Create(BackupPipelineOptions(o.database.pipeline, o.jobs, external));
  if (!pipeline.ok()) return pipeline.status();
  result->pipeline_memory_bytes = pipeline.value()->memory_bytes();
  log::Verbose("memory bound: one page pipeline for all databases " +
               pipeline.value()->DescribeMemory() + ", plus the row being copied on each of the " +
               std::to_string(o.jobs) + " data connections");
  log::Info("backing up " + std::to_string(databases->size()) + " databases with " +
            std::to_string(o.jobs) + " data connections in all");

  m.databases.reserve(databases->size());
  std::vector<DatabaseBackup> backups;
  backups.reserve(databases->size());
  std::vector<DatabaseRun> runs;
  for (const pg::DatabaseInfo& d : databases.value()) {
    m.databases.push_back({.name = d.name, .dir = DatabaseDirName(m.databases.size() + 1, d.name)});
    DatabaseBackup& b = backups.emplace_back(o, pipeline.value().get(), &m.databases.back());
    runs.push_back({.bytes = d.size_bytes, .start = [&b](int jobs) { b.Run(jobs); }});
  }
  RunDatabases(std::move(runs), o.jobs, o.stop);
  for (ClusterDatabase& d : m.databases) {
    if (d.status == DatabaseStatus::kNotStarted && d.error.empty()) {
      d.dir.clear();
      d.error = "not started: the run was stopped";
    }
  }
  DBB_RETURN_IF_ERROR(run.status());
  DBB_RETURN_IF_ERROR(io::SyncFileSystem(o.dir));
  return io::FsyncDir(databases_dir);
}

}  // namespace

pg::ConnParams MaintenanceConn(const pg::ConnParams& conn) {
  pg::ConnParams params = conn;
  if (params.conninfo.empty() && params.dbname.empty()) params.dbname = "postgres";
  return params;
}

Result<ClusterBackupResult> RunClusterBackup(const ClusterBackupOptions& o) {
  DBB_CHECK(o.stop != nullptr && o.jobs >= 1);
  const SteadyClock::time_point start = SteadyClock::now();
  ClusterBackupResult result;
  result.dir = o.dir;
  ClusterManifest& m = result.manifest;
  m.dbbackup_version = DBB_VERSION;
  m.started_at = UtcNow();

  RunState run(o.stop);
  auto admin = pg::Connection::Open(MaintenanceConn(o.conn));
  if (!admin.ok()) return admin.status();
  auto created = io::PrepareEmptyDir(o.dir);
  if (!created.ok()) return created.status();
  if (created.value()) run.AddCreated(o.dir);
  const int cancel_id = o.stop->OnStop([c = &admin.value()] { c->Cancel(); });
  Status st = BackupCluster(o, admin.value(), run, &result);
  o.stop->Unregister(cancel_id);
  if (st.ok()) {
    m.finished_at = UtcNow();
    m.duration_s = SecondsSince(start);
    st = WriteClusterManifest(o.dir, m);
  }
  if (!st.ok()) {
    run.Fail(st);
    run.RemoveCreated();
    return run.status();
  }
  return result;
}

}  // namespace dbb::engine
