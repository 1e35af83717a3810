#include "engine/cluster_restore.h"

#include <algorithm>
#include <cstdio>

#include "common/log.h"
#include "common/timing.h"
#include "common/units.h"
#include "engine/backup.h"
#include "engine/cluster_backup.h"
#include "engine/database_runs.h"
#include "io/small_file.h"
#include "pg/catalog.h"
#include "pg/pg_tools.h"

namespace dbb::engine {
namespace {

// pg_dumpall's globals are a few hundred bytes per role.
constexpr uint64_t kMaxGlobalsBytes = 1 * kGiB;
// Lines of "exists already" shown before a count of the rest.
constexpr size_t kExistingShown = 10;

// One database to restore, and what the target server holds under its name.
struct Target {
  const ClusterDatabase* entry = nullptr;
  Manifest manifest;
  bool exists = false;
  std::string objects;  // its user objects when it exists ("" = empty)
};

std::string Names(const ClusterManifest& m) {
  std::string out;
  for (const ClusterDatabase& d : m.databases) out += (out.empty() ? "" : ", ") + d.name;
  return out;
}

// The databases to restore, their manifests read (a damaged backup fails here, before anything
// is changed). Databases the backup lacks are errors when named, warnings otherwise.
Status SelectDatabases(const ClusterRestoreOptions& o, const ClusterManifest& m,
                       std::vector<Target>* targets, std::vector<std::string>* not_in_backup) {
  std::vector<const ClusterDatabase*> chosen;
  if (o.databases.empty()) {
    for (const ClusterDatabase& d : m.databases) {
      if (d.status == DatabaseStatus::kComplete) {
        chosen.push_back(&d);
        continue;
      }
      not_in_backup->push_back(d.name);
      log::Warn("database \"" + d.name + "\" is not in this backup (" +
                DatabaseStatusName(d.status) + ": " + d.error + "); it is not restored");
    }
  }
  for (const std::string& name : o.databases) {
    auto it = std::find_if(m.databases.begin(), m.databases.end(),
                           [&](const ClusterDatabase& d) { return d.name == name; });
    if (it == m.databases.end()) {
      return Status(StatusCode::kInvalidArgument, "--databases: no database \"" + name +
                                                      "\" in the backup " + o.dir +
                                                      "; it holds: " + Names(m));
    }
    if (it->status != DatabaseStatus::kComplete) {
      return Status(StatusCode::kInvalidArgument,
                    "--databases: database \"" + name + "\" is not in the backup " + o.dir + " (" +
                        DatabaseStatusName(it->status) + ": " + it->error + ")");
    }
    if (std::find(chosen.begin(), chosen.end(), &*it) == chosen.end()) chosen.push_back(&*it);
  }
  for (const ClusterDatabase* d : chosen) {
    auto manifest = ReadManifest(o.dir + "/" + d->dir);
    if (!manifest.ok()) return manifest.status();
    targets->push_back({.entry = d, .manifest = std::move(manifest.value())});
  }
  return Status::Ok();
}

// globals.sql as the manifest recorded it, with the tablespace mapping applied.
Result<std::string> ReadGlobals(const ClusterRestoreOptions& o, const ClusterManifest& m) {
  const std::string path = o.dir + "/" + m.globals.file;
  uint64_t bytes = 0;
  auto crc = FileCrc32c(path, &bytes);
  if (!crc.ok()) return crc.status();
  if (bytes != m.globals.bytes || crc.value() != m.globals.crc32c) {
    return Status(StatusCode::kCorrupt, path + ": size or checksum differs from " +
                                            kClusterManifestName + "; the backup is damaged");
  }
  auto text = io::ReadSmallFile(path, kMaxGlobalsBytes);
  if (!text.ok() || o.tablespace_mapping.empty()) return text;
  auto mapped = pg::MapTablespaceLocations(text.value(), o.tablespace_mapping);
  if (!mapped.ok()) return mapped.status().WithContext("--tablespace-mapping");
  return mapped;
}

// An existing empty database is restored into as it is: its encoding is not the backup's to
// choose (a mismatch converts text, or fails on characters the target cannot hold).
void WarnIfEncodingDiffers(pg::Connection& conn, const Target& t) {
  auto r = conn.Query("SELECT pg_catalog.current_setting('server_encoding')");
  if (!r.ok() || r->Get(0, 0) == t.manifest.encoding || t.manifest.encoding.empty()) return;
  log::Warn("database \"" + t.entry->name + "\" exists (empty) with encoding " +
            std::string(r->Get(0, 0)) + ", the backup's is " + t.manifest.encoding +
            "; it is restored into as it is (drop it first to have it created with " +
            t.manifest.encoding + ")");
}

// Which selected databases exist on the target, and whether they hold anything. Refuses (before
// anything is changed) those that hold objects, unless --clean may drop them.
Status InspectTargets(const ClusterRestoreOptions& o, pg::Connection& admin,
                      std::vector<Target>* targets) {
  std::string refused;
  for (Target& t : *targets) {
    const std::string& name = t.entry->name;
    auto r = admin.Query("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1", {name});
    if (!r.ok()) return r.status();
    t.exists = r->rows() > 0;
    if (!t.exists) continue;
    pg::ConnParams params = o.conn;
    params.dbname = name;
    auto conn = pg::Connection::Open(params);
    if (!conn.ok()) return conn.status().WithContext("check the existing database " + name);
    auto objects = pg::DescribeUserObjects(conn.value());
    if (!objects.ok()) return objects.status();
    t.objects = objects.value();
    if (t.objects.empty()) {
      WarnIfEncodingDiffers(conn.value(), t);
      continue;
    }
    if (!o.clean) {
      refused += "\n  \"" + name + "\" exists and holds " + t.objects;
    } else if (name == "template1") {
      refused += "\n  \"template1\" holds " + t.objects +
                 "; --clean does not drop template1: empty it by hand";
    }
  }
  if (refused.empty()) return Status::Ok();
  return Status(StatusCode::kRefused,
                "target databases are not empty:" + refused +
                    "\nrestore with --clean to drop and recreate them, or leave them out with "
                    "--databases. Nothing was changed.");
}

Status RestoreGlobals(const ClusterRestoreOptions& o, pg::Connection& admin, const std::string& sql,
                      ClusterRestoreResult* result) {
  io::TempFile file;
  DBB_RETURN_IF_ERROR(file.Create("dbbackup-globals"));
  DBB_RETURN_IF_ERROR(io::WriteFileAtomic(file.path(), sql));
  auto outcome = pg::RunGlobals(admin, file.path(), o.stop);
  if (!outcome.ok()) return outcome.status().WithContext("restore the globals");
  result->existing_globals = outcome->existing.size();
  for (size_t i = 0; i < outcome->existing.size() && i < kExistingShown; ++i) {
    log::Warn("globals: " + outcome->existing[i].message + ": kept, its attributes updated");
  }
  if (outcome->existing.size() > kExistingShown) {
    log::Warn("globals: " + std::to_string(outcome->existing.size() - kExistingShown) +
              " more roles or tablespaces existed already");
  }
  if (outcome->errors.empty()) return Status::Ok();
  std::string text;
  for (const pg::SqlError& e : outcome->errors) {
    text += "\n  line " + std::to_string(e.line) + ": ERROR " + e.sqlstate + ": " + e.message;
  }
  const bool tablespace =
      std::any_of(outcome->errors.begin(), outcome->errors.end(), [](const pg::SqlError& e) {
        return e.message.find("tablespace") != std::string::npos ||
               e.message.find("directory") != std::string::npos;
      });
  return Status(StatusCode::kServer,
                o.dir + "/" + kGlobalsName + ": " + std::to_string(outcome->errors.size()) +
                    " statements failed:" + text +
                    (tablespace ? "\nplace tablespaces elsewhere with --tablespace-mapping "
                                  "OLD=NEW (an empty directory owned by the server's OS user)"
                                : "") +
                    "\nno database was restored; roles created so far remain (a rerun keeps "
                    "them)");
}

// A database restored on its own connections, with its own stop: its failure stops only it.
void RestoreOne(const ClusterRestoreOptions& o, const std::string& maintenance_db, const Target& t,
                int connections, RestoredDatabase* out) {
  StopSource stop;
  const int link = o.stop->OnStop([&stop] { stop.Request("the cluster restore was stopped"); });
  const std::string& name = t.entry->name;
  const std::string what = "database \"" + name + "\"";
  // CREATE and DROP DATABASE run from another database than the one they create or drop.
  const std::string admin_db = name != maintenance_db ? maintenance_db
                               : name != "template1"  ? "template1"
                                                      : "postgres";
  Status st = Status::Ok();
  if (t.exists && !t.objects.empty()) {
    pg::ConnParams params = o.conn;
    params.dbname = admin_db;
    auto admin = pg::Connection::Open(params);
    st = admin.ok() ? admin->Exec("DROP DATABASE " + admin->QuoteIdent(name) +
                                  (admin->server_version_num() >= 130000 ? " WITH (FORCE)" : ""))
                    : admin.status();
    if (st.ok()) log::Info(what + ": dropped (--clean)");
  }
  if (st.ok()) {
    log::Info(what + ": restoring " + FormatBytes(t.manifest.raw_bytes()) + " with " +
              std::to_string(connections) + " connection" + (connections > 1 ? "s" : ""));
    RestoreOptions r{.dir = o.dir + "/" + t.entry->dir,
                     .create = !t.exists || !t.objects.empty(),
                     .apply_properties = true,
                     .maintenance_db = admin_db,
                     .jobs = connections,
                     .blobs = o.blobs,
                     .reader = o.reader,
                     .stop = &stop,
                     .progress = o.progress,
                     .progress_part = {.database = name, .estimate_bytes = t.manifest.raw_bytes()}};
    r.conn = o.conn;
    r.conn.dbname = name;
    auto result = RunRestore(r);
    if (result.ok()) {
      out->result = std::move(result.value());
    } else {
      st = result.status();
    }
  }
  o.stop->Unregister(link);
  out->status = st;
  if (st.ok()) {
    char line[160];
    std::snprintf(line, sizeof line, ": restored, %zu tables, %llu rows in %.1f s",
                  out->result.tables, static_cast<unsigned long long>(out->result.rows),
                  out->result.seconds);
    log::Info(what + line);
  } else if (!o.stop->requested()) {
    log::Warn(what + " FAILED: " + st.message());
  }
}

}  // namespace

size_t ClusterRestoreResult::failed() const {
  return static_cast<size_t>(
      std::count_if(databases.begin(), databases.end(),
                    [](const RestoredDatabase& d) { return !d.status.ok(); }));
}

Result<ClusterRestoreResult> RunClusterRestore(const ClusterRestoreOptions& o) {
  DBB_CHECK(o.stop != nullptr && o.jobs >= 1);
  const SteadyClock::time_point start = SteadyClock::now();
  auto manifest = ReadClusterManifest(o.dir);
  if (!manifest.ok()) return manifest.status();
  ClusterRestoreResult result;
  result.manifest = std::move(manifest.value());
  const ClusterManifest& m = result.manifest;
  std::vector<Target> targets;
  DBB_RETURN_IF_ERROR(SelectDatabases(o, m, &targets, &result.not_in_backup));
  auto globals = o.globals ? ReadGlobals(o, m) : Result<std::string>(std::string());
  if (!globals.ok()) return globals.status();

  auto admin = pg::Connection::Open(MaintenanceConn(o.conn));
  if (!admin.ok()) return admin.status();
  DBB_RETURN_IF_ERROR(InspectTargets(o, admin.value(), &targets));
  if (o.globals) {
    DBB_RETURN_IF_ERROR(RestoreGlobals(o, admin.value(), globals.value(), &result));
  } else {
    log::Info(
        "globals not restored (--no-globals): the roles and tablespaces the databases "
        "name must exist on the target");
  }
  if (o.stop->requested()) return Status(StatusCode::kCancelled, o.stop->reason());

  const std::string maintenance_db = admin->database();
  result.databases.resize(targets.size());
  std::vector<DatabaseRun> runs;
  for (size_t i = 0; i < targets.size(); ++i) {
    RestoredDatabase* out = &result.databases[i];
    out->name = targets[i].entry->name;
    out->status = Status(StatusCode::kCancelled, "not started: the restore was stopped");
    const Target* t = &targets[i];
    runs.push_back(
        {.bytes = t->manifest.raw_bytes(), .start = [&o, &maintenance_db, t, out](int jobs) {
           RestoreOne(o, maintenance_db, *t, jobs, out);
         }});
    if (o.progress != nullptr) o.progress->AddEstimate(t->manifest.raw_bytes());
  }
  if (o.progress != nullptr) o.progress->SetPhase("databases");
  RunDatabases(std::move(runs), o.jobs, o.stop);
  if (o.stop->requested()) {
    return Status(StatusCode::kCancelled, o.stop->reason() +
                                              "; databases being restored are incomplete: drop "
                                              "them and restore again");
  }
  result.seconds = SecondsSince(start);
  for (const RestoredDatabase& d : result.databases) {
    AddDatabaseMetrics(d.name, d.result.metrics, !d.status.ok(), &result.metrics);
  }
  result.metrics.duration_s = result.seconds;
  CaptureProcessMetrics(&result.metrics);
  return result;
}

}  // namespace dbb::engine
