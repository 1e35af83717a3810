// Large objects in a restore: each blob file is one task on a data connection. Its objects are
// recreated with their original OIDs, owners, ACLs and comments, in transactions of at most
// `objects_per_transaction` objects (each object takes a lock until its transaction ends, so
// one transaction for 100k objects would exhaust max_locks_per_transaction; one per object would
// be slow). Small objects are created many per query; larger ones piece by piece, never held
// whole.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "common/stop.h"
#include "engine/manifest.h"
#include "io/file_reader.h"
#include "pg/connection.h"

namespace dbb::engine {

struct BlobLoadOptions {
  std::string dir;             // the backup directory
  const char* suffix = ".gz";  // of external content files (the backup's engine)
  uint64_t objects_per_transaction = 1000;
  size_t piece_bytes = 1 << 20;  // lo_put size for large objects
  io::ReaderOptions reader;
  StopSource* stop = nullptr;  // required
};

// At most 1000 objects per transaction, and less when the server's lock table is small: half of
// it (max_locks_per_transaction x (max_connections + max_prepared_transactions)) shared by
// `jobs` connections.
Result<uint64_t> ObjectsPerTransaction(pg::Connection& conn, int jobs);

// Thread-safe: one Load per file, concurrently.
class BlobLoader {
 public:
  explicit BlobLoader(BlobLoadOptions options) : o_(std::move(options)) {}

  // Loads the objects of `file` and checks their count and bytes against the manifest.
  Status Load(pg::Connection& conn, const BlobFile& file);

  uint64_t objects() const { return objects_.load(); }
  uint64_t bytes() const { return bytes_.load(); }

 private:
  class FileLoader;

  const BlobLoadOptions o_;
  std::atomic<uint64_t> objects_{0};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace dbb::engine
