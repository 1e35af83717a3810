// The backup directory read with reference tools, not with dbbackup: every data file decodes with
// gzip -dc (zstd -dc) and loads with psql COPY FROM into a schema-only copy (pg_restore
// --section=pre-data of schema.dump) that then matches the source table by table; the manifest
// agrees with the source and with the files; permissions are 0700/0600.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

// CRC-32C (Castagnoli, reflected 0x82F63B78), bit by bit: independent of dbbackup's.
uint32_t Crc32c(const std::string& bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (char ch : bytes) crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string Hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

unsigned Mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class FormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = PgServer::Shared();
    if (pg_ == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  }

  // Backs up the generated database with `flags`, then checks the directory with `decompress`
  // (argv of a program that writes the decoded file named last to stdout).
  // `page_bytes`: the --page-size in `flags` (0: not given).
  void CheckBackup(Volume volume, const std::vector<std::string>& flags,
                   const std::string& extension, const std::vector<std::string>& decompress,
                   uint64_t page_bytes = 0) {
    const std::string src = TestDbName("src"), copy = TestDbName("copy");
    DropAtEnd drop(*pg_, {src, copy});
    CreateGeneratedDb(*pg_, src, volume);
    const auto source_tables = TableFingerprints(*pg_, src);
    TempDir tmp;
    const std::string dir = tmp.file("backup");
    ASSERT_EQ(Backup(*pg_, src, dir, flags).exit_code, 0);

    // Permissions: the directories 0700, the files 0600; nothing left half-written.
    EXPECT_EQ(Mode(dir), 0700u) << dir;
    EXPECT_EQ(Mode(dir + "/data"), 0700u) << dir << "/data";
    const std::vector<std::string> files = ListFiles(dir);
    for (const auto& f : files) {
      EXPECT_EQ(Mode(dir + "/" + f), 0600u) << f;
      EXPECT_EQ(f.find(".partial"), std::string::npos) << f;
    }
    ASSERT_TRUE(std::filesystem::exists(dir + "/manifest.json"));
    ASSERT_TRUE(std::filesystem::exists(dir + "/schema.dump"));

    const nlohmann::json m = ReadManifest(dir);
    ASSERT_TRUE(m.is_object());
    EXPECT_EQ(m.at("format"), "dbbackup");
    EXPECT_EQ(m.at("format_version"), 5);
    EXPECT_EQ(m.at("complete"), true);
    EXPECT_EQ(m.at("database"), src);
    EXPECT_EQ(m.at("server_version").get<std::string>() + "\n",
              pg_->Psql("postgres", "SHOW server_version"));
    ExpectManifestMatches(*pg_, m, source_tables);

    // Each data file: named data/NNNNN.<schema>.<table>[.<chunk>].<ext>, listed once, its size
    // and CRC-32C as recorded, decoding to raw_bytes with the reference tool.
    const std::regex name_re("data/[0-9]{5}\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+(\\.[0-9]{4})?\\." +
                             extension);
    std::set<std::string> listed;
    for (const auto& t : m.at("tables")) {
      const std::string table =
          t.at("schema").get<std::string>() + "." + t.at("name").get<std::string>();
      const std::string format = t.at("format").get<std::string>();
      EXPECT_TRUE(format == "binary" || format == "text") << table << ": " << format;
      const std::string copy_from = t.at("copy_from").get<std::string>();
      EXPECT_NE(copy_from.find("FROM STDIN"), std::string::npos) << copy_from;
      if (format == "binary") {
        EXPECT_NE(copy_from.find("(FORMAT binary)"), std::string::npos) << copy_from;
      }
      uint64_t raw_total = 0, stored_total = 0;
      for (const auto& f : t.at("files")) {
        const std::string name = f.at("file").get<std::string>();
        EXPECT_TRUE(std::regex_match(name, name_re)) << table << ": " << name;
        EXPECT_TRUE(listed.insert(name).second) << name << " listed twice";
        const std::string path = dir + "/" + name;
        const std::string bytes = ReadWholeFile(path);
        EXPECT_EQ(bytes.size(), f.at("stored_bytes").get<uint64_t>()) << name;
        EXPECT_EQ(Hex32(Crc32c(bytes)), f.at("crc32c").get<std::string>()) << name;
        EXPECT_GE(f.at("members").get<uint64_t>(), 1u) << name;
        if (page_bytes > 0) {  // one member (frame) per page; an empty stream has one
          const uint64_t raw = f.at("raw_bytes").get<uint64_t>();
          EXPECT_EQ(f.at("members").get<uint64_t>(),
                    std::max<uint64_t>(1, (raw + page_bytes - 1) / page_bytes))
              << name << ": " << raw << " raw bytes";
        }
        std::vector<std::string> argv = decompress;
        argv.push_back(path);
        ProcessResult decoded = RunProcess({.argv = argv});
        ASSERT_EQ(decoded.exit_code, 0) << name << ": " << decoded.Describe();
        EXPECT_EQ(decoded.out.size(), f.at("raw_bytes").get<uint64_t>()) << name;
        raw_total += f.at("raw_bytes").get<uint64_t>();
        stored_total += f.at("stored_bytes").get<uint64_t>();
        if (extension == "zst") {
          ProcessResult frames = RunProcess({.argv = {"zstd", "-lv", path}});
          EXPECT_NE(frames.out.find("# Zstandard Frames: " +
                                    std::to_string(f.at("members").get<uint64_t>()) + "\n"),
                    std::string::npos)
              << name << ": " << frames.out;
        }
      }
      EXPECT_EQ(raw_total, t.at("raw_bytes").get<uint64_t>()) << table;
      EXPECT_EQ(stored_total, t.at("stored_bytes").get<uint64_t>()) << table;
    }
    for (const auto& f : files) {
      if (f.rfind("data/", 0) == 0) {
        EXPECT_EQ(listed.count(f), 1u) << f << " is not in the manifest";
      }
    }

    // Sequences and materialized views as recorded.
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& s : m.at("sequences")) {
      names.emplace_back(s.at("schema").get<std::string>(), s.at("name").get<std::string>());
    }
    const std::vector<std::string> seq_keys = QualifiedNames(*pg_, names);
    std::map<std::string, std::string> recorded;
    for (size_t i = 0; i < seq_keys.size(); ++i) {
      const auto& s = m.at("sequences")[i];
      recorded[seq_keys[i]] = s.at("last_value").get<std::string>() + " " +
                              (s.at("is_called").get<bool>() ? "true" : "false");
    }
    ExpectSameEntries(SequenceStates(*pg_, src), recorded, "manifest sequences");
    names.clear();
    for (const auto& v : m.at("materialized_views")) {
      names.emplace_back(v.at("schema").get<std::string>(), v.at("name").get<std::string>());
    }
    const std::vector<std::string> mv_keys = QualifiedNames(*pg_, names);
    std::map<std::string, std::string> mv_recorded, mv_source;
    for (size_t i = 0; i < mv_keys.size(); ++i) {
      mv_recorded[mv_keys[i]] =
          m.at("materialized_views")[i].at("populated").get<bool>() ? "populated" : "unpopulated";
    }
    for (const auto& [key, state] : MatViewStates(*pg_, src)) {
      mv_source[key] = state.substr(0, state.find(' '));
    }
    ExpectSameEntries(mv_source, mv_recorded, "manifest materialized views");

    // Load every file with the reference tools into a schema-only copy.
    pg_->CreateDatabase(copy);
    std::vector<std::string> restore = {pg_->Tool("pg_restore"), "--section=pre-data", "-d", copy};
    for (const auto& a : pg_->ConnArgs()) restore.push_back(a);
    restore.push_back(dir + "/schema.dump");
    ProcessResult pre = RunProcess({.argv = restore});
    ASSERT_EQ(pre.exit_code, 0) << "pg_restore --section=pre-data: " << pre.Describe();
    for (const auto& t : m.at("tables")) {
      for (const auto& f : t.at("files")) {
        std::vector<std::string> argv = decompress;
        argv.push_back(dir + "/" + f.at("file").get<std::string>());
        ProcessResult decoded = RunProcess({.argv = argv});
        std::vector<std::string> psql = {pg_->Tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"};
        for (const auto& a : pg_->ConnArgs()) psql.push_back(a);
        psql.insert(psql.end(), {"-d", copy, "-c", t.at("copy_from").get<std::string>()});
        ProcessResult load = RunProcess({.argv = psql, .stdin_data = decoded.out});
        EXPECT_EQ(load.exit_code, 0)
            << f.at("file") << ": " << t.at("copy_from") << ": " << load.Describe();
      }
    }
    ExpectSameEntries(source_tables, TableFingerprints(*pg_, copy),
                      "tables loaded by psql from the data files");
  }

  PgServer* pg_ = nullptr;
};

