// `backup single`: one database, one point in time, into a new backup directory.
//
//   coordinator connection: BEGIN REPEATABLE READ READ ONLY; export snapshot; read catalog;
//                           LOCK tables ACCESS SHARE; hold it all until the manifest is written
//   pg_dump --schema-only --snapshot  -> DIR/schema.dump          (a thread, alongside the data)
//   `jobs` data connections (snapshot imported) take tables largest first:
//     COPY (cols) TO STDOUT (FORMAT binary) -> page pipeline -> DIR/data/NNNNN.gz
//   DIR/manifest.json, written last and atomically
//
// On any failure or stop request the workers stop, no manifest is written and the files this run
// created are removed, so nothing in DIR looks like a backup.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "common/stop.h"
#include "compress/pipeline.h"
#include "engine/manifest.h"
#include "pg/connection.h"

namespace dbb::engine {

struct BackupOptions {
  pg::ConnParams conn;
  std::string dir;                     // must not exist, or be an empty directory
  int jobs = 2;                        // data connections
  uint64_t lock_wait_timeout_ms = 0;   // 0 = wait forever for each table's ACCESS SHARE lock
  compress::PipelineOptions pipeline;  // max_outputs is set to `jobs`
  StopSource* stop = nullptr;          // required
};

struct BackupResult {
  Manifest manifest;
  std::string io;  // how data files were written ("io_uring, O_DIRECT")
  uint64_t pipeline_memory_bytes = 0;
};

Result<BackupResult> RunBackup(const BackupOptions& options);

// "2026-11-27T06:41:05Z"
std::string UtcNow();

}  // namespace dbb::engine
