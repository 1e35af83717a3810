// The checks of `dbbackup verify` (verify.h), one file or one directory of external contents
// each, run on the verify threads (engine-internal). Every check reports what it finds to the
// shared Findings and returns nothing: a damaged file is a finding, not an error of the run.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/manifest.h"
#include "engine/verify.h"

namespace dbb::engine::verify_internal {

// What the checking threads share. Thread-safe.
class Findings {
 public:
  explicit Findings(const VerifyOptions& options) : options_(options) {}

  const VerifyOptions& options() const { return options_; }
  bool quick() const { return options_.quick; }
  bool stopped() const { return options_.stop != nullptr && options_.stop->requested(); }

  // `path` relative to the verified directory; `what` without the path.
  void Problem(const std::string& path, const std::string& what);
  // True the first time for `path`: a content file that many objects share is reported once.
  bool FirstReport(const std::string& path);
  void BytesRead(uint64_t bytes);
  // A file is checked: its bytes read, inflated, rows and large objects counted.
  void FileDone(uint64_t stored_bytes, uint64_t raw_bytes, uint64_t rows, uint64_t objects);
  void AddTotals(uint64_t files, uint64_t bytes);  // planned: for the progress line

  std::vector<VerifyProblem> problems() const;  // sorted by path
  uint64_t files() const { return files_.load(); }
  uint64_t stored_bytes() const { return stored_bytes_.load(); }
  uint64_t raw_bytes() const { return raw_bytes_.load(); }
  uint64_t rows() const { return rows_.load(); }
  uint64_t objects() const { return objects_.load(); }

 private:
  const VerifyOptions& options_;
  mutable std::mutex mu_;
  std::vector<VerifyProblem> problems_;
  std::set<std::string> reported_;
  std::atomic<uint64_t> files_{0};
  std::atomic<uint64_t> stored_bytes_{0};
  std::atomic<uint64_t> raw_bytes_{0};
  std::atomic<uint64_t> rows_{0};
  std::atomic<uint64_t> objects_{0};
};

// One single-database backup being checked: the whole backup, or one database of a cluster.
struct BackupUnderCheck {
  std::string dir;     // where it is
  std::string prefix;  // "" or "databases/0001.shop/": how its problems name its files
  Manifest manifest;
  const char* suffix = ".gz";  // of its data and content files (the compression engine's)
  // External contents found in blobs/, for the totals check after all directories are done.
  std::atomic<uint64_t> content_files{0};
  std::atomic<uint64_t> content_bytes{0};
};

// A file with a size and CRC-32C and nothing to inflate: schema.dump, globals.sql.
// `file` relative to `dir`; problems are named `prefix` + `file`.
void CheckPlainFile(Findings& f, const std::string& dir, const std::string& prefix,
                    const std::string& file, uint64_t bytes, uint32_t crc32c);
// A table's file or chunk: size, CRC-32C; full: members, inflated length, COPY framing, rows.
void CheckTableFile(Findings& f, const BackupUnderCheck& b, const TableEntry& table,
                    const DataFile& file);
// A blob file: size, CRC-32C; full: members, inflated length, the object stream, objects and
// content bytes, OIDs in order and in range, every external content it names present.
void CheckBlobFile(Findings& f, const BackupUnderCheck& b, const BlobFile& file);
// blobs/<sub>/: every entry is a content file named <SHA-256><suffix>, counted into the
// backup's content totals; full: each inflates to a content whose SHA-256 is its name.
void CheckContentDir(Findings& f, BackupUnderCheck& b, const std::string& sub);

// `message` without a leading "<path>: " (the errors of the io layer name the absolute path;
// a problem names the file relative to the verified directory).
std::string WithoutPath(const std::string& message, const std::string& path);

}  // namespace dbb::engine::verify_internal
