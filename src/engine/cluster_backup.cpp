#include "engine/cluster_backup.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "common/log.h"
#include "common/timing.h"
#include "common/units.h"
#include "common/utc_time.h"
#include "engine/database_runs.h"
#include "engine/journal.h"
#include "engine/run_state.h"
#include "engine/space_check.h"
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
  DatabaseBackup(const ClusterBackupOptions& o, compress::Pipeline* pipeline, RunState* run,
                 ClusterDatabase* entry, bool resume, uint64_t size_bytes)
      : o_(o),
        pipeline_(pipeline),
        run_(run),
        entry_(entry),
        resume_(resume),
        size_bytes_(size_bytes) {}

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
      b.resume = resume_;
      b.force = true;  // the whole cluster's size was checked before the first database
      b.stop = &stop;
      b.progress_part = {.database = entry_->name, .estimate_bytes = size_bytes_};
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
      entry_->metrics = m.metrics;
      char line[160];
      std::snprintf(line, sizeof line, ": complete, %zu tables, %s in %.1f s", entry_->tables,
                    FormatBytes(entry_->raw_bytes).c_str(), entry_->duration_s);
      log::Info(what + line);
      return;
    }
    // A full disk or a stop of the whole run ends the run: what this database finished stays
    // for --resume. Any other failure ends only this database, and its files go.
    if (result.status().code() == StatusCode::kNoSpace || o_.stop->requested()) {
      run_->Fail(result.status().WithContext(what));
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(o_.dir + "/" + entry_->dir, ec);
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
  RunState* run_;
  ClusterDatabase* entry_;
  const bool resume_;
  const uint64_t size_bytes_;  // counted for its progress until it is planned
};

// What an interrupted cluster backup holds under databases/: each directory by the database
// its manifest (complete) or journal (interrupted) names. Directories with neither go.
struct EarlierDatabase {
  std::string dir;  // "databases/0003.app"
  std::optional<Manifest> complete;
};

Result<std::map<std::string, EarlierDatabase>> EarlierDatabases(const std::string& dir,
                                                                size_t* last_number) {
  namespace fs = std::filesystem;
  std::map<std::string, EarlierDatabase> out;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir + "/" + kDatabasesDirName, ec)) {
    const std::string name = e.path().filename().string();
    const std::string rel = std::string(kDatabasesDirName) + "/" + name;
    *last_number = std::max<size_t>(*last_number, std::strtoul(name.c_str(), nullptr, 10));
    if (auto m = ReadManifest(e.path().string()); m.ok()) {
      out[m->database] = {.dir = rel, .complete = std::move(m.value())};
    } else if (auto j = ReadJournal(e.path().string()); j.ok()) {
      out[j->identity.database] = {.dir = rel};
    } else {
      fs::remove_all(e.path(), ec);
    }
  }
  if (ec) return Status::FromErrno(ec.value(), "list " + dir + "/" + kDatabasesDirName);
  return out;
}

// A database an earlier run completed: its entry from its manifest; it is not backed up again.
ClusterDatabase CompletedEarlier(const std::string& name, const EarlierDatabase& earlier) {
  const Manifest& m = *earlier.complete;
  log::Info("database \"" + name + "\": complete in the interrupted run (" + earlier.dir +
            "), kept");
  return {.name = name,
          .status = DatabaseStatus::kComplete,
          .dir = earlier.dir,
          .tables = m.tables.size(),
          .rows = m.rows(),
          .raw_bytes = m.raw_bytes(),
          .stored_bytes = m.stored_bytes(),
          .duration_s = m.duration_s};
}

Status BackupGlobals(const ClusterBackupOptions& o, pg::Connection& admin, RunState& run,
                     ClusterManifest* m) {
  const std::string path = o.dir + "/" + kGlobalsName;
  run.AddCreated(path);  // a resumed run makes it again too
  DBB_RETURN_IF_ERROR(pg::DumpGlobals(
      admin, {.out_path = path, .role_passwords = o.role_passwords, .stop = o.stop}));
  auto crc = FileCrc32c(path, &m->globals.bytes);
  if (!crc.ok()) return crc.status();
  m->globals.crc32c = crc.value();
  m->globals.role_passwords = o.role_passwords;
  return Status::Ok();
}

// Pre-flight for the whole cluster (each database's own check is off: they run side by side).
Status CheckClusterSpace(const ClusterBackupOptions& o,
                         const std::vector<pg::DatabaseInfo>& databases,
                         const std::map<std::string, EarlierDatabase>& earlier) {
  uint64_t source = 0;
  for (const pg::DatabaseInfo& d : databases) {
    auto e = earlier.find(d.name);
    if (e == earlier.end() || !e->second.complete) source += d.size_bytes;
  }
  if (o.database.force) return Status::Ok();
  return CheckFreeSpace(o.dir, source, EstimateStoredBytes(source));
}

