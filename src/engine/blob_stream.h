// The large-object stream: what a blob file (data/blobs.NNNN.gz) holds once inflated
// (docs/FORMAT.md, "Large objects"). Integers are big-endian; str = u32 length + bytes.
//
//   "DBBLOBS1"                                          magic, 8 bytes
//   per object, in OID order:
//     u32 head_bytes (> 0), then the head:
//       u32 oid, u64 size, u8 flags (1: ACL present, 2: comment present, 4: content external)
//       str owner
//       [ACL]      u32 n, then n x (str grantee ("" = PUBLIC), str grantor, u8 privilege
//                  (1 SELECT, 2 UPDATE), u8 grantable)
//       [comment]  str
//       [external] 32 bytes: SHA-256 of the content (blobs/<hex[0:2]>/<hex>.<suffix>)
//     inline: `size` bytes of content
//   u32 0                                               the end
//
// The parser takes the stream in pieces of any size and hands contents on in pieces: an object
// is never held whole. It is strict: anything after the end, a stream that stops early, or a
// head that does not parse is kCorrupt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/status.h"
#include "compress/sha256.h"
#include "engine/manifest.h"
#include "pg/large_objects.h"

namespace dbb::engine {

inline constexpr char kBlobStreamMagic[] = "DBBLOBS1";  // 8 bytes, no terminator in the stream
// A head is a few names and a comment; a comment beyond this is not one.
inline constexpr uint32_t kMaxBlobHeadBytes = 64u << 20;

// Objects up to this size are read (and restored) many per query; larger ones piece by piece.
inline constexpr uint64_t kSmallObjectBytes = 256 * 1024;
// For ordering work: an object costs a few round trips, about as long as copying this much data.
inline constexpr uint64_t kBlobObjectCostBytes = 8 * 1024;

// blobs/ab/abcdef...gz: where an external content with this SHA-256 (hex) lives, relative to the
// backup directory.
std::string BlobContentPath(const std::string& sha256_hex, const char* suffix);

struct BlobRecord {
  pg::LargeObject object;
  std::optional<compress::Sha256Digest> sha256;  // external content
};

// The stream's bytes before the first record, a record's head (with its length prefix), and
// the end.
std::string BlobStreamStart();
std::string EncodeBlobHead(const BlobRecord& record);
std::string BlobStreamEnd();

class BlobStreamParser {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // A record's head; inline content follows in Content calls (size bytes in all).
    virtual Status Begin(const BlobRecord& record) = 0;
    virtual Status Content(std::span<const std::byte> bytes) = 0;
    // After the last byte of the object's content (at once for external and empty ones).
    virtual Status End() = 0;
  };

  explicit BlobStreamParser(Handler* handler) : handler_(handler) {}

  Status Feed(std::span<const std::byte> bytes);
  // kCorrupt unless the stream ended exactly at its end marker.
  Status Finish();
  uint64_t objects() const { return objects_; }

 private:
  enum class State { kMagic, kHeadLength, kHead, kContent, kDone };
  Status ParseHead();

  Handler* handler_;
  State state_ = State::kMagic;
  std::string buffer_;      // the magic, a length or a head being collected
  size_t want_ = 8;         // bytes buffer_ must reach
  uint64_t remaining_ = 0;  // content bytes of the current object still to come
  uint64_t objects_ = 0;
};

}  // namespace dbb::engine
