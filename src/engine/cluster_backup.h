// `backup cluster`: the globals and every database of a server, into a new directory.
//
//   DIR/globals.sql                    pg_dumpall --globals-only: roles, memberships, role
//                                      settings, tablespaces
//   DIR/databases/NNNN.<name>/         one complete single-database backup (backup.h) per
//                                      database, each with its own snapshot and its database-level
//                                      properties (owner, ACL, settings, locale, tablespace)
//   DIR/cluster.json                   written last (cluster_manifest.h)
//
// Every connectable database except template0 is backed up; template1 only when it holds user
// objects. Databases run side by side within one budget of `jobs` data connections and share
// one page pipeline, so memory is that of a single -j backup. A database that fails or runs past
// `timeout_ms` is stopped, its files are removed, and the others go on: the result is then
// partial (cluster.json says which databases are missing and why). A failure of the cluster-wide
// steps (listing databases, pg_dumpall), a full disk or a stop request (signal) fails the whole
// run: databases with finished files stay for `--resume` (database.resume), which keeps the
// databases an earlier run completed, resumes the interrupted ones (backup.h) and makes the
// globals again; with nothing finished, everything the run made goes.
//
// Databases are each consistent in themselves, not with one another (as with pg_dumpall).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop.h"
#include "engine/backup.h"
#include "engine/cluster_manifest.h"
#include "pg/connection.h"
#include "pg/name_pattern.h"

namespace dbb::engine {

inline constexpr uint64_t kDefaultDatabaseTimeoutMs = 2 * 3600 * 1000;  // 2 h
// Marks a cluster backup under way (or interrupted: `backup cluster --resume` completes it);
// removed once cluster.json is written.
inline constexpr const char* kClusterJournalName = "cluster.journal";

struct ClusterBackupOptions {
  // The server; its database (conninfo or dbname) is the one to connect to for the list of
  // databases and the globals: "postgres" when none is given.
  pg::ConnParams conn;
  std::string dir;                                  // must not exist, or be an empty directory
  int jobs = 2;                                     // data connections, all databases together
  uint64_t timeout_ms = kDefaultDatabaseTimeoutMs;  // per database; 0 = none
  bool role_passwords = true;                       // false: pg_dumpall --no-role-passwords
  // Databases left out (--exclude-database, as pg_dumpall: matched by name, psql's pattern rules).
  std::vector<pg::NamePattern> exclude_databases;
  // How each database is backed up: lock wait, chunk size, large objects, compression. Its
  // conn, dir, jobs, stop and shared_pipeline are set per database.
  BackupOptions database;
  StopSource* stop = nullptr;  // required
};

struct ClusterBackupResult {
  ClusterManifest manifest;
  std::string dir;
  uint64_t pipeline_memory_bytes = 0;
};

// OK with a partial manifest when only some databases failed; an error when the cluster-wide
// steps failed or the run was stopped (nothing is left then).
Result<ClusterBackupResult> RunClusterBackup(const ClusterBackupOptions& options);

// The maintenance database of `conn`: as given, else "postgres".
pg::ConnParams MaintenanceConn(const pg::ConnParams& conn);

}  // namespace dbb::engine