// Everything after the directory is made; the databases' outcomes go into `m`.
Status BackupCluster(const ClusterBackupOptions& o, pg::Connection& admin, bool resume,
                     RunState& run, ClusterBackupResult* result) {
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
  if (::mkdir(databases_dir.c_str(), 0700) != 0 && !(resume && errno == EEXIST)) {
    return Status::FromErrno(errno, "create " + databases_dir);
  }
  size_t last_number = 0;
  auto earlier = EarlierDatabases(o.dir, &last_number);
  if (!earlier.ok()) return earlier.status();
  DBB_RETURN_IF_ERROR(CheckClusterSpace(o, databases.value(), earlier.value()));
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
    auto e = earlier->find(d.name);
    if (e != earlier->end() && e->second.complete) {
      m.databases.push_back(CompletedEarlier(d.name, e->second));
      earlier->erase(e);
      continue;
    }
    const bool interrupted = e != earlier->end();
    m.databases.push_back(
        {.name = d.name,
         .dir = interrupted ? e->second.dir : DatabaseDirName(++last_number, d.name)});
    if (interrupted) earlier->erase(e);
    DatabaseBackup& b = backups.emplace_back(o, pipeline.value().get(), &run, &m.databases.back(),
                                             interrupted, d.size_bytes);
    runs.push_back({.bytes = d.size_bytes, .start = [&b](int jobs) { b.Run(jobs); }});
    if (o.database.progress != nullptr) o.database.progress->AddEstimate(d.size_bytes);
  }
  // Databases of the interrupted run that are gone or left out now.
  for (const auto& [name, e] : earlier.value()) {
    log::Info("database \"" + name + "\" of the interrupted run is no longer backed up: " + e.dir +
              " removed");
    std::error_code ec;
    std::filesystem::remove_all(o.dir + "/" + e.dir, ec);
  }
  run.SetPhase("databases");
  RunDatabases(std::move(runs), o.jobs, o.stop);
  run.SetPhase("finishing");
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

// The cluster directory: new or empty (then marked as a cluster backup under way), or with
// --resume one holding an interrupted cluster backup (`*resume` is set). True when this run
// created it.
Result<bool> PrepareClusterDir(const ClusterBackupOptions& o, bool* resume) {
  struct stat st {};
  const bool interrupted = ::stat((o.dir + "/" + kClusterJournalName).c_str(), &st) == 0;
  const bool complete = ::stat((o.dir + "/" + kClusterManifestName).c_str(), &st) == 0;
  if (o.database.resume && complete) {
    return Status(StatusCode::kRefused,
                  "backup dir " + o.dir + " holds a complete cluster backup: nothing to resume");
  }
  if (interrupted && !complete) {
    if (!o.database.resume) {
      return Status(StatusCode::kRefused,
                    "backup dir " + o.dir + " holds an interrupted cluster backup (" +
                        kClusterJournalName + "): run the same command with --resume to " +
                        "complete it, or remove " + o.dir + " to start over");
    }
    *resume = true;
    return false;
  }
  if (o.database.resume) log::Info("no interrupted backup in " + o.dir + ": starting a new one");
  auto created = io::PrepareEmptyDir(o.dir);
  if (!created.ok()) return created.status();
  DBB_RETURN_IF_ERROR(io::WriteFileAtomic(o.dir + "/" + kClusterJournalName,
                                          "{\"journal\": 1, \"cluster\": true}\n"));
  return created;
}

// After a failure or stop: databases with finished files stay for --resume (each keeps its
// own, backup.h); with none, everything this run made goes.
Status LeaveUnfinishedCluster(const ClusterBackupOptions& o, RunState& run) {
  namespace fs = std::filesystem;
  Status failed = run.status();
  const std::string databases = o.dir + "/" + kDatabasesDirName;
  std::error_code ec;
  const bool progress = fs::is_directory(databases, ec) && !fs::is_empty(databases, ec);
  if (!progress) {
    fs::remove_all(databases, ec);
    ::unlink((o.dir + "/" + kClusterJournalName).c_str());
    run.RemoveCreated();
    return failed;
  }
  ::unlink((o.dir + "/" + kGlobalsName).c_str());
  return Status(failed.code(),
                failed.message() + "\n" + o.dir +
                    " holds an unfinished cluster backup: run the same command with --resume " +
                    "to complete it, or remove " + o.dir,
                failed.sys_errno());
}

void RecordClusterMetrics(ClusterManifest* m) {
  RunMetrics& metrics = m->metrics;
  for (const ClusterDatabase& d : m->databases) {
    AddDatabaseMetrics(d.name, d.metrics, d.status != DatabaseStatus::kComplete, &metrics);
  }
  metrics.duration_s = m->duration_s;
  metrics.raw_bytes = m->raw_bytes();
  metrics.stored_bytes = m->stored_bytes();  // with globals.sql
  CaptureProcessMetrics(&metrics);
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

  RunState run(o.stop, o.database.progress);
  auto admin = pg::Connection::Open(MaintenanceConn(o.conn));
  if (!admin.ok()) return admin.status();
  bool resume = false;
  auto created = PrepareClusterDir(o, &resume);
  if (!created.ok()) return created.status();
  if (created.value()) run.AddCreated(o.dir);
  const int cancel_id = o.stop->OnStop([c = &admin.value()] { c->Cancel(); });
  Status st = BackupCluster(o, admin.value(), resume, run, &result);
  o.stop->Unregister(cancel_id);
  if (st.ok()) {
    m.finished_at = UtcNow();
    m.duration_s = SecondsSince(start);
    RecordClusterMetrics(&m);
    st = WriteClusterManifest(o.dir, m);
  }
  if (!st.ok()) {
    run.Fail(st);
    return LeaveUnfinishedCluster(o, run);
  }
  if (::unlink((o.dir + "/" + kClusterJournalName).c_str()) != 0 && errno != ENOENT) {
    log::Warn("could not remove " + o.dir + "/" + kClusterJournalName);
  }
  return result;
}

}  // namespace dbb::engine
