// `backup single`: one database, one point in time, into a new backup directory.
//
//   coordinator connection: BEGIN REPEATABLE READ READ ONLY; export snapshot; read catalog;
//                           LOCK tables ACCESS SHARE; hold it all until the manifest is written
//   pg_dump --schema-only --snapshot  -> DIR/schema.dump          (a thread, alongside the data)
//   `jobs` data connections (snapshot imported) take work units largest first, across tables: a
//   whole table, or a chunk (a block range) of a table larger than `chunk_size`:
//     COPY (cols) TO STDOUT (FORMAT binary) -> page pipeline -> DIR/data/NNNNN.schema.table.gz
//     COPY (SELECT cols FROM ONLY t WHERE ctid >= '(a,0)' AND ctid < '(b,0)') TO STDOUT ...
//                                          -> DIR/data/NNNNN.schema.table.KKKK.gz
//   large objects, in units of consecutive OIDs on the same connections (blob_backup.h):
//                                          -> DIR/data/blobs.NNNN.gz (+ DIR/blobs/ external)
//   DIR/manifest.json, written last and atomically
//
// DIR/backup.journal (journal.h) records the plan and each finished file as the run goes. On any
// failure or stop request the workers stop and no manifest is written, so nothing in DIR looks
// like a backup: unfinished files are removed; finished ones stay with the journal when there
// are any, for `resume` (resume.h) to keep, else everything the run created goes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/progress.h"
#include "common/status.h"
#include "common/stop.h"
#include "compress/pipeline.h"
#include "engine/manifest.h"
#include "engine/run_state.h"
#include "pg/connection.h"

namespace dbb::engine {

// --chunk-size auto: a quarter of each connection's share of the data, so that the largest tables
// are spread over every connection and the last unit is short; within these bounds (a chunk costs
// a COPY and a file; a table under the lower bound is never split).
inline constexpr uint64_t kMaxAutoChunkSize = 1ull << 30;   // 1 GiB
inline constexpr uint64_t kMinAutoChunkSize = 64ull << 20;  // 64 MiB

struct BackupOptions {
  pg::ConnParams conn;
  std::string dir;                    // must not exist, or be an empty directory
  int jobs = 2;                       // data connections
  uint64_t lock_wait_timeout_ms = 0;  // 0 = wait forever for each table's ACCESS SHARE lock
  // Split tables larger than this (heap + TOAST); 0 = never; nullopt = auto (above).
  std::optional<uint64_t> chunk_size;
  pg::RelationFilter filter;  // the relations to back up (default: all)
  // Large objects: backed up unless `blobs` is false or a filter selects tables (as pg_dump).
  bool blobs = true;
  BlobMode blob_mode = BlobMode::kInline;
  compress::PipelineOptions pipeline;  // max_outputs is set to `jobs`
  // A pipeline shared with other backups running at the same time (a cluster backup's
  // databases), made for all their connections; nullptr: this backup makes its own from
  // `pipeline`.
  compress::Pipeline* shared_pipeline = nullptr;
  // A data connection lost under a file (the server ended the session, the network failed) is
  // replaced and the file copied again under the same snapshot, at most this many times per file
  // (connection_workers.h RetryPolicy); 0: a lost connection fails the backup.
  int retries = 3;
  // `dir` may hold an interrupted backup of the same database and options (a journal): its
  // finished files are kept and the rest is copied in a new snapshot. Without an interrupted
  // backup there, a new one is made as usual.
  bool resume = false;
  // Start even when the estimated size exceeds the free space (space_check.h).
  bool force = false;
  StopSource* stop = nullptr;  // required
  // Where the run counts its work for a display (optional): the phase, the files planned (their
  // relation sizes) and done, the COPY bytes read, the files in flight.
  Progress* progress = nullptr;
  // Set when this backup is one database of a cluster run sharing `progress`.
  ProgressPart progress_part;
};

// Where the data phase's time went, in seconds summed over threads.
struct BackupTimes {
  double copy_s = 0;    // connections in COPY
  double append_s = 0;  // of which handing bytes to the pipeline (the rest: waiting for the
                        // server and libpq)
  compress::PipelineTimes pipeline;
};

struct BackupResult {
  Manifest manifest;
  std::string io;  // how data files were written ("io_uring, O_DIRECT")
  uint64_t pipeline_memory_bytes = 0;
  BackupTimes times;
};

Result<BackupResult> RunBackup(const BackupOptions& options);

// The pipeline a backup over `connections` data connections needs (each holds one output open,
// two with external large objects); files are not fsynced one by one (one syncfs at the end).
compress::PipelineOptions BackupPipelineOptions(const compress::PipelineOptions& options,
                                                int connections, bool external_blobs);

// A name as a file name part: letters, digits, '_' and '-' kept, anything else '_', cut at 40
// bytes ("public.orders" -> "public_orders"). A number in front keeps names unique.
std::string FileNamePart(const std::string& name);

// CRC-32C of a whole file, and its size in `bytes` (for the manifests).
Result<uint32_t> FileCrc32c(const std::string& path, uint64_t* bytes);

}  // namespace dbb::engine
