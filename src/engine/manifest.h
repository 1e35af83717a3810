// The backup manifest (docs/FORMAT.md, format version 5): what a backup directory holds, written
// last. A directory without manifest.json is not a backup (an interrupted run, or one still
// running).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/run_metrics.h"
#include "pg/catalog.h"
#include "pg/database_props.h"

namespace dbb::engine {

inline constexpr int kFormatVersion = 5;
// Version 1 (no chunks, no relation list) is still read: restored whole, not by --table.
// Versions 1 and 2 hold no large objects; versions before 4 no database owner, ACL, tablespace
// or role settings (database_properties); versions before 5 no checksum of their own
// (manifest_sha256, sealed_json.h), which ReadManifest checks from version 5 on.
inline constexpr int kOldestFormatVersion = 1;
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kSchemaName = "schema.dump";
inline constexpr const char* kDataDirName = "data";
// External large-object contents: blobs/<2 hex digits>/<SHA-256 hex>.gz|zst.
inline constexpr const char* kBlobContentDirName = "blobs";

// One compressed COPY stream: a whole table, or one chunk of a table split by block ranges.
struct DataFile {
  std::string file;  // relative to the backup directory: "data/00001.public.orders.0002.gz"
  std::optional<pg::BlockRange> blocks;  // a chunk: the heap blocks it holds
  uint64_t rows = 0;
  uint64_t raw_bytes = 0;     // COPY stream bytes
  uint64_t stored_bytes = 0;  // file bytes
  uint64_t members = 0;       // gzip members / zstd frames
  uint32_t crc32c = 0;        // of the file's bytes
  double seconds = 0;         // time spent copying it
  size_t snapshot = 0;        // index into Manifest::snapshots: the snapshot it was read in
};

// A snapshot that some of a backup's data was read in.
struct SnapshotInfo {
  std::string snapshot;    // the exported snapshot's id (informative)
  std::string started_at;  // UTC, ISO 8601: when the run that exported it began
};

struct TableEntry {
  uint32_t oid = 0;  // in the source database (informative)
  std::string schema;
  std::string name;
  bool partition = false;
  bool unlogged = false;
  std::vector<std::string> columns;  // the COPY column list
  bool binary = true;                // COPY format: binary, or text when a type lacks binary I/O
  std::string copy_from;             // the statement that loads each of `files` (FORMAT.md)
  std::vector<DataFile> files;       // in block order: chunk 1, 2, ...

