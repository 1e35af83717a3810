// The manifest of a whole-cluster backup (docs/FORMAT.md, "Cluster backups"): DIR/cluster.json,
// written last, lists the globals file, the tablespaces and every database with where its own
// backup is (a complete single-database backup directory under DIR/databases/) or why it is
// missing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/manifest.h"
#include "pg/cluster.h"

namespace dbb::engine {

inline constexpr const char* kClusterManifestName = "cluster.json";
inline constexpr const char* kGlobalsName = "globals.sql";
inline constexpr const char* kDatabasesDirName = "databases";

// What became of one database of the cluster.
enum class DatabaseStatus { kComplete, kFailed, kTimedOut, kNotStarted };
const char* DatabaseStatusName(DatabaseStatus status);  // "complete", "timed out", ...

struct ClusterDatabase {
  std::string name;
  DatabaseStatus status = DatabaseStatus::kNotStarted;
  std::string dir;    // relative to the cluster directory: "databases/0001.pagila"; "" if missing
  std::string error;  // why it is missing
  // Of its backup (complete ones): for `list` without reading every manifest.
  size_t tables = 0;
  uint64_t rows = 0;
  uint64_t raw_bytes = 0;
  uint64_t stored_bytes = 0;
  double duration_s = 0;
  // This run's, in memory only: the database's own manifest.json records it.
  RunMetrics metrics;
};

struct ClusterManifest {
  int format_version = kFormatVersion;
  std::string dbbackup_version;
  std::string server_version;
  int server_version_num = 0;
  std::string started_at;
  std::string finished_at;
  double duration_s = 0;
  struct {
    std::string file = kGlobalsName;
    uint64_t bytes = 0;
    uint32_t crc32c = 0;
    bool role_passwords = true;
  } globals;
  std::vector<pg::TablespaceInfo> tablespaces;
  std::vector<ClusterDatabase> databases;  // largest first
  std::vector<std::string> excluded;       // left out by --exclude-database
  // The whole run: the databases' sizes and data added up, their slowest tables ("db: table"),
  // errors recovered from plus the databases that failed.
  RunMetrics metrics;

  // Some database is not in the backup.
  bool partial() const;
  size_t missing() const;
  uint64_t raw_bytes() const;
  uint64_t stored_bytes() const;  // globals and every database's files
};

std::string ToJson(const ClusterManifest& manifest);
Result<ClusterManifest> ParseClusterManifest(const std::string& json);

// DIR/cluster.json, atomically (as WriteManifest).
Status WriteClusterManifest(const std::string& dir, const ClusterManifest& manifest);
Result<ClusterManifest> ReadClusterManifest(const std::string& dir);
// DIR holds a cluster.json (a cluster backup, complete or partial).
bool IsClusterBackup(const std::string& dir);

}  // namespace dbb::engine
