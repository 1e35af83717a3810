#include "pg/large_objects.h"

#include <charconv>

#include "common/check.h"

namespace dbb::pg {
namespace {

// lo_open's INV_READ: reads see the transaction's snapshot.
constexpr const char* kInvRead = "262144";

// ACL entries as one text: per entry "<bytes>:<grantee><bytes>:<grantor><r|w><*|->" (r: SELECT,
// w: UPDATE; *: WITH GRANT OPTION). Length prefixes keep any role name intact. NULL: the
// default ACL; "": every privilege revoked.
constexpr const char* kAclSql =
    "CASE WHEN s.lomacl IS NULL THEN NULL ELSE COALESCE((SELECT pg_catalog.string_agg("
    "pg_catalog.octet_length(e.grantee_name)::text || ':' || e.grantee_name || "
    "pg_catalog.octet_length(e.grantor_name)::text || ':' || e.grantor_name || "
    "CASE a.privilege_type WHEN 'SELECT' THEN 'r' ELSE 'w' END || "
    "CASE WHEN a.is_grantable THEN '*' ELSE '-' END, '') "
    "FROM pg_catalog.aclexplode(s.lomacl) a, LATERAL (SELECT "
    "CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END "
    "AS grantee_name, pg_catalog.pg_get_userbyid(a.grantor)::text AS grantor_name) e), '') END";

uint32_t ParseOid(std::string_view text) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  DBB_CHECK(ec == std::errc() && end == text.data() + text.size());
  return value;
}

// One length-prefixed name of kAclSql's encoding, advancing `in`.
std::optional<std::string> TakeName(std::string_view& in) {
  const size_t colon = in.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  size_t length = 0;
  const auto [end, ec] = std::from_chars(in.data(), in.data() + colon, length);
  if (ec != std::errc() || end != in.data() + colon || in.size() - colon - 1 < length) {
    return std::nullopt;
  }
  std::string name(in.substr(colon + 1, length));
  in.remove_prefix(colon + 1 + length);
  return name;
}

std::vector<Grant> ParseAcl(std::string_view in) {
  std::vector<Grant> grants;
  while (!in.empty()) {
    auto grantee = TakeName(in);
    auto grantor = grantee ? TakeName(in) : std::nullopt;
    DBB_CHECK_MSG(grantor && in.size() >= 2, "unexpected ACL encoding from the ACL query");
    grants.push_back({.grantee = std::move(*grantee),
                      .grantor = std::move(*grantor),
                      .privilege = in[0] == 'r' ? "SELECT" : "UPDATE",
                      .grantable = in[1] == '*'});
    in.remove_prefix(2);
  }
  return grants;
}

template <typename T>
T ReadBigEndian(std::string_view bytes) {
  DBB_CHECK(bytes.size() == sizeof(T));
  T value = 0;
  for (char c : bytes) value = static_cast<T>((value << 8) | static_cast<unsigned char>(c));
  return value;
}

template <typename T>
void AppendBigEndian(std::string& out, T value) {
  for (size_t i = sizeof(T); i-- > 0;) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::span<const std::byte> AsBytes(std::string_view s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

// A one-dimensional array in PostgreSQL's binary format (array_recv): header (dimensions, no
// NULLs, element type, element count, lower bound), then each element as length + bytes.
constexpr size_t kArrayCountOffset = 12;

void StartArray(std::string& out, uint32_t element_type) {
  out.clear();
  AppendBigEndian<int32_t>(out, 1);
  AppendBigEndian<int32_t>(out, 0);
  AppendBigEndian<uint32_t>(out, element_type);
  AppendBigEndian<int32_t>(out, 0);  // the count, set by SetArrayCount
  AppendBigEndian<int32_t>(out, 1);
}

void SetArrayCount(std::string& array, size_t count) {
  std::string n;
  AppendBigEndian<int32_t>(n, static_cast<int32_t>(count));
  array.replace(kArrayCountOffset, n.size(), n);
}

constexpr uint32_t kOidType = 26;
constexpr uint32_t kByteaType = 17;

std::string ObjectName(uint32_t oid) { return "large object " + std::to_string(oid); }

}  // namespace

Result<std::vector<LargeObject>> ListLargeObjects(Connection& conn, const ListRange& range) {
  // The subquery's ORDER BY and LIMIT keep it from being flattened, so each object is opened
  // once, for the rows returned only; its size is where SEEK_END lands.
  std::string sql = "SELECT s.oid, pg_catalog.lo_lseek64(s.fd, 0, 2), pg_catalog.lo_close(s.fd)";
  if (range.metadata) {
    sql += ", pg_catalog.pg_get_userbyid(s.lomowner), " + std::string(kAclSql) +
           ", pg_catalog.obj_description(s.oid, 'pg_largeobject')";
  }
  sql += std::string(" FROM (SELECT m.oid, m.lomowner, m.lomacl, pg_catalog.lo_open(m.oid, ") +
         kInvRead +
         ") AS fd FROM pg_catalog.pg_largeobject_metadata m"
         " WHERE m.oid > $1::pg_catalog.oid AND m.oid <= $2::pg_catalog.oid"
         " ORDER BY m.oid LIMIT $3::pg_catalog.int8) s ORDER BY s.oid";
  auto r = conn.Query(sql, {std::to_string(range.after_oid), std::to_string(range.last_oid),
                            std::to_string(range.limit)});
  if (!r.ok()) return r.status().WithContext("list large objects");
  std::vector<LargeObject> objects;
  objects.reserve(static_cast<size_t>(r->rows()));
  for (int i = 0; i < r->rows(); ++i) {
    LargeObject o{.oid = ParseOid(r->Get(i, 0)), .size = static_cast<uint64_t>(r->GetInt64(i, 1))};
    if (range.metadata) {
      o.owner = std::string(r->Get(i, 3));
      if (!r->IsNull(i, 4)) o.acl = ParseAcl(r->Get(i, 4));
      if (!r->IsNull(i, 5)) o.comment = std::string(r->Get(i, 5));
    }
    objects.push_back(std::move(o));
  }
  return objects;
}

Status ReadSmallObjects(Connection& conn, std::span<const LargeObject> objects,
                        const ContentSink& sink) {
  if (objects.empty()) return Status::Ok();
  std::string oids;
  StartArray(oids, kOidType);
  for (const LargeObject& o : objects) {
    AppendBigEndian<int32_t>(oids, 4);
    AppendBigEndian<uint32_t>(oids, o.oid);
  }
  SetArrayCount(oids, objects.size());
  auto r = conn.QueryBinary(
      "SELECT pg_catalog.lo_get(u.oid) FROM pg_catalog.unnest($1::pg_catalog.oid[])"
      " WITH ORDINALITY AS u(oid, n) ORDER BY u.n",
      {AsBytes(oids)});
  if (!r.ok()) {
    return r.status().WithContext("read large objects " + std::to_string(objects.front().oid) +
                                  ".." + std::to_string(objects.back().oid));
  }
  DBB_CHECK(static_cast<size_t>(r->rows()) == objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    const std::string_view content = r->Get(static_cast<int>(i), 0);
    if (content.size() != objects[i].size) {
      return Status(StatusCode::kCorrupt,
                    ObjectName(objects[i].oid) + ": read " + std::to_string(content.size()) +
                        " bytes, its size was " + std::to_string(objects[i].size));
    }
    DBB_RETURN_IF_ERROR(sink(objects[i], AsBytes(content)));
  }
  return Status::Ok();
}

Status ReadLargeObject(Connection& conn, const LargeObject& object, size_t piece_bytes,
                       const ContentSink& sink) {
  DBB_CHECK(piece_bytes > 0 && piece_bytes < (1u << 30));
  std::string oid;
  std::string offset;
  std::string length;
  AppendBigEndian<uint32_t>(oid, object.oid);
  for (uint64_t done = 0; done < object.size;) {
    const uint64_t want = std::min<uint64_t>(piece_bytes, object.size - done);
    offset.clear();
    length.clear();
    AppendBigEndian<int64_t>(offset, static_cast<int64_t>(done));
    AppendBigEndian<int32_t>(length, static_cast<int32_t>(want));
    auto r = conn.QueryBinary(
        "SELECT pg_catalog.lo_get($1::pg_catalog.oid, $2::pg_catalog.int8, $3::pg_catalog.int4)",
        {AsBytes(oid), AsBytes(offset), AsBytes(length)});
    if (!r.ok()) return r.status().WithContext("read " + ObjectName(object.oid));
    const std::string_view piece = r->Get(0, 0);
    if (piece.size() != want) {
      return Status(StatusCode::kCorrupt,
                    ObjectName(object.oid) + ": read " + std::to_string(done + piece.size()) +
                        " bytes, its size was " + std::to_string(object.size));
    }
    DBB_RETURN_IF_ERROR(sink(object, AsBytes(piece)));
    done += want;
  }
  return Status::Ok();
}

void NewObjectBatch::Begin(uint32_t oid, uint64_t size) {
  DBB_CHECK(size < (1u << 30));
  AppendBigEndian<int32_t>(oids_, 4);
  AppendBigEndian<uint32_t>(oids_, oid);
  AppendBigEndian<int32_t>(contents_, static_cast<int32_t>(size));
  if (objects_++ == 0) first_oid_ = oid;
  last_oid_ = oid;
  content_bytes_ += size;
}

void NewObjectBatch::Append(std::span<const std::byte> bytes) {
  contents_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void NewObjectBatch::Clear() {
  StartArray(oids_, kOidType);
  StartArray(contents_, kByteaType);
  objects_ = 0;
  content_bytes_ = 0;
}

Status CreateSmallObjects(Connection& conn, NewObjectBatch& batch) {
  if (batch.objects_ == 0) return Status::Ok();
  SetArrayCount(batch.oids_, batch.objects_);
  SetArrayCount(batch.contents_, batch.objects_);
  auto r = conn.QueryBinary(
      "SELECT pg_catalog.count(pg_catalog.lo_from_bytea(u.oid, u.content)) FROM "
      "ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]), "
      "pg_catalog.unnest($2::pg_catalog.bytea[])) AS u(oid, content)",
      {AsBytes(batch.oids_), AsBytes(batch.contents_)});
  if (!r.ok()) {
    return r.status().WithContext("create large objects " + std::to_string(batch.first_oid_) +
                                  ".." + std::to_string(batch.last_oid_));
  }
  return Status::Ok();
}

Status CreateLargeObject(Connection& conn, uint32_t oid) {
  auto r = conn.Query("SELECT pg_catalog.lo_create($1::pg_catalog.oid)", {std::to_string(oid)});
  return r.ok() ? Status::Ok() : r.status().WithContext("create " + ObjectName(oid));
}

Status WriteLargeObject(Connection& conn, uint32_t oid, uint64_t offset,
                        std::span<const std::byte> bytes) {
  std::string oid_bytes;
  std::string offset_bytes;
  AppendBigEndian<uint32_t>(oid_bytes, oid);
  AppendBigEndian<int64_t>(offset_bytes, static_cast<int64_t>(offset));
  auto r = conn.QueryBinary(
      "SELECT pg_catalog.lo_put($1::pg_catalog.oid, $2::pg_catalog.int8, $3::pg_catalog.bytea)",
      {AsBytes(oid_bytes), AsBytes(offset_bytes), bytes});
  return r.ok() ? Status::Ok() : r.status().WithContext("write " + ObjectName(oid));
}

std::string LargeObjectMetadataSql(const Connection& conn, const LargeObject& o,
                                   const std::string& current_user) {
  const std::string target = "LARGE OBJECT " + std::to_string(o.oid);
  std::string sql;
  if (o.owner != current_user) {
    sql += "ALTER " + target + " OWNER TO " + conn.QuoteIdent(o.owner) + ";\n";
  }
  if (o.acl) {
    // From the default (the owner may read and write) to exactly the backed-up entries. A grant
    // made by someone other than the owner is made as that role, so it keeps its grantor.
    sql += "REVOKE ALL ON " + target + " FROM " + conn.QuoteIdent(o.owner) + ";\n";
    for (const Grant& g : *o.acl) {
      DBB_CHECK(g.privilege == "SELECT" || g.privilege == "UPDATE");
      const bool as_grantor = !g.grantor.empty() && g.grantor != o.owner;
      if (as_grantor) sql += "SET ROLE " + conn.QuoteIdent(g.grantor) + ";\n";
      sql += "GRANT " + g.privilege + " ON " + target + " TO " +
             (g.grantee.empty() ? std::string("PUBLIC") : conn.QuoteIdent(g.grantee)) +
             (g.grantable ? " WITH GRANT OPTION" : "") + ";\n";
      if (as_grantor) sql += "RESET ROLE;\n";
    }
  }
  if (o.comment) {
    sql += "COMMENT ON " + target + " IS " + conn.QuoteLiteral(*o.comment) + ";\n";
  }
  return sql;
}

Status ApplyLargeObjectMetadata(Connection& conn, std::span<const LargeObject> objects) {
  const std::string user = conn.user();
  std::string sql;
  for (const LargeObject& o : objects) sql += LargeObjectMetadataSql(conn, o, user);
  if (sql.empty()) return Status::Ok();
  Status st = conn.Exec(sql);
  if (st.ok()) return st;
  return st.WithContext("set owner, privileges and comments of large objects " +
                        std::to_string(objects.front().oid) + ".." +
                        std::to_string(objects.back().oid));
}

}  // namespace dbb::pg
