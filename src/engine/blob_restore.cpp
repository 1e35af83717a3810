#include "engine/blob_restore.h"

#include <algorithm>
#include <vector>

#include "common/units.h"
#include "compress/decompressor.h"
#include "compress/sha256.h"
#include "engine/blob_stream.h"
#include "io/small_file.h"
#include "pg/large_objects.h"

namespace dbb::engine {
namespace {

// Small objects waiting to be created: at most this much content per query (held once here,
// once more in libpq's output buffer).
constexpr uint64_t kBatchBytes = 4 * kMiB;

}  // namespace

Result<uint64_t> ObjectsPerTransaction(pg::Connection& conn, int jobs) {
  auto r = conn.Query(
      "SELECT current_setting('max_locks_per_transaction')::int8 * "
      "(current_setting('max_connections')::int8 + "
      "current_setting('max_prepared_transactions')::int8)");
  if (!r.ok()) return r.status().WithContext("read the lock table's size");
  const uint64_t locks = static_cast<uint64_t>(r->GetInt64(0, 0));
  return std::clamp<uint64_t>(locks / 2 / static_cast<uint64_t>(std::max(jobs, 1)), 1, 1000);
}

// One blob file: parses its stream and creates the objects, a transaction per batch.
class BlobLoader::FileLoader : public BlobStreamParser::Handler {
 public:
  FileLoader(const BlobLoadOptions& o, pg::Connection& conn) : o_(o), conn_(conn) {}

  Status Begin(const BlobRecord& r) override {
    if (o_.stop->requested()) return Status(StatusCode::kCancelled, "stopped");
    object_ = r.object;
    written_ = 0;
    large_ = object_.size > kSmallObjectBytes;
    if (large_) {
      DBB_RETURN_IF_ERROR(pg::CreateLargeObject(conn_, object_.oid));
    } else {
      batch_.Begin(object_.oid, object_.size);
    }
    if (!r.sha256 || object_.size == 0) return Status::Ok();
    // External: the content comes from its own file, checked against its name.
    const std::string path = o_.dir + "/" + BlobContentPath(compress::ToHex(*r.sha256), o_.suffix);
    compress::Sha256 hash;
    auto sink = [&](std::span<const std::byte> bytes) {
      hash.Update(bytes);
      return Content(bytes);
    };
    Status st;
    if (large_) {
      auto reader = io::OpenReader(path, o_.reader);
      if (!reader.ok()) return reader.status();
      st = compress::InflateAll([&reader] { return reader.value()->Next(); }, sink);
    } else {
      // Small: one read, no io_uring ring per file.
      auto file = io::ReadSmallFile(path, kSmallObjectBytes + 64 * 1024);
      if (!file.ok()) return file.status();
      bool given = false;
      st = compress::InflateAll(
          [&]() -> Result<std::span<const std::byte>> {
            if (given) return std::span<const std::byte>();
            given = true;
            return std::as_bytes(std::span<const char>(file->data(), file->size()));
          },
          sink);
    }
    if (st.ok() && hash.Finish() != *r.sha256) {
      st = Status(StatusCode::kCorrupt, "its content does not match its SHA-256 name");
    }
    if (st.ok() && written_ != object_.size) {
      st = Status(StatusCode::kCorrupt, "holds " + std::to_string(written_) +
                                            " bytes, large object " + std::to_string(object_.oid) +
                                            " had " + std::to_string(object_.size));
    }
    return st.WithContext(path);
  }

  Status Content(std::span<const std::byte> bytes) override {
    if (written_ + bytes.size() > object_.size) {
      return Status(StatusCode::kCorrupt,
                    "large object " + std::to_string(object_.oid) + ": more content than its size");
    }
    if (!large_) {
      batch_.Append(bytes);
      written_ += bytes.size();
      return Status::Ok();
    }
    // Large: written in pieces of piece_bytes, whatever pieces the inflater hands over.
    while (!bytes.empty()) {
      const size_t take = std::min(bytes.size(), o_.piece_bytes - content_.size());
      content_.append(reinterpret_cast<const char*>(bytes.data()), take);
      bytes = bytes.subspan(take);
      written_ += take;
      if (content_.size() == o_.piece_bytes || written_ == object_.size) {
        DBB_RETURN_IF_ERROR(FlushPiece());
      }
    }
    return Status::Ok();
  }

  Status End() override {
    if (written_ != object_.size) {
      return Status(StatusCode::kCorrupt, "large object " + std::to_string(object_.oid) +
                                              ": content ends after " + std::to_string(written_) +
                                              " of " + std::to_string(object_.size) + " bytes");
    }
    bytes_ += object_.size;
    metadata_.push_back(std::move(object_));
    if (metadata_.size() >= o_.objects_per_transaction || batch_.content_bytes() >= kBatchBytes) {
      return Commit();
    }
    return Status::Ok();
  }

  // Creates the batch's small objects, sets every batch object's metadata, commits, and opens
  // the next transaction.
  Status Commit() {
    DBB_RETURN_IF_ERROR(pg::CreateSmallObjects(conn_, batch_));
    DBB_RETURN_IF_ERROR(pg::ApplyLargeObjectMetadata(conn_, metadata_));
    DBB_RETURN_IF_ERROR(conn_.Exec("COMMIT; BEGIN"));
    batch_.Clear();
    metadata_.clear();
    return Status::Ok();
  }

  uint64_t bytes() const { return bytes_; }

 private:
  Status FlushPiece() {
    DBB_RETURN_IF_ERROR(pg::WriteLargeObject(
        conn_, object_.oid, written_ - content_.size(),
        std::as_bytes(std::span<const char>(content_.data(), content_.size()))));
    content_.clear();
    return Status::Ok();
  }

  const BlobLoadOptions& o_;
  pg::Connection& conn_;
  pg::LargeObject object_;  // the one being read
  bool large_ = false;
  uint64_t written_ = 0;  // of its content
  std::string content_;   // large: the piece being filled
  // The batch of the open transaction: small objects to create, every object's metadata.
  pg::NewObjectBatch batch_;
  std::vector<pg::LargeObject> metadata_;
  uint64_t bytes_ = 0;
};

Status BlobLoader::Load(pg::Connection& conn, const BlobFile& file) {
  const std::string path = o_.dir + "/" + file.data.file;
  auto reader = io::OpenReader(path, o_.reader);
  if (!reader.ok()) return reader.status();
  FileLoader loader(o_, conn);
  BlobStreamParser parser(&loader);
  Status st = conn.Exec("BEGIN");
  if (st.ok()) {
    st = compress::InflateAll([&reader] { return reader.value()->Next(); },
                              [&parser](std::span<const std::byte> b) { return parser.Feed(b); });
  }
  if (st.ok()) st = parser.Finish();
  if (st.ok()) st = loader.Commit();
  if (st.ok()) st = conn.Exec("COMMIT");
  if (st.ok() && (parser.objects() != file.data.rows || loader.bytes() != file.bytes)) {
    st = Status(StatusCode::kCorrupt,
                "holds " + std::to_string(parser.objects()) + " objects of " +
                    std::to_string(loader.bytes()) + " bytes, the manifest says " +
                    std::to_string(file.data.rows) + " of " + std::to_string(file.bytes));
  }
  if (!st.ok()) {
    (void)conn.Exec("ROLLBACK");
    return st.WithContext("large objects from " + path);
  }
  objects_ += parser.objects();
  bytes_ += loader.bytes();
  return Status::Ok();
}

}  // namespace dbb::engine
