#include "engine/blob_backup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "common/log.h"
#include "common/timing.h"
#include "common/units.h"
#include "compress/codec.h"
#include "compress/sha256.h"
#include "engine/blob_stream.h"
#include "io/small_file.h"
#include "pg/large_objects.h"

namespace dbb::engine {
namespace {

// Objects per listing query: the plan's and each unit's.
constexpr size_t kListBatch = 10000;
// Small objects read in one query: at most this much content.
constexpr uint64_t kSmallBatchBytes = 4 * kMiB;

std::span<const std::byte> AsBytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

std::string BlobFileName(size_t number, const char* suffix) {
  char name[64];
  std::snprintf(name, sizeof name, "%s/blobs.%04zu%s", kDataDirName, number, suffix);
  return name;
}

}  // namespace

Status PlanBlobs(pg::Connection& coordinator, const BlobPlanOptions& o, LargeObjects* l) {
  BlobFile unit;
  auto close_unit = [&] {
    if (unit.data.rows == 0) return;
    unit.data.file = BlobFileName(l->files.size() + 1, o.suffix);
    l->files.push_back(unit);
    unit = {};
  };
  l->count = 0;
  l->bytes = 0;
  uint32_t after = 0;
  for (;;) {
    auto batch = pg::ListLargeObjects(coordinator,
                                      {.after_oid = after, .limit = kListBatch, .metadata = false});
    if (!batch.ok() && batch.status().message().find("42501") != std::string::npos) {
      return Status(batch.status().code(),
                    batch.status().message() +
                        "; back up as a role that may read every large object (SELECT on each, "
                        "or a superuser), or leave them out with --no-blobs");
    }
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    for (const pg::LargeObject& object : batch.value()) {
      if (unit.data.rows > 0 && unit.bytes + object.size > o.unit_bytes) close_unit();
      if (unit.data.rows == 0) unit.first_oid = object.oid;
      unit.last_oid = object.oid;
      ++unit.data.rows;
      unit.bytes += object.size;
      ++l->count;
      l->bytes += object.size;
      if (unit.data.rows >= o.unit_objects || unit.bytes >= o.unit_bytes) close_unit();
    }
    after = batch->back().oid;
  }
  close_unit();
  return Status::Ok();
}

// One unit: the blob file's output, and in external mode each new content's.
class BlobCopier::UnitWriter {
 public:
  // `first_oid` names the unit's file for contents being written: blobs/incoming.<oid>.gz.
  UnitWriter(BlobCopier& copier, pg::Connection& conn, compress::Output& out, uint32_t first_oid)
      : c_(copier),
        conn_(conn),
        out_(out),
        incoming_(c_.dir_ + "/" + kBlobContentDirName + "/incoming." + std::to_string(first_oid) +
                  c_.suffix_) {}

  Status Write(const std::vector<pg::LargeObject>& objects) {
    size_t small_begin = 0;
    uint64_t small_bytes = 0;
    for (size_t i = 0; i < objects.size(); ++i) {
      const pg::LargeObject& o = objects[i];
      if (o.size <= kSmallObjectBytes && small_bytes + o.size <= kSmallBatchBytes) {
        small_bytes += o.size;
        continue;
      }
      DBB_RETURN_IF_ERROR(WriteSmall({objects.data() + small_begin, i - small_begin}));
      small_begin = i;
      small_bytes = o.size;
      if (o.size > kSmallObjectBytes) {
        DBB_RETURN_IF_ERROR(WriteLarge(o));
        small_begin = i + 1;
        small_bytes = 0;
      }
    }
    return WriteSmall({objects.data() + small_begin, objects.size() - small_begin});
  }

  // After the unit's file is closed: its contents count.
  void Commit() {
    c_.distinct_ += distinct_;
    c_.content_stored_bytes_ += stored_bytes_;
    c_.saved_bytes_ += saved_bytes_;
  }

  // After a failure: the contents this try stored stay on disk, uncounted, for the next try of
  // this unit (or another unit with the same content) to find and count.
  void Orphan() {
    std::lock_guard<std::mutex> lock(c_.orphans_mu_);
    for (auto& [hex, stored_bytes] : stored_) c_.orphans_[hex] = stored_bytes;
    stored_.clear();
  }