  double seconds() const;  // of all files (chunks run in parallel: more than wall time)
  uint64_t rows() const;
  uint64_t raw_bytes() const;
  uint64_t stored_bytes() const;
};

// " (chunk 3 of 8)" for file `index` (from 0) of a table in `count` files; "" for a table in one.
std::string ChunkSuffix(size_t index, size_t count);

// How large objects are stored: inline (contents in the blob files, with the metadata) or
// external (one file per distinct content, named by its SHA-256; the blob files hold the
// metadata and the hashes).
enum class BlobMode { kInline, kExternal };
const char* BlobModeName(BlobMode mode);  // "inline", "external"

// One file of large objects: those with first_oid <= oid <= last_oid, in OID order
// (docs/FORMAT.md, "Large objects").
struct BlobFile {
  DataFile data;  // data.rows: the objects in the file
  uint32_t first_oid = 0;
  uint32_t last_oid = 0;
  uint64_t bytes = 0;  // the objects' contents
};

struct LargeObjects {
  bool included = false;  // false: the database had `count` objects that are not in the backup
  BlobMode mode = BlobMode::kInline;
  uint64_t count = 0;
  uint64_t bytes = 0;                 // contents, all objects
  uint64_t distinct = 0;              // distinct contents stored (inline: count)
  uint64_t saved_bytes = 0;           // external: contents not stored again (duplicates)
  uint64_t content_stored_bytes = 0;  // external: the content files' bytes
  std::vector<BlobFile> files;
};

// "20000 objects, 31.2 MiB, inline in 5 files", or for external
// "20000 objects, 31.2 MiB; 19000 distinct contents in blobs/ (2.1 MiB stored once for
// several objects)".
std::string DescribeLargeObjects(const LargeObjects& large_objects);

struct Manifest {
  int format_version = kFormatVersion;
  bool complete = false;
  std::string dbbackup_version;
  std::string database;
  std::string server_version;  // "15.4 (Debian 15.4-1)"
  int server_version_num = 0;  // 150004
  std::string encoding;        // server_encoding
  std::string lc_collate;
  std::string lc_ctype;
  pg::DatabaseProps properties;  // owner, ACL, settings, comment... (database_props.h)
  std::string started_at;        // UTC, ISO 8601
  std::string finished_at;       // UTC, ISO 8601
  double duration_s = 0;
  bool consistent = true;  // every table read from one exported snapshot
  std::string snapshot;    // the last run's: schema, sequences and large objects are read in it
  // Version 5: the snapshots the data files were read in, oldest first (DataFile::snapshot):
  // one, unless `backup --resume` kept files of an interrupted run (then `consistent` is false).
  std::vector<SnapshotInfo> snapshots;
  struct {
    std::string engine;  // isal, libdeflate, zstd
    int level = 0;
    uint64_t page_bytes = 0;
  } compression;
  struct {
    std::string file = kSchemaName;
    uint64_t bytes = 0;
    uint32_t crc32c = 0;
  } schema;
  // What the backup selected ("--table 'orders*'"), "" for the whole database. The schema
  // archive always holds the whole database's schema; restore takes the selected part.
  std::string selection;
  std::vector<pg::RelationInfo> relations;  // every relation the backup selected (version 2)
  std::vector<TableEntry> tables;
  std::vector<pg::SequenceInfo> sequences;
  std::vector<pg::MatViewInfo> matviews;  // refresh order
  LargeObjects large_objects;
  // What the run measured: informative, not read by restore or verify (all zero in manifests
  // written before it was recorded).
  RunMetrics metrics;

  uint64_t rows() const;
  uint64_t raw_bytes() const;     // COPY data and large objects' contents
  uint64_t stored_bytes() const;  // every file
};

// Without the seal (manifest_sha256, sealed_json.h), which WriteManifest adds.
// For a backup resumed over several runs (consistent is false): which tables came from which
// snapshot: "snapshot 1 of 2 (run started 2026-11-27T19:51:22Z): public.big (3 of 40 files);
// snapshot 2 of 2 (...): everything else". "" for a consistent backup.
std::string DescribeSnapshots(const Manifest& manifest);

std::string ToJson(const Manifest& manifest);
// kCorrupt naming the field when the text is not a manifest this version understands;
// kUnsupported for a newer format_version.
Result<Manifest> ParseManifest(const std::string& json);

// Writes DIR/manifest.json, sealed, atomically: temp file (0600), fsync, rename, directory
// fsync.
Status WriteManifest(const std::string& dir, const Manifest& manifest);
// Reads DIR/manifest.json and checks its seal (required from format 5 on: kCorrupt "checksum
// mismatch" otherwise). A missing manifest is kCorrupt: "DIR: no manifest.json: not a complete
// backup (interrupted, or still running)".
Result<Manifest> ReadManifest(const std::string& dir);

// Every file the manifest names is in `dir` with its recorded size (kCorrupt naming the first
// that is not). Contents are checked where they are read (gzip CRCs, row counts) and by verify.
Status CheckFilesPresent(const std::string& dir, const Manifest& manifest);
// The same for the schema archive, the files of `tables`, and with `blobs` the large-object files
// (external contents are checked when they are read).
Status CheckFilesPresent(const std::string& dir, const Manifest& manifest,
                         const std::vector<const TableEntry*>& tables, bool blobs);

}  // namespace dbb::engine
