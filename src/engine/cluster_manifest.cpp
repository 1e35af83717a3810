#include "engine/cluster_manifest.h"

#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/units.h"
#include "engine/json_fields.h"
#include "engine/sealed_json.h"
#include "io/small_file.h"

namespace dbb::engine {
namespace {

using nlohmann::json;

// A cluster manifest holds a line per database: even 100k databases stay far under this.
constexpr uint64_t kMaxClusterManifestBytes = 256 * kMiB;

constexpr DatabaseStatus kStatuses[] = {DatabaseStatus::kComplete, DatabaseStatus::kFailed,
                                        DatabaseStatus::kTimedOut, DatabaseStatus::kNotStarted};

DatabaseStatus ParseStatus(const std::string& name) {
  for (DatabaseStatus s : kStatuses) {
    if (name == DatabaseStatusName(s)) return s;
  }
  throw json::other_error::create(501, "unknown database status: " + name, nullptr);
}

}  // namespace

const char* DatabaseStatusName(DatabaseStatus status) {
  switch (status) {
    case DatabaseStatus::kComplete:
      return "complete";
    case DatabaseStatus::kFailed:
      return "failed";
    case DatabaseStatus::kTimedOut:
      return "timed out";
    case DatabaseStatus::kNotStarted:
      return "not started";
  }
  return "failed";
}

size_t ClusterManifest::missing() const {
  return static_cast<size_t>(std::count_if(
      databases.begin(), databases.end(),
      [](const ClusterDatabase& d) { return d.status != DatabaseStatus::kComplete; }));
}

bool ClusterManifest::partial() const { return missing() > 0; }

uint64_t ClusterManifest::raw_bytes() const {
  uint64_t n = 0;
  for (const ClusterDatabase& d : databases) n += d.raw_bytes;
  return n;
}

uint64_t ClusterManifest::stored_bytes() const {
  uint64_t n = globals.bytes;
  for (const ClusterDatabase& d : databases) n += d.stored_bytes;
  return n;
}

std::string ToJson(const ClusterManifest& m) {
  json tablespaces = json::array();
  for (const pg::TablespaceInfo& t : m.tablespaces) {
    tablespaces.push_back({{"name", t.name}, {"owner", t.owner}, {"location", t.location}});
  }
  json databases = json::array();
  for (const ClusterDatabase& d : m.databases) {
    json j = {{"name", d.name}, {"status", DatabaseStatusName(d.status)}, {"dir", d.dir}};
    if (d.status == DatabaseStatus::kComplete) {
      j.update({{"tables", d.tables},
                {"rows", d.rows},
                {"raw_bytes", d.raw_bytes},
                {"stored_bytes", d.stored_bytes},
                {"duration_s", d.duration_s}});
    } else {
      j["error"] = d.error;
    }
    databases.push_back(std::move(j));
  }
  const json j = {{"format", "dbbackup"},
                  {"kind", "cluster"},
                  {"format_version", m.format_version},
                  {"dbbackup_version", m.dbbackup_version},
                  {"server_version", m.server_version},
                  {"server_version_num", m.server_version_num},
                  {"started_at", m.started_at},
                  {"finished_at", m.finished_at},
                  {"duration_s", m.duration_s},
                  {"partial", m.partial()},
                  {"globals",
                   {{"file", m.globals.file},
                    {"bytes", m.globals.bytes},
                    {"crc32c", Hex32(m.globals.crc32c)},
                    {"role_passwords", m.globals.role_passwords}}},
                  {"tablespaces", tablespaces},
                  {"databases", databases},
                  {"excluded", m.excluded},
                  {"metrics", MetricsToJson(m.metrics)}};
  return j.dump(1) + "\n";
}

Result<ClusterManifest> ParseClusterManifest(const std::string& text) {
  try {
    const json j = json::parse(text);
    if (j.value("format", "") != "dbbackup" || j.value("kind", "") != "cluster") {
      return Status(StatusCode::kCorrupt,
                    "not a dbbackup cluster manifest (no \"kind\": \"cluster\")");
    }
    ClusterManifest m;
    m.format_version = j.at("format_version").get<int>();
    if (m.format_version > kFormatVersion) {
      return Status(StatusCode::kUnsupported,
                    "backup format version " + std::to_string(m.format_version) +
                        " is newer than this dbbackup understands (" +
                        std::to_string(kFormatVersion) + "); use a newer dbbackup");
    }
    m.dbbackup_version = j.value("dbbackup_version", "");
    m.server_version = j.value("server_version", "");
    m.server_version_num = j.value("server_version_num", 0);
    m.started_at = j.value("started_at", "");
    m.finished_at = j.value("finished_at", "");
    m.duration_s = j.value("duration_s", 0.0);
    const json& g = j.at("globals");
    m.globals.file = g.at("file").get<std::string>();
    m.globals.bytes = g.at("bytes").get<uint64_t>();
    m.globals.crc32c = ParseHex32(g.at("crc32c").get<std::string>());
    m.globals.role_passwords = g.value("role_passwords", true);
    for (const json& t : j.at("tablespaces")) {
      m.tablespaces.push_back({.name = t.at("name").get<std::string>(),
                               .owner = t.value("owner", ""),
                               .location = t.at("location").get<std::string>()});
    }
    m.excluded = j.value("excluded", std::vector<std::string>{});
    if (j.contains("metrics")) m.metrics = MetricsFromJson(j.at("metrics"));
    for (const json& d : j.at("databases")) {
      ClusterDatabase db{.name = d.at("name").get<std::string>(),
                         .status = ParseStatus(d.at("status").get<std::string>()),
                         .dir = d.value("dir", ""),
                         .error = d.value("error", "")};
      if (db.status == DatabaseStatus::kComplete) {
        if (db.dir.empty()) {
          throw json::other_error::create(501, "complete database without a dir: " + db.name,
                                          nullptr);
        }
        db.tables = d.value("tables", size_t{0});
        db.rows = d.value("rows", uint64_t{0});
        db.raw_bytes = d.value("raw_bytes", uint64_t{0});
        db.stored_bytes = d.value("stored_bytes", uint64_t{0});
        db.duration_s = d.value("duration_s", 0.0);
      }
      m.databases.push_back(std::move(db));
    }
    return m;
  } catch (const json::exception& e) {
    return Status(StatusCode::kCorrupt,
                  std::string("cluster manifest does not parse: ") + e.what());
  }
}

Status WriteClusterManifest(const std::string& dir, const ClusterManifest& manifest) {
  return io::WriteFileAtomic(dir + "/" + kClusterManifestName, SealJson(ToJson(manifest)));
}

Result<ClusterManifest> ReadClusterManifest(const std::string& dir) {
  const std::string path = dir + "/" + kClusterManifestName;
  auto text = io::ReadSmallFile(path, kMaxClusterManifestBytes);
  if (!text.ok()) {
    if (text.status().sys_errno() == ENOENT) {
      return Status(StatusCode::kCorrupt, dir + ": no " + kClusterManifestName +
                                              ": not a complete cluster backup (interrupted, "
                                              "failed, still running, or a single-database "
                                              "backup: see `dbbackup list " +
                                              dir + "`)");
    }
    return text.status();
  }
  return ParseSealed<ClusterManifest>(text.value(), path, ParseClusterManifest);
}

bool IsClusterBackup(const std::string& dir) {
  struct stat st {};
  return ::stat((dir + "/" + kClusterManifestName).c_str(), &st) == 0;
}

}  // namespace dbb::engine