 private:
  Status WriteSmall(std::span<const pg::LargeObject> group) {
    return pg::ReadSmallObjects(
        conn_, group, [&](const pg::LargeObject& o, std::span<const std::byte> content) -> Status {
          if (c_.mode_ == BlobMode::kInline) {
            DBB_RETURN_IF_ERROR(out_.Append(AsBytes(EncodeBlobHead({.object = o}))));
            return out_.Append(content);
          }
          const compress::Sha256Digest digest = compress::Sha256Of(content);
          DBB_RETURN_IF_ERROR(StoreSmall(digest, content));
          return out_.Append(AsBytes(EncodeBlobHead({.object = o, .sha256 = digest})));
        });
  }

  Status WriteLarge(const pg::LargeObject& o) {
    const size_t piece = c_.pipeline_->options().page_bytes;
    if (c_.mode_ == BlobMode::kInline) {
      DBB_RETURN_IF_ERROR(out_.Append(AsBytes(EncodeBlobHead({.object = o}))));
      return pg::ReadLargeObject(
          conn_, o, piece,
          [this](const pg::LargeObject&, std::span<const std::byte> b) { return out_.Append(b); });
    }
    // The hash is known only at the end: the content goes to a file of its own first.
    auto file = c_.pipeline_->Open(incoming_);
    if (!file.ok()) return file.status();
    compress::Sha256 hash;
    Status st = pg::ReadLargeObject(conn_, o, piece,
                                    [&](const pg::LargeObject&, std::span<const std::byte> b) {
                                      hash.Update(b);
                                      return file.value()->Append(b);
                                    });
    if (!st.ok()) {
      file.value()->Abort();
      return st;
    }
    auto stats = file.value()->Close();
    if (!stats.ok()) return stats.status();
    const compress::Sha256Digest digest = hash.Finish();
    DBB_RETURN_IF_ERROR(Adopt(digest, o.size, stats->stored_bytes));
    return out_.Append(AsBytes(EncodeBlobHead({.object = o, .sha256 = digest})));
  }

  // A small content: compressed here into one member (one frame) and written with plain I/O;
  // a file per object through the pipeline would cost an io_uring ring and a thread hand-off
  // each. O_EXCL decides which of two units storing the same content writes it.
  Status StoreSmall(const compress::Sha256Digest& digest, std::span<const std::byte> content) {
    if (content.empty()) return Status::Ok();  // an empty object needs no file
    if (!compressor_) {
      auto made = compress::MakeCompressor(c_.pipeline_->options().codec);
      if (!made.ok()) return made.status();
      compressor_ = std::move(made.value());
    }
    packed_.resize(compressor_->MaxCompressedBytes(content.size()));
    auto n = compressor_->Compress(content, packed_);
    if (!n.ok()) return n.status();
    const std::string hex = compress::ToHex(digest);
    DBB_RETURN_IF_ERROR(MakeSubdir(hex));
    auto written = io::WriteNewFile(
        c_.dir_ + "/" + BlobContentPath(hex, c_.suffix_),
        std::string_view(reinterpret_cast<const char*>(packed_.data()), n.value()));
    if (!written.ok()) return written.status();
    Count(hex, written.value(), content.size(), n.value());
    return Status::Ok();
  }

