// The backup manifest (docs/FORMAT.md, format version 2): what a backup directory holds, written
// last. A directory without manifest.json is not a backup (an interrupted run, or one still
// running).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "pg/catalog.h"
#include "pg/database_props.h"

namespace dbb::engine {

inline constexpr int kFormatVersion = 2;
// Version 1 (no chunks, no relation list) is still read: restored whole, not by --table.
inline constexpr int kOldestFormatVersion = 1;
inline constexpr const char* kManifestName = "manifest.json";
inline constexpr const char* kSchemaName = "schema.dump";
inline constexpr const char* kDataDirName = "data";

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
  pg::DatabaseProps properties;  // ALTER DATABASE ... SET settings and comment
  std::string started_at;        // UTC, ISO 8601
  std::string finished_at;       // UTC, ISO 8601
  double duration_s = 0;
  bool consistent = true;  // every table read from one exported snapshot
  std::string snapshot;
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
  std::vector<pg::MatViewInfo> matviews;    // refresh order
  uint64_t large_objects_not_included = 0;  // large objects the database had (format version 1
                                            // does not carry them)

  uint64_t rows() const;
  uint64_t raw_bytes() const;
  uint64_t stored_bytes() const;
};

std::string ToJson(const Manifest& manifest);
// kCorrupt naming the field when the text is not a manifest this version understands;
// kUnsupported for a newer format_version.
Result<Manifest> ParseManifest(const std::string& json);

// Writes DIR/manifest.json atomically: temp file (0600), fsync, rename, directory fsync.
Status WriteManifest(const std::string& dir, const Manifest& manifest);
// Reads DIR/manifest.json. A missing manifest is kCorrupt: "DIR: no manifest.json: not a complete
// backup (interrupted, or still running)".
Result<Manifest> ReadManifest(const std::string& dir);

// Every file the manifest names is in `dir` with its recorded size (kCorrupt naming the first
// that is not). Contents are checked where they are read (gzip CRCs, row counts) and by verify.
Status CheckFilesPresent(const std::string& dir, const Manifest& manifest);
// The same for the schema archive and the files of `tables` only.
Status CheckFilesPresent(const std::string& dir, const Manifest& manifest,
                         const std::vector<const TableEntry*>& tables);

}  // namespace dbb::engine
