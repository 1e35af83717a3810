// The in-progress journal of a single-database backup: DIR/backup.journal, one JSON object per
// line, appended while the backup runs and removed once manifest.json is written. It is what lets
// `backup --resume` complete an interrupted backup (docs/FORMAT.md, "Resuming"):
//
//   {"journal": 1, "database", "compression", "selection", "large_objects"}   who the backup is
//   {"run": N, "snapshot", "started_at"}                                       each run, then
//   {"plan": [{oid, schema, name, columns, binary, files: [{file, blocks}]}]}  its tables' files
//   {"done": {file entry as in the manifest}, "run": N}                        each finished file
//
// A "done" line is appended after its file is renamed from .partial; neither is fsynced (one
// syncfs before the manifest), so a resumed run trusts a file only when its size and CRC-32C
// still match the line. A crash can tear the last line; the reader drops it and a resumed run
// cuts it off before appending.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/manifest.h"
#include "io/unique_fd.h"

namespace dbb::engine {

inline constexpr const char* kJournalName = "backup.journal";

// What must not change between the runs of one backup: a resumed run with other options would
// mix incompatible files in one manifest.
struct JournalIdentity {
  std::string database;
  std::string compression;    // "zstd level 3"
  std::string selection;      // Manifest::selection
  std::string large_objects;  // "inline", "external" or "none"

  bool operator==(const JournalIdentity&) const = default;
};

// One table's planned files (names and block ranges), as a run laid them out.
struct PlannedTable {
  uint32_t oid = 0;
  std::string schema;
  std::string name;
  std::vector<std::string> columns;
  bool binary = true;
  std::vector<DataFile> files;  // file and blocks only
};

struct JournalRun {
  int run = 0;  // 1, 2, ...
  std::string snapshot;
  std::string started_at;
};

// A finished file as its run recorded it.
struct DoneFile {
  DataFile file;
  int run = 0;
};

struct Journal {
  JournalIdentity identity;
  std::vector<JournalRun> runs;
  std::vector<PlannedTable> plan;        // the last run's
  std::map<std::string, DoneFile> done;  // by file name; a later line wins
  uint64_t valid_bytes = 0;              // up to the end of the last whole line
};

// Reads DIR/backup.journal. kCorrupt naming the line when a line other than the last does not
// parse (the last may be torn by a crash and is dropped).
Result<Journal> ReadJournal(const std::string& dir);

// Appends to DIR/backup.journal. Thread-safe: Done is called by every data connection.
class JournalWriter {
 public:
  // Creates the journal with its identity line, or (resume) opens the existing one to append.
  static Result<std::unique_ptr<JournalWriter>> Create(const std::string& dir,
                                                       const JournalIdentity& identity);
  // `journal` is what ReadJournal read: a torn last line is cut off first.
  static Result<std::unique_ptr<JournalWriter>> Append(const std::string& dir,
                                                       const Journal& journal);

  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  Status BeginRun(const JournalRun& run, const std::vector<PlannedTable>& plan);
  Status Done(const DataFile& file, int run);

 private:
  JournalWriter(std::string path, io::UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  Status AppendLine(const std::string& line);

  const std::string path_;
  io::UniqueFd fd_;
  std::mutex mu_;
};

}  // namespace dbb::engine
