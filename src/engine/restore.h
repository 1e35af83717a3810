// `restore single`: a backup directory into one database, in pg_restore's order:
//
//   pre-data schema (pg_restore --section=pre-data)
//   `jobs` connections take files largest first (the chunks of a table load concurrently):
//     DIR/data/NNNNN.*.gz -> reader (io_uring) -> inflate -> COPY ... FROM STDIN (FORMAT binary)
//     DIR/data/blobs.NNNN.gz -> large objects, in batches of transactions (blob_restore.h)
//   post-data schema in parallel (pg_restore --section=post-data -j jobs): indexes, constraints,
//   triggers
//   sequence values (setval), then REFRESH of the populated materialized views, in order
//
// The target must be empty of user objects (or is created with `create`); a non-empty target is
// refused before anything is changed. Row counts are checked against the manifest.
//
// With a selection (options.filter, or a backup that was made with one), the schema archive's
// table of contents is filtered (pg_restore --list, toc_list.h) to the selected relations and what
// they need, and only their data files are read.
#pragma once

#include <cstdint>
#include <string>

#include "common/progress.h"
#include "common/status.h"
#include "common/stop.h"
#include "engine/manifest.h"
#include "engine/run_state.h"
#include "io/file_reader.h"
#include "pg/connection.h"

namespace dbb::engine {

struct RestoreOptions {
  std::string dir;
  pg::ConnParams conn;  // the target database
  // CREATE DATABASE first (connecting to `maintenance_db`), with the source's encoding, locale
  // and default tablespace; its owner, ACL, settings and comment are applied after the load.
  bool create = false;
  // Apply the database's own properties (pg/database_props.h) to a target that was not created
  // here (an empty database of a cluster restore: postgres, template1).
  bool apply_properties = false;
  std::string maintenance_db = "postgres";
  int jobs = 2;
  // Restore only these relations (with their indexes, constraints, triggers, owned sequences and
  // the schema objects they need); default: everything in the backup.
  pg::RelationFilter filter;
  bool blobs = true;  // restore the backup's large objects (not with a filter, as pg_restore)
  io::ReaderOptions reader;
  StopSource* stop = nullptr;  // required
  // Where the run counts its work for a display (optional): the phase, the files planned (their
  // COPY bytes) and done, the bytes loaded, the files in flight.
  Progress* progress = nullptr;
  // Set when this restore is one database of a cluster run sharing `progress`.
  ProgressPart progress_part;
};

struct RestoreResult {
  Manifest manifest;
  std::string database;
  size_t tables = 0;                // whose data was loaded
  size_t sequences = 0;             // set
  size_t matviews = 0;              // refreshed
  uint64_t large_objects = 0;       // created
  uint64_t large_object_bytes = 0;  // their contents
  uint64_t rows = 0;
  uint64_t raw_bytes = 0;  // COPY bytes loaded
  double seconds = 0;
  // raw_bytes: COPY bytes and large-object contents loaded; stored_bytes: the backup files read;
  // the slowest tables by load time.
  RunMetrics metrics;
};

Result<RestoreResult> RunRestore(const RestoreOptions& options);

}  // namespace dbb::engine