  Status MakeSubdir(const std::string& hex) {
    const std::string sub = c_.dir_ + "/" + kBlobContentDirName + "/" + hex.substr(0, 2);
    if (::mkdir(sub.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status::FromErrno(errno, "create " + sub);
    }
    return Status::Ok();
  }

  // A content found in place that a failed try stored is this unit's to count.
  void Count(const std::string& hex, bool stored, uint64_t size, uint64_t stored_bytes) {
    if (!stored) {
      std::lock_guard<std::mutex> lock(c_.orphans_mu_);
      const auto orphan = c_.orphans_.find(hex);
      if (orphan != c_.orphans_.end()) {
        stored = true;
        stored_bytes = orphan->second;
        c_.orphans_.erase(orphan);
      }
    }
    if (stored) {
      ++distinct_;
      stored_bytes_ += stored_bytes;
      stored_.emplace_back(hex, stored_bytes);
    } else {
      saved_bytes_ += size;
    }
  }

  // Gives a large content written to `incoming_` its name, or drops it when another unit stored
  // the same content first (link fails with EEXIST: exactly one wins).
  Status Adopt(const compress::Sha256Digest& digest, uint64_t size, uint64_t stored_bytes) {
    const std::string hex = compress::ToHex(digest);
    DBB_RETURN_IF_ERROR(MakeSubdir(hex));
    const std::string path = c_.dir_ + "/" + BlobContentPath(hex, c_.suffix_);
    const bool linked = ::link(incoming_.c_str(), path.c_str()) == 0;
    if (!linked && errno != EEXIST) {
      return Status::FromErrno(errno, "link " + incoming_ + " to " + path);
    }
    Count(hex, linked, size, stored_bytes);
    if (::unlink(incoming_.c_str()) != 0) return Status::FromErrno(errno, "remove " + incoming_);
    return Status::Ok();
  }

  BlobCopier& c_;
  pg::Connection& conn_;
  compress::Output& out_;
  const std::string incoming_;
  std::unique_ptr<compress::Compressor> compressor_;  // small external contents
  std::vector<std::byte> packed_;
  // This try's counts (Commit) and the contents it stored or claimed, with their stored sizes
  // (Orphan).
  uint64_t distinct_ = 0;
  uint64_t stored_bytes_ = 0;
  uint64_t saved_bytes_ = 0;
  std::vector<std::pair<std::string, uint64_t>> stored_;
};

Status BlobCopier::Prepare() {
  if (mode_ != BlobMode::kExternal) return Status::Ok();
  const std::string path = dir_ + "/" + kBlobContentDirName;
  if (::mkdir(path.c_str(), 0700) != 0) return Status::FromErrno(errno, "create " + path);
  run_->AddCreatedTree(path);
  return Status::Ok();
}

void BlobCopier::Summarize(LargeObjects* l) const {
  l->distinct = mode_ == BlobMode::kInline ? l->count : distinct_.load();
  l->saved_bytes = saved_bytes_.load();
  l->content_stored_bytes = content_stored_bytes_.load();
}

Status BlobCopier::Copy(pg::Connection& conn, BlobFile& file) {
  const SteadyClock::time_point start = SteadyClock::now();
  const std::string what = "large objects " + std::to_string(file.first_oid) + ".." +
                           std::to_string(file.last_oid) + " (" + file.data.file + ")";
  auto out = pipeline_->Open(dir_ + "/" + file.data.file);
  if (!out.ok()) return out.status();
  UnitWriter writer(*this, conn, *out.value(), file.first_oid);
  uint64_t objects = 0;
  uint64_t bytes = 0;
  Status st = out.value()->Append(AsBytes(BlobStreamStart()));
  for (uint32_t after = file.first_oid - 1; st.ok();) {
    if (run_->stop()->requested()) {
      st = Status(StatusCode::kCancelled, "stopped");
      break;
    }
    auto batch = pg::ListLargeObjects(conn, {.after_oid = after,
                                             .last_oid = file.last_oid,
                                             .limit = kListBatch / 10,
                                             .metadata = true});
    if (!batch.ok()) {
      st = batch.status();
      break;
    }
    if (batch->empty()) break;
    for (const pg::LargeObject& o : batch.value()) bytes += o.size;
    objects += batch->size();
    after = batch->back().oid;
    st = writer.Write(batch.value());
  }
  if (st.ok()) st = out.value()->Append(AsBytes(BlobStreamEnd()));
  if (st.ok() && (objects != file.data.rows || bytes != file.bytes)) {
    st = Status(StatusCode::kCorrupt,
                "found " + std::to_string(objects) + " objects of " + std::to_string(bytes) +
                    " bytes, the plan under the same snapshot had " +
                    std::to_string(file.data.rows) + " of " + std::to_string(file.bytes));
  }
  if (!st.ok()) {
    out.value()->Abort();
    writer.Orphan();
    return st.WithContext(what);
  }
  auto stats = out.value()->Close();
  if (!stats.ok()) {
    writer.Orphan();
    return stats.status().WithContext(what);
  }
  writer.Commit();
  file.data.raw_bytes = stats->raw_bytes;
  file.data.stored_bytes = stats->stored_bytes;
  file.data.members = stats->members;
  file.data.crc32c = stats->crc32c;
  file.data.seconds = SecondsSince(start);
  log::Verbose(what + ": " + std::to_string(objects) + " objects, " + FormatBytes(bytes) + " in " +
               std::to_string(file.data.seconds) + " s");
  return Status::Ok();
}

}  // namespace dbb::engine
