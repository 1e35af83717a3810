#include "engine/cluster_manifest.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "engine/sealed_json.h"
#include "io/small_file.h"

namespace dbb::engine {
namespace {

ClusterManifest Sample() {
  ClusterManifest m;
  m.dbbackup_version = "0.1.0";
  m.server_version = "15.4";
  m.server_version_num = 150004;
  m.started_at = "2026-11-27T06:41:05Z";
  m.finished_at = "2026-11-27T06:41:09Z";
  m.duration_s = 4.5;
  m.globals.bytes = 966;
  m.globals.crc32c = 0xdeadbeef;
  m.globals.role_passwords = false;
  m.tablespaces.push_back({.name = "fast", .owner = "app", .location = "/srv/it's fast"});
  m.databases.push_back({.name = "shop",
                         .status = DatabaseStatus::kComplete,
                         .dir = "databases/0001.shop",
                         .tables = 12,
                         .rows = 1000,
                         .raw_bytes = 5000,
                         .stored_bytes = 2000,
                         .duration_s = 3.25});
  m.excluded = {"scratch"};
  m.databases.push_back({.name = "slow db",
                         .status = DatabaseStatus::kTimedOut,
                         .error = "timed out after 2 h (--timeout); its files were removed"});
  return m;
}

TEST(ClusterManifest, RoundTripsAndSaysWhatIsMissing) {
  const ClusterManifest m = Sample();
  EXPECT_TRUE(m.partial());
  EXPECT_EQ(m.missing(), 1u);
  EXPECT_EQ(m.stored_bytes(), 966u + 2000u) << "globals and the databases' files";
  const std::string json = ToJson(m);
  EXPECT_NE(json.find("\"kind\": \"cluster\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"partial\": true"), std::string::npos);
  EXPECT_NE(json.find("\"status\": \"timed out\""), std::string::npos);
  EXPECT_NE(json.find("\"crc32c\": \"deadbeef\""), std::string::npos);
  auto back = ParseClusterManifest(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ToJson(back.value()), json);
  EXPECT_EQ(back->databases.at(1).status, DatabaseStatus::kTimedOut);
  EXPECT_EQ(back->databases.at(1).dir, "");
  EXPECT_EQ(back->tablespaces.at(0).location, "/srv/it's fast");
  EXPECT_FALSE(back->globals.role_passwords);
  EXPECT_EQ(back->excluded, std::vector<std::string>{"scratch"});
}

TEST(ClusterManifest, RejectsWhatItCannotRead) {
  const std::string json = ToJson(Sample());
  std::string status = json;
  status.replace(status.find("\"timed out\""), 11, "\"sideways\"");
  EXPECT_EQ(ParseClusterManifest(status).status().code(), StatusCode::kCorrupt);
  std::string newer = json;
  const std::string version = "\"format_version\": " + std::to_string(kFormatVersion);
  newer.replace(newer.find(version), version.size(), "\"format_version\": 9");
  EXPECT_EQ(ParseClusterManifest(newer).status().code(), StatusCode::kUnsupported);
  std::string single = json;
  single.replace(single.find("\"kind\": \"cluster\""), 17, "\"kind\": \"other\"");
  EXPECT_EQ(ParseClusterManifest(single).status().code(), StatusCode::kCorrupt);
  std::string no_dir = json;
  no_dir.replace(no_dir.find("\"databases/0001.shop\""), 21, "\"\"");
  EXPECT_EQ(ParseClusterManifest(no_dir).status().code(), StatusCode::kCorrupt)
      << "a complete database names its directory";
}

TEST(ClusterManifest, WrittenAndReadFromADirectory) {
  const std::string dir = std::filesystem::temp_directory_path() /
                          ("dbb-cluster-manifest-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  EXPECT_FALSE(IsClusterBackup(dir));
  auto missing = ReadClusterManifest(dir);
  EXPECT_EQ(missing.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(missing.status().message().find("no cluster.json"), std::string::npos);
  ASSERT_TRUE(WriteClusterManifest(dir, Sample()).ok());
  EXPECT_TRUE(IsClusterBackup(dir));
  auto back = ReadClusterManifest(dir);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->databases.size(), 2u);
  // A single-database command pointed at it says what it is.
  auto single = ReadManifest(dir);
  EXPECT_EQ(single.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(single.status().message().find("restore cluster"), std::string::npos)
      << single.status().message();
  std::filesystem::remove_all(dir);
}

// Format 5: cluster.json carries its own SHA-256 as manifest.json does.
TEST(ClusterManifest, SealedAndChecked) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("dbb-cluster-seal-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/" + kClusterManifestName;
  ASSERT_TRUE(WriteClusterManifest(dir, Sample()).ok());
  auto text = io::ReadSmallFile(path, 1 << 20);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(CheckJsonSeal(text.value()), SealState::kValid) << text.value();
  ASSERT_TRUE(ReadClusterManifest(dir).ok());
  std::string changed = text.value();
  changed.replace(changed.find("\"rows\": 1000"), 12, "\"rows\": 1001");
  ASSERT_TRUE(io::WriteFileAtomic(path, changed).ok());
  EXPECT_EQ(ReadClusterManifest(dir).status().message(),
            path +
                ": checksum mismatch: the manifest was changed or damaged after the backup wrote "
                "it");
  // Format 4 had none and still reads.
  ClusterManifest old = Sample();
  old.format_version = 4;
  ASSERT_TRUE(io::WriteFileAtomic(path, ToJson(old)).ok());
  auto back = ReadClusterManifest(dir);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->format_version, 4);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dbb::engine
