// Large objects (pg_largeobject_metadata, pg_largeobject): listed with their sizes and metadata,
// read in pieces, created with a given OID, owner, ACL and comment.
//
// Reading runs inside the caller's transaction and so sees its snapshot (a backup's imported
// one): objects created after it are not listed, and their sizes and contents are those of the
// snapshot. Contents travel as binary query results (lo_get, the SQL form of lo_read), never
// hex-encoded, in pieces the caller sizes: no object is ever held whole unless the caller asks
// for a batch of small ones.
//
// Needs SELECT on each object (as pg_dump does), or lo_compat_privileges; a missing privilege is
// the server's "permission denied for large object N".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "pg/connection.h"
#include "pg/grant.h"

namespace dbb::pg {

struct LargeObject {
  uint32_t oid = 0;
  uint64_t size = 0;  // bytes
  std::string owner;
  // nullopt: the default ACL (the owner may read and write, nobody else). Privileges: SELECT,
  // UPDATE.
  std::optional<std::vector<Grant>> acl;
  std::optional<std::string> comment;
  bool operator==(const LargeObject&) const = default;
};

// Objects with `after_oid` < oid <= `last_oid`, ascending, at most `limit`. Sizes always;
// owner, ACL and comment with `metadata`. One query; each object is opened and closed in it.
struct ListRange {
  uint32_t after_oid = 0;
  uint32_t last_oid = UINT32_MAX;
  size_t limit = 1000;
  bool metadata = true;
};
Result<std::vector<LargeObject>> ListLargeObjects(Connection& conn, const ListRange& range);

// Receives an object's bytes: a whole small object, or one piece of a large one.
using ContentSink =
    std::function<Status(const LargeObject& object, std::span<const std::byte> bytes)>;

// The whole contents of `objects` in one query (the result holds them all: the caller keeps
// their total small), passed to `sink` in the given order. kCorrupt when an object's length is
// not its listed size (it cannot change under a snapshot).
Status ReadSmallObjects(Connection& conn, std::span<const LargeObject> objects,
                        const ContentSink& sink);
// One object's contents in pieces of `piece_bytes`, one query each, in order.
Status ReadLargeObject(Connection& conn, const LargeObject& object, size_t piece_bytes,
                       const ContentSink& sink);

// Small objects to create in one query. OIDs and contents are laid out as the query's binary
// array parameters while they are added, so a batch holds each content once.
class NewObjectBatch {
 public:
  NewObjectBatch() { Clear(); }
  // Starts the next object; exactly `size` bytes (under 1 GiB) follow through Append.
  void Begin(uint32_t oid, uint64_t size);
  void Append(std::span<const std::byte> bytes);
  size_t objects() const { return objects_; }
  uint64_t content_bytes() const { return content_bytes_; }
  void Clear();

 private:
  friend Status CreateSmallObjects(Connection& conn, NewObjectBatch& batch);
  std::string oids_;      // oid[] in array_recv's format; the count is set when sent
  std::string contents_;  // bytea[], the same
  size_t objects_ = 0;
  uint64_t content_bytes_ = 0;
  uint32_t first_oid_ = 0;
  uint32_t last_oid_ = 0;
};

// Creates the batch's objects (which must not exist), in one query.
Status CreateSmallObjects(Connection& conn, NewObjectBatch& batch);
// Creates one empty object; WriteLargeObject then writes its contents piece by piece.
Status CreateLargeObject(Connection& conn, uint32_t oid);
Status WriteLargeObject(Connection& conn, uint32_t oid, uint64_t offset,
                        std::span<const std::byte> bytes);
// Sets the owner, ACL and comment of `objects` (existing), in one round trip. Statements are
// built from the names (quoted here), never taken as SQL text from a backup.
Status ApplyLargeObjectMetadata(Connection& conn, std::span<const LargeObject> objects);

// The SQL that ApplyLargeObjectMetadata sends for one object ("" when it has the defaults and
// is owned by `current_user`).
std::string LargeObjectMetadataSql(const Connection& conn, const LargeObject& object,
                                   const std::string& current_user);

}  // namespace dbb::pg