TEST_F(FormatTest, GzipFilesLoadWithGzipAndPsql) {
  CheckBackup(Volume::kBulk, {"-j", "2"}, "gz", {"gzip", "-dc"});
}

TEST_F(FormatTest, LibdeflateFilesLoadWithGzipAndPsql) {
  CheckBackup(Volume::kSmall,
              {"-j", "2", "--compress-engine", "libdeflate", "--page-size", "64KiB"}, "gz",
              {"gzip", "-dc"}, 65536);
}

TEST_F(FormatTest, ZstdFilesLoadWithZstdAndPsql) {
  ASSERT_TRUE(HaveProgram("zstd")) << "the zstd program is needed (scripts/install-deps.sh)";
  CheckBackup(Volume::kSmall, {"-j", "2", "--compress-engine", "zstd", "--page-size", "64KiB"},
              "zst", {"zstd", "-q", "-dc"}, 65536);
}

TEST(FormatReferenceTest, CrcIsCastagnoli) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
}

// An existing empty directory is accepted; list shows the backup, --json as JSON.
TEST_F(FormatTest, ListShowsTheBackup) {
  const std::string src = TestDbName("src");
  DropAtEnd drop(*pg_, {src});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE listed_table (id integer, v text);\n"
            "INSERT INTO listed_table SELECT g, 'v' || g FROM generate_series(1, 1234) g;\n"
            "CREATE SEQUENCE listed_seq;\n");
  TempDir tmp;
  const std::string dir = tmp.file("backup");
  std::filesystem::create_directory(dir);
  ASSERT_EQ(Backup(*pg_, src, dir).exit_code, 0);

  ProcessResult list = RunDbb({"list", dir});
  ASSERT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_NE(list.out.find(src), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("listed_table"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("1234"), std::string::npos) << list.out;

  ProcessResult json = RunDbb({"list", dir, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(json.out)) << json.out;
  EXPECT_NE(json.out.find(src), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("listed_table"), std::string::npos) << json.out;
}

}  // namespace
}  // namespace dbb::testing
