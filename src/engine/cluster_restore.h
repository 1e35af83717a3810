// `restore cluster`: a cluster backup (cluster_backup.h) onto a server.
//
//   1. checks, before changing anything: the backup's files, the selected databases, the
//      tablespace mapping, and that no selected database exists on the target with user objects
//      in it (unless `clean`: then it is dropped and made anew)
//   2. globals.sql with psql (tablespace locations mapped): a role or tablespace that exists
//      already is a warning; any other error stops the restore before the databases
//   3. the databases side by side within one budget of `jobs` data connections, each as
//      `restore single --create` (restore.h): CREATE DATABASE with the source's encoding, locale
//      and default tablespace, schema and data, then its owner, ACL, settings and comment. An
//      existing empty database (postgres and template1 of a fresh cluster) is restored into.
//
// A database that fails is reported and the others go on; the result is then partial.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/stop.h"
#include "engine/cluster_manifest.h"
#include "engine/restore.h"
#include "io/file_reader.h"
#include "pg/connection.h"

namespace dbb::engine {

struct ClusterRestoreOptions {
  std::string dir;
  // The target server; its database (conninfo or dbname) is the one to connect to for the
  // globals and CREATE DATABASE: "postgres" when none is given.
  pg::ConnParams conn;
  int jobs = 2;                        // data connections, all databases together
  std::vector<std::string> databases;  // restore only these (empty: every one in the backup)
  bool clean = false;                  // drop and recreate databases that exist with objects
  // OLD=NEW: the tablespace whose location was OLD is created at NEW.
  std::vector<std::pair<std::string, std::string>> tablespace_mapping;
  bool globals = true;  // false: roles and tablespaces are expected to exist already
  bool blobs = true;
  io::ReaderOptions reader;
  StopSource* stop = nullptr;    // required
  Progress* progress = nullptr;  // optional: shared by the databases (restore.h)
};

struct RestoredDatabase {
  std::string name;
  Status status;  // OK: restored
  RestoreResult result;
};

struct ClusterRestoreResult {
  ClusterManifest manifest;
  size_t existing_globals = 0;              // roles and tablespaces that were there already
  std::vector<RestoredDatabase> databases;  // the ones attempted, largest first
  std::vector<std::string> not_in_backup;   // selected (or all) databases the backup lacks
  double seconds = 0;
  RunMetrics metrics;  // the databases' added up (AddDatabaseMetrics)

  size_t failed() const;
  bool partial() const { return failed() > 0 || !not_in_backup.empty(); }
};

// An error when nothing could be restored (bad input, refused, globals failed, stopped);
// otherwise the outcome of every database.
Result<ClusterRestoreResult> RunClusterRestore(const ClusterRestoreOptions& options);

}  // namespace dbb::engine
