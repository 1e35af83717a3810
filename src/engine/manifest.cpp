#include "engine/manifest.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/units.h"
#include "engine/cluster_manifest.h"
#include "engine/json_fields.h"
#include "engine/manifest_json.h"
#include "engine/sealed_json.h"
#include "io/small_file.h"

namespace dbb::engine {
using nlohmann::json;

json FileToJson(const DataFile& f) {
  json j = {{"file", f.file},           {"rows", f.rows},
            {"raw_bytes", f.raw_bytes}, {"stored_bytes", f.stored_bytes},
            {"members", f.members},     {"crc32c", Hex32(f.crc32c)},
            {"seconds", f.seconds}};
  if (f.blocks) {
    j["blocks"] = {{"first", f.blocks->first},
                   {"end", f.blocks->end ? json(*f.blocks->end) : json(nullptr)},
                   {"where", pg::BlockRangePredicate(*f.blocks)}};
  }
  if (f.snapshot != 0) j["snapshot"] = f.snapshot;
  return j;
}

DataFile FileFromJson(const json& j) {
  DataFile f{.file = j.at("file").get<std::string>(),
             .rows = j.at("rows").get<uint64_t>(),
             .raw_bytes = j.at("raw_bytes").get<uint64_t>(),
             .stored_bytes = j.at("stored_bytes").get<uint64_t>(),
             .members = j.at("members").get<uint64_t>(),
             .crc32c = ParseHex32(j.at("crc32c").get<std::string>()),
             .seconds = j.value("seconds", 0.0),
             .snapshot = j.value("snapshot", size_t{0})};
  if (j.contains("blocks")) {
    const json& b = j.at("blocks");
    f.blocks = pg::BlockRange{.first = b.at("first").get<uint64_t>()};
    if (!b.at("end").is_null()) f.blocks->end = b.at("end").get<uint64_t>();
  }
  return f;
}

namespace {

// The manifest of a 100k-table database is tens of MB; anything far larger is not a manifest.
constexpr uint64_t kMaxManifestBytes = 1 * kGiB;

json TableToJson(const TableEntry& t) {
  json files = json::array();
  for (const DataFile& f : t.files) files.push_back(FileToJson(f));
  return {{"schema", t.schema},
          {"name", t.name},
          {"oid", t.oid},
          {"partition", t.partition},
          {"unlogged", t.unlogged},
          {"columns", t.columns},
          {"format", t.binary ? "binary" : "text"},
          {"rows", t.rows()},
          {"raw_bytes", t.raw_bytes()},
          {"stored_bytes", t.stored_bytes()},
          {"seconds", t.seconds()},
          {"copy_from", t.copy_from},
          {"files", files}};
}

json BlobFileToJson(const BlobFile& b) {
  json j = FileToJson(b.data);
  j.erase("rows");
  j["objects"] = b.data.rows;
  j["first_oid"] = b.first_oid;
  j["last_oid"] = b.last_oid;
  j["bytes"] = b.bytes;
  return j;
}

BlobFile BlobFileFromJson(const json& j) {
  json data = j;
  data["rows"] = j.at("objects");
  return {.data = FileFromJson(data),
          .first_oid = j.at("first_oid").get<uint32_t>(),
          .last_oid = j.at("last_oid").get<uint32_t>(),
          .bytes = j.at("bytes").get<uint64_t>()};
}

json LargeObjectsToJson(const LargeObjects& l) {
  json files = json::array();
  for (const BlobFile& f : l.files) files.push_back(BlobFileToJson(f));
  return {{"included", l.included},
          {"mode", BlobModeName(l.mode)},
          {"count", l.count},
          {"bytes", l.bytes},
          {"distinct", l.distinct},
          {"saved_bytes", l.saved_bytes},
          {"content_dir", l.mode == BlobMode::kExternal ? kBlobContentDirName : ""},
          {"content_stored_bytes", l.content_stored_bytes},
          {"files", files}};
}

LargeObjects LargeObjectsFromJson(const json& j) {
  LargeObjects l{.included = j.value("included", false), .count = j.value("count", uint64_t{0})};
  if (!l.included) return l;
  const std::string mode = j.at("mode").get<std::string>();
  if (mode != "inline" && mode != "external") {
    throw json::other_error::create(501, "large_objects.mode must be inline or external: " + mode,
                                    nullptr);
  }
  l.mode = mode == "inline" ? BlobMode::kInline : BlobMode::kExternal;
  l.bytes = j.at("bytes").get<uint64_t>();
  l.distinct = j.at("distinct").get<uint64_t>();
  l.saved_bytes = j.value("saved_bytes", uint64_t{0});
  l.content_stored_bytes = j.value("content_stored_bytes", uint64_t{0});
  for (const json& f : j.at("files")) l.files.push_back(BlobFileFromJson(f));
  return l;
}

// Format 4: what CREATE DATABASE and ApplyDatabaseProps need besides the settings and comment.
json DatabasePropsToJson(const pg::DatabaseProps& p) {
  json acl = nullptr;
  if (p.acl) {
    acl = json::array();
    for (const pg::Grant& g : *p.acl) {
      acl.push_back({{"grantee", g.grantee},
                     {"grantor", g.grantor},
                     {"privilege", g.privilege},
                     {"grantable", g.grantable}});
    }
  }
  json roles = json::array();
  for (const pg::RoleSettings& r : p.role_settings) {
    roles.push_back({{"role", r.role}, {"settings", r.settings}});
  }
  return {{"owner", p.owner},
          {"tablespace", p.tablespace},
          {"connection_limit", p.connection_limit},
          {"is_template", p.is_template},
          {"locale_provider", p.locale_provider},
          {"icu_locale", p.icu_locale},
          {"acl", acl},
          {"role_settings", roles}};
}

void DatabasePropsFromJson(const json& j, pg::DatabaseProps* p) {
  p->owner = j.at("owner").get<std::string>();
  p->tablespace = j.value("tablespace", "");
  p->connection_limit = j.value("connection_limit", -1);
  p->is_template = j.value("is_template", false);
  p->locale_provider = j.value("locale_provider", "");
  p->icu_locale = j.value("icu_locale", "");
  if (const json& acl = j.at("acl"); !acl.is_null()) {
    p->acl.emplace();
    for (const json& g : acl) {
      p->acl->push_back({.grantee = g.at("grantee").get<std::string>(),
                         .grantor = g.at("grantor").get<std::string>(),
                         .privilege = g.at("privilege").get<std::string>(),
                         .grantable = g.at("grantable").get<bool>()});
    }
  }
  for (const json& r : j.value("role_settings", json::array())) {
    p->role_settings.push_back({.role = r.at("role").get<std::string>(),
                                .settings = r.at("settings").get<std::vector<std::string>>()});
  }
}

json SnapshotsToJson(const std::vector<SnapshotInfo>& snapshots) {
  json out = json::array();
  for (const SnapshotInfo& s : snapshots) {
    out.push_back({{"snapshot", s.snapshot}, {"started_at", s.started_at}});
  }
  return out;
}

TableEntry TableFromJson(const json& j) {
  TableEntry t;
  t.schema = j.at("schema").get<std::string>();
  t.name = j.at("name").get<std::string>();
  t.oid = j.value("oid", 0u);
  t.partition = j.value("partition", false);
  t.unlogged = j.value("unlogged", false);
  t.columns = j.at("columns").get<std::vector<std::string>>();
  const std::string format = j.at("format").get<std::string>();
  if (format != "binary" && format != "text") {
    throw json::other_error::create(501, "format must be binary or text: " + format, nullptr);
  }
  t.binary = format == "binary";
  t.copy_from = j.at("copy_from").get<std::string>();
  for (const json& f : j.at("files")) t.files.push_back(FileFromJson(f));
  return t;
}

}  // namespace

const char* BlobModeName(BlobMode mode) {
  return mode == BlobMode::kInline ? "inline" : "external";
}

std::string DescribeSnapshots(const Manifest& m) {
  if (m.consistent || m.snapshots.size() < 2) return "";
  std::string out;
  const size_t last = m.snapshots.size() - 1;
  for (size_t i = 0; i < m.snapshots.size(); ++i) {
    out += (i == 0 ? "" : "; ") + std::string("snapshot ") + std::to_string(i + 1) + " of " +
           std::to_string(m.snapshots.size()) + " (run started " + m.snapshots[i].started_at +
           "): ";
    if (i == last) {
      out += "everything else (schema, sequences, large objects)";
      continue;
    }
    std::string tables;
    for (const TableEntry& t : m.tables) {
      const auto n = std::count_if(t.files.begin(), t.files.end(),
                                   [i](const DataFile& f) { return f.snapshot == i; });
      if (n == 0) continue;
      tables += (tables.empty() ? "" : ", ") + t.schema + "." + t.name + " (" + std::to_string(n) +
                " of " + std::to_string(t.files.size()) + " files)";
    }
    out += tables;
  }
  return out;
}

std::string DescribeLargeObjects(const LargeObjects& l) {
  std::string out = std::to_string(l.count) + " objects, " + FormatBytes(l.bytes);
  if (l.mode == BlobMode::kInline) {
    return out + ", inline in " + std::to_string(l.files.size()) + " files";
  }
  return out + "; " + std::to_string(l.distinct) + " distinct contents in " + kBlobContentDirName +
         "/ (" + FormatBytes(l.saved_bytes) + " stored once for several objects)";
}

namespace {

template <typename T, typename Field>
uint64_t Sum(const std::vector<T>& items, Field field) {
  uint64_t n = 0;
  for (const T& item : items) n += field(item);
  return n;
}

}  // namespace

std::string ChunkSuffix(size_t index, size_t count) {
  if (count <= 1) return "";
  return " (chunk " + std::to_string(index + 1) + " of " + std::to_string(count) + ")";
}

double TableEntry::seconds() const {
  double s = 0;
  for (const DataFile& f : files) s += f.seconds;
  return s;
}
uint64_t TableEntry::rows() const {
  return Sum(files, [](const DataFile& f) { return f.rows; });
}
uint64_t TableEntry::raw_bytes() const {
  return Sum(files, [](const DataFile& f) { return f.raw_bytes; });
}
uint64_t TableEntry::stored_bytes() const {
  return Sum(files, [](const DataFile& f) { return f.stored_bytes; });
}
uint64_t Manifest::rows() const {
  return Sum(tables, [](const TableEntry& t) { return t.rows(); });
}
uint64_t Manifest::raw_bytes() const {
  return Sum(tables, [](const TableEntry& t) { return t.raw_bytes(); }) +
         (large_objects.included ? large_objects.bytes : 0);
}
uint64_t Manifest::stored_bytes() const {
  return schema.bytes + Sum(tables, [](const TableEntry& t) { return t.stored_bytes(); }) +
         Sum(large_objects.files, [](const BlobFile& f) { return f.data.stored_bytes; }) +
         large_objects.content_stored_bytes;
}

std::string ToJson(const Manifest& m) {
  json tables = json::array();
  for (const TableEntry& t : m.tables) tables.push_back(TableToJson(t));
  json relations = json::array();
  for (const pg::RelationInfo& r : m.relations) {
    relations.push_back({{"oid", r.oid},
                         {"kind", r.kind},
                         {"schema", r.schema},
                         {"name", r.name},
                         {"owned_by", r.owned_by}});
  }
  json sequences = json::array();
  for (const pg::SequenceInfo& s : m.sequences) {
    sequences.push_back({{"oid", s.oid},
                         {"schema", s.schema},
                         {"name", s.name},
                         {"last_value", s.last_value},
                         {"is_called", s.is_called}});
  }
  json matviews = json::array();
  for (const pg::MatViewInfo& v : m.matviews) {
    matviews.push_back(
        {{"oid", v.oid}, {"schema", v.schema}, {"name", v.name}, {"populated", v.populated}});
  }
  const json j = {
      {"format", "dbbackup"},
      {"format_version", m.format_version},
      {"complete", m.complete},
      {"dbbackup_version", m.dbbackup_version},
      {"database", m.database},
      {"server_version", m.server_version},
      {"server_version_num", m.server_version_num},
      {"encoding", m.encoding},
      {"lc_collate", m.lc_collate},
      {"lc_ctype", m.lc_ctype},
      {"database_settings", m.properties.settings},
      {"database_comment", m.properties.comment},
      {"database_properties", DatabasePropsToJson(m.properties)},
      {"started_at", m.started_at},
      {"finished_at", m.finished_at},
      {"duration_s", m.duration_s},
      {"consistent", m.consistent},
      {"snapshot", m.snapshot},
      {"snapshots", SnapshotsToJson(m.snapshots)},
      {"compression",
       {{"engine", m.compression.engine},
        {"level", m.compression.level},
        {"page_bytes", m.compression.page_bytes}}},
      {"schema",
       {{"file", m.schema.file}, {"bytes", m.schema.bytes}, {"crc32c", Hex32(m.schema.crc32c)}}},
      {"totals",
       {{"tables", m.tables.size()},
        {"rows", m.rows()},
        {"raw_bytes", m.raw_bytes()},
        {"stored_bytes", m.stored_bytes()}}},
      {"selection", m.selection},
      {"relations", relations},
      {"tables", tables},
      {"sequences", sequences},
      {"materialized_views", matviews},
      {"large_objects", LargeObjectsToJson(m.large_objects)},
      {"metrics", MetricsToJson(m.metrics)},
  };
  return j.dump(1) + "\n";
}

Result<Manifest> ParseManifest(const std::string& text) {
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != "dbbackup") {
      return Status(StatusCode::kCorrupt, "not a dbbackup manifest (no \"format\": \"dbbackup\")");
    }
    Manifest m;
    m.format_version = j.at("format_version").get<int>();
    if (m.format_version < kOldestFormatVersion) {
      return Status(StatusCode::kCorrupt,
                    "format_version " + std::to_string(m.format_version) + " is not valid");
    }
    if (m.format_version > kFormatVersion) {
      return Status(StatusCode::kUnsupported,
                    "backup format version " + std::to_string(m.format_version) +
                        " is newer than this dbbackup understands (" +
                        std::to_string(kFormatVersion) + "); use a newer dbbackup");
    }
    m.complete = j.at("complete").get<bool>();
    m.dbbackup_version = j.value("dbbackup_version", "");
    m.database = j.at("database").get<std::string>();
    m.server_version = j.value("server_version", "");
    m.server_version_num = j.value("server_version_num", 0);
    m.encoding = j.value("encoding", "");
    m.lc_collate = j.value("lc_collate", "");
    m.lc_ctype = j.value("lc_ctype", "");
    m.properties.settings = j.value("database_settings", std::vector<std::string>{});
    m.properties.comment = j.value("database_comment", "");
    if (j.contains("database_properties")) {
      DatabasePropsFromJson(j.at("database_properties"), &m.properties);
    }
    m.started_at = j.value("started_at", "");
    m.finished_at = j.value("finished_at", "");
    m.duration_s = j.value("duration_s", 0.0);
    m.consistent = j.value("consistent", false);
    m.snapshot = j.value("snapshot", "");
    for (const json& snap : j.value("snapshots", json::array())) {
      m.snapshots.push_back({.snapshot = snap.at("snapshot").get<std::string>(),
                             .started_at = snap.value("started_at", "")});
    }
    const json& c = j.at("compression");
    m.compression.engine = c.at("engine").get<std::string>();
    m.compression.level = c.at("level").get<int>();
    m.compression.page_bytes = c.at("page_bytes").get<uint64_t>();
    const json& s = j.at("schema");
    m.schema.file = s.at("file").get<std::string>();
    m.schema.bytes = s.at("bytes").get<uint64_t>();
    m.schema.crc32c = ParseHex32(s.at("crc32c").get<std::string>());
    m.selection = j.value("selection", "");
    for (const json& r : j.value("relations", json::array())) {
      m.relations.push_back({.oid = r.at("oid").get<uint32_t>(),
                             .kind = r.at("kind").get<std::string>(),
                             .schema = r.at("schema").get<std::string>(),
                             .name = r.at("name").get<std::string>(),
                             .owned_by = r.value("owned_by", 0u)});
    }
    for (const json& t : j.at("tables")) m.tables.push_back(TableFromJson(t));
    for (const json& q : j.at("sequences")) {
      m.sequences.push_back({.oid = q.value("oid", 0u),
                             .schema = q.at("schema").get<std::string>(),
                             .name = q.at("name").get<std::string>(),
                             .last_value = q.at("last_value").get<std::string>(),
                             .is_called = q.at("is_called").get<bool>()});
    }
    for (const json& v : j.at("materialized_views")) {
      m.matviews.push_back({.oid = v.value("oid", 0u),
                            .schema = v.at("schema").get<std::string>(),
                            .name = v.at("name").get<std::string>(),
                            .populated = v.at("populated").get<bool>()});
    }
    if (j.contains("large_objects")) m.large_objects = LargeObjectsFromJson(j.at("large_objects"));
    if (j.contains("metrics")) m.metrics = MetricsFromJson(j.at("metrics"));
    return m;
  } catch (const json::exception& e) {
    return Status(StatusCode::kCorrupt, std::string("manifest does not parse: ") + e.what());
  }
}

Status WriteManifest(const std::string& dir, const Manifest& manifest) {
  return io::WriteFileAtomic(dir + "/" + kManifestName, SealJson(ToJson(manifest)));
}

Result<Manifest> ReadManifest(const std::string& dir) {
  const std::string path = dir + "/" + kManifestName;
  auto text = io::ReadSmallFile(path, kMaxManifestBytes);
  if (!text.ok()) {
    if (text.status().sys_errno() == ENOENT && IsClusterBackup(dir)) {
      return Status(StatusCode::kInvalidArgument,
                    dir + " is a cluster backup (" + kClusterManifestName +
                        "): restore it with `dbbackup restore cluster " + dir +
                        "`, or one database from its directory under " + dir + "/" +
                        kDatabasesDirName + "/ (`dbbackup list " + dir + "` names them)");
    }
    if (text.status().sys_errno() == ENOENT) {
      return Status(StatusCode::kCorrupt,
                    dir + ": no " + kManifestName +
                        ": not a complete backup (interrupted, failed, or still running)");
    }
    return text.status();
  }
  return ParseSealed<Manifest>(text.value(), path, ParseManifest);
}

Status CheckFilesPresent(const std::string& dir, const Manifest& m) {
  std::vector<const TableEntry*> tables;
  for (const TableEntry& t : m.tables) tables.push_back(&t);
  return CheckFilesPresent(dir, m, tables, /*blobs=*/true);
}

Status CheckFilesPresent(const std::string& dir, const Manifest& m,
                         const std::vector<const TableEntry*>& tables, bool blobs) {
  auto check = [&](const std::string& file, uint64_t bytes) -> Status {
    const std::string path = dir + "/" + file;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return Status(StatusCode::kCorrupt,
                    path + ": listed in the manifest but missing; the backup is damaged");
    }
    if (static_cast<uint64_t>(st.st_size) != bytes) {
      return Status(StatusCode::kCorrupt, path + ": " + std::to_string(st.st_size) +
                                              " bytes, the manifest says " + std::to_string(bytes) +
                                              "; the backup is damaged");
    }
    return Status::Ok();
  };
  DBB_RETURN_IF_ERROR(check(m.schema.file, m.schema.bytes));
  for (const TableEntry* t : tables) {
    for (const DataFile& f : t->files) DBB_RETURN_IF_ERROR(check(f.file, f.stored_bytes));
  }
  if (!blobs) return Status::Ok();
  for (const BlobFile& f : m.large_objects.files) {
    DBB_RETURN_IF_ERROR(check(f.data.file, f.data.stored_bytes));
  }
  return Status::Ok();
}

}  // namespace dbb::engine
