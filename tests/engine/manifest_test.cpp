#include "engine/manifest.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "engine/sealed_json.h"
#include "io/small_file.h"
#include "support/test_util.h"

namespace dbb::engine {
namespace {

using dbb::testing::TempDir;

// `"format_version": N` as ToJson writes it for this version.
const std::string kVersionField = "\"format_version\": " + std::to_string(kFormatVersion);

Manifest Sample() {
  Manifest m;
  m.complete = true;
  m.dbbackup_version = "0.1.0";
  m.database = "shop \"eu\"";
  m.server_version = "15.4";
  m.server_version_num = 150004;
  m.encoding = "UTF8";
  m.started_at = "2026-11-27T06:00:00Z";
  m.snapshot = "00000003-0000001B-1";
  m.compression = {.engine = "isal", .level = 1, .page_bytes = 1 << 20};
  m.schema.bytes = 5000;
  m.schema.crc32c = 0x0badf00d;
  TableEntry t{.oid = 16384,
               .schema = "My Schema",
               .name = "T 1",
               .partition = true,
               .columns = {"id", "b \"q\""},
               .binary = false,
               .copy_from = "COPY ...",
               .files = {DataFile{.file = "data/00001.gz",
                                  .rows = 1ull << 40,
                                  .raw_bytes = 10,
                                  .stored_bytes = 35,
                                  .members = 1,
                                  .crc32c = 0xe3069283}}};
  m.tables.push_back(t);
  TableEntry chunked{.oid = 16390, .schema = "public", .name = "big", .copy_from = "COPY ..."};
  chunked.files.push_back({.file = "data/00002.public.big.0001.gz",
                           .blocks = pg::BlockRange{.first = 0, .end = 100},
                           .rows = 5});
  chunked.files.push_back(
      {.file = "data/00002.public.big.0002.gz", .blocks = pg::BlockRange{.first = 100}, .rows = 6});
  m.tables.push_back(chunked);
  m.selection = "--table 'big'";
  m.relations.push_back({.oid = 16390, .kind = "table", .schema = "public", .name = "big"});
  m.relations.push_back(
      {.oid = 16391, .kind = "sequence", .schema = "public", .name = "s", .owned_by = 16390});
  m.sequences.push_back({.oid = 16391,
                         .schema = "public",
                         .name = "s",
                         .last_value = "-9223372036854775808",
                         .is_called = false});
  m.matviews.push_back({.schema = "public", .name = "mv", .populated = true});
  return m;
}

TEST(Manifest, RoundTripsThroughJson) {
  const Manifest m = Sample();
  auto back = ParseManifest(ToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ToJson(back.value()), ToJson(m));
  const TableEntry& t = back->tables.at(0);
  EXPECT_EQ(t.columns.at(1), "b \"q\"");
  EXPECT_FALSE(t.binary);
  EXPECT_EQ(t.rows(), 1ull << 40);
  EXPECT_EQ(t.files.at(0).crc32c, 0xe3069283u);
  EXPECT_EQ(back->sequences.at(0).last_value, "-9223372036854775808");
  EXPECT_EQ(back->stored_bytes(), 5035u) << "the schema archive counts as stored";
  const TableEntry& big = back->tables.at(1);
  EXPECT_EQ(big.rows(), 11u);
  ASSERT_TRUE(big.files.at(0).blocks.has_value());
  EXPECT_EQ(big.files.at(0).blocks->end, 100u);
  EXPECT_FALSE(big.files.at(1).blocks->end.has_value()) << "the last chunk runs to the end";
  EXPECT_EQ(back->relations.at(1).owned_by, 16390u);
  EXPECT_EQ(back->sequences.at(0).oid, 16391u);
  EXPECT_EQ(back->selection, "--table 'big'");
}

TEST(Manifest, MetricsRoundTripAndOlderManifestsHaveNone) {
  Manifest m = Sample();
  m.metrics = {.duration_s = 12.5,
               .database_size_bytes = 1ull << 40,
               .raw_bytes = 4000,
               .stored_bytes = 1000,
               .peak_memory_bytes = 90ull << 20,
               .cpu_user_s = 3.25,
               .cpu_system_s = 0.5,
               .errors = 2,
               .slowest_tables = SlowestTables(m.tables)};
  ASSERT_EQ(m.metrics.slowest_tables.size(), m.tables.size());
  EXPECT_GE(m.metrics.slowest_tables[0].seconds, m.metrics.slowest_tables[1].seconds);
  auto back = ParseManifest(ToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->metrics, m.metrics);
  EXPECT_DOUBLE_EQ(back->metrics.compression_ratio(), 4.0);
  EXPECT_DOUBLE_EQ(back->metrics.write_bytes_per_s(), 80.0);
  EXPECT_DOUBLE_EQ(back->metrics.cpu_percent(), 30.0);
  auto j = nlohmann::json::parse(ToJson(m));
  j.erase("metrics");
  back = ParseManifest(j.dump());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->metrics, RunMetrics{});
}

// A version 1 manifest (no chunks, no relations) still reads.
TEST(Manifest, LargeObjectsRoundTrip) {
  Manifest m = Sample();
  m.large_objects = {.included = true,
                     .mode = BlobMode::kExternal,
                     .count = 20000,
                     .bytes = 1ull << 33,
                     .distinct = 19000,
                     .saved_bytes = 4096,
                     .content_stored_bytes = 1000,
                     .files = {BlobFile{.data = {.file = "data/blobs.0001.gz",
                                                 .rows = 20000,
                                                 .raw_bytes = 700,
                                                 .stored_bytes = 300,
                                                 .members = 1,
                                                 .crc32c = 7},
                                        .first_oid = 16384,
                                        .last_oid = 4000000000u,
                                        .bytes = 1ull << 33}}};
  const std::string json = ToJson(m);
  EXPECT_NE(json.find("\"objects\": 20000"), std::string::npos) << json;
  EXPECT_NE(json.find("\"mode\": \"external\""), std::string::npos);
  auto back = ParseManifest(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ToJson(back.value()), json);
  const BlobFile& f = back->large_objects.files.at(0);
  EXPECT_EQ(f.data.rows, 20000u);
  EXPECT_EQ(f.last_oid, 4000000000u);
  EXPECT_EQ(back->stored_bytes(), 5035u + 300u + 1000u) << "blob and content files count";
  EXPECT_EQ(back->raw_bytes(), 10u + (1ull << 33));
  EXPECT_EQ(DescribeLargeObjects(back->large_objects),
            "20000 objects, 8.0 GiB; 19000 distinct contents in blobs/ (4.0 KiB stored once for "
            "several objects)");

  std::string bad = json;
  bad.replace(bad.find("\"external\""), 10, "\"sideways\"");
  EXPECT_EQ(ParseManifest(bad).status().code(), StatusCode::kCorrupt);
}

TEST(Manifest, DatabasePropertiesRoundTrip) {
  Manifest m = Sample();
  m.properties = {
      .settings = {"work_mem=8MB", "search_path=a, \"B c\""},
      .comment = "the shop's data",
      .owner = "app owner",
      .tablespace = "fast",
      .connection_limit = 20,
      .is_template = true,
      .locale_provider = "icu",
      .icu_locale = "de-DE",
      .acl = std::vector<pg::Grant>{{.grantee = "", .grantor = "app owner", .privilege = "CONNECT"},
                                    {.grantee = "reader",
                                     .grantor = "admin",
                                     .privilege = "TEMPORARY",
                                     .grantable = true}},
      .role_settings = {{.role = "reader", .settings = {"statement_timeout=5s"}}}};
  const std::string json = ToJson(m);
  auto back = ParseManifest(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->properties, m.properties);
  EXPECT_EQ(ToJson(back.value()), json);

  // "No ACL" (the default) and "every privilege revoked" stay apart.
  m.properties.acl.reset();
  back = ParseManifest(ToJson(m));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->properties.acl.has_value());
  m.properties.acl.emplace();
  back = ParseManifest(ToJson(m));
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->properties.acl.has_value());
  EXPECT_TRUE(back->properties.acl->empty());
}

TEST(Manifest, ReadsFormatVersionOne) {
  std::string json = ToJson(Sample());
  json.replace(json.find(kVersionField), kVersionField.size(), "\"format_version\": 1");
  auto back = ParseManifest(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->format_version, 1);
}

TEST(Manifest, RecordsChecksumsAsHexAndTotals) {
  const std::string json = ToJson(Sample());
  EXPECT_NE(json.find("\"crc32c\": \"e3069283\""), std::string::npos) << json;
  EXPECT_NE(json.find(kVersionField), std::string::npos);
  EXPECT_NE(json.find("\"where\": \"ctid < '(100,0)'::pg_catalog.tid\""), std::string::npos);
  EXPECT_NE(json.find("\"format\": \"text\""), std::string::npos);
  EXPECT_NE(json.find("\"totals\""), std::string::npos);
}

TEST(Manifest, RefusesNewerVersionsAndDamage) {
  std::string json = ToJson(Sample());
  std::string newer = json;
  newer.replace(newer.find(kVersionField), kVersionField.size(), "\"format_version\": 9");
  EXPECT_EQ(ParseManifest(newer).status().code(), StatusCode::kUnsupported);
  std::string bad_crc = json;
  bad_crc.replace(bad_crc.find("e3069283"), 8, "e30692zz");
  const auto r = ParseManifest(bad_crc);
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.status().message().find("crc32c"), std::string::npos) << r.status().message();
  EXPECT_EQ(ParseManifest(json.substr(0, json.size() / 2)).status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ParseManifest("{\"format\": \"other\"}").status().code(), StatusCode::kCorrupt);
}

TEST(Manifest, MissingManifestMeansIncomplete) {
  TempDir dir;
  const auto r = ReadManifest(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            dir.path() +
                ": no manifest.json: not a complete backup (interrupted, failed, or "
                "still running)");
}

TEST(Manifest, WrittenOwnerOnlyAndReadBack) {
  TempDir dir;
  ASSERT_TRUE(WriteManifest(dir.path(), Sample()).ok());
  struct stat st {};
  ASSERT_EQ(::stat(dir.file(kManifestName).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto m = ReadManifest(dir.path());
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->database, "shop \"eu\"");
}

TEST(Manifest, CheckFilesPresentNamesMissingAndResizedFiles) {
  TempDir dir;
  Manifest m = Sample();
  const auto missing = CheckFilesPresent(dir.path(), m);
  EXPECT_EQ(missing.code(), StatusCode::kCorrupt);
  EXPECT_NE(missing.message().find("schema.dump: listed in the manifest but missing"),
            std::string::npos)
      << missing.message();
  ASSERT_EQ(::mkdir(dir.file("data").c_str(), 0700), 0);
  ASSERT_TRUE(io::WriteFileAtomic(dir.file("schema.dump"), std::string(5000, 's')).ok());
  ASSERT_TRUE(io::WriteFileAtomic(dir.file("data/00001.gz"), std::string(34, 'd')).ok());
  const auto resized = CheckFilesPresent(dir.path(), m);
  EXPECT_NE(resized.message().find("00001.gz: 34 bytes, the manifest says 35"), std::string::npos)
      << resized.message();
  ASSERT_TRUE(io::WriteFileAtomic(dir.file("data/00001.gz"), std::string(35, 'd')).ok());
  EXPECT_TRUE(CheckFilesPresent(dir.path(), m, {&m.tables[0]}, false).ok())
      << "only the table asked";
  EXPECT_FALSE(CheckFilesPresent(dir.path(), m).ok()) << "the chunks of the second are missing";
  for (const DataFile& f : m.tables[1].files) {
    ASSERT_TRUE(io::WriteFileAtomic(dir.file(f.file), "").ok());
  }
  EXPECT_TRUE(CheckFilesPresent(dir.path(), m).ok());
}

// Format 5: the file ends with its own SHA-256, which ReadManifest checks.
TEST(Manifest, SealedOnDiskAndCheckedOnRead) {
  TempDir dir;
  ASSERT_TRUE(WriteManifest(dir.path(), Sample()).ok());
  const std::string path = dir.file(kManifestName);
  auto text = io::ReadSmallFile(path, 1 << 20);
  ASSERT_TRUE(text.ok());
  const size_t seal = text->rfind("\"manifest_sha256\": \"");
  ASSERT_NE(seal, std::string::npos) << text.value();
  EXPECT_EQ(text->size() - seal, std::string("\"manifest_sha256\": \"\"\n}\n").size() + 64)
      << "the last member, then } and a newline";
  EXPECT_EQ(CheckJsonSeal(text.value()), SealState::kValid);
  auto back = ReadManifest(dir.path());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ToJson(back.value()), ToJson(Sample())) << "the seal is not a field of the manifest";
  EXPECT_EQ(ParseManifest(text.value()).status().code(), StatusCode::kOk)
      << "readers that do not check the seal ignore it";
}

TEST(Manifest, ChangedOrDamagedManifestIsCaught) {
  TempDir dir;
  ASSERT_TRUE(WriteManifest(dir.path(), Sample()).ok());
  const std::string path = dir.file(kManifestName);
  const std::string text = io::ReadSmallFile(path, 1 << 20).value();
  const std::string mismatch =
      path + ": checksum mismatch: the manifest was changed or damaged after the backup wrote it";
  auto read_with = [&](std::string changed) {
    EXPECT_TRUE(io::WriteFileAtomic(path, changed).ok());
    return ReadManifest(dir.path()).status();
  };
  // A row count edited: still a valid manifest, but not the one the backup wrote.
  std::string rows = text;
  rows.replace(rows.find("\"rows\": 5"), 9, "\"rows\": 7");
  EXPECT_EQ(read_with(rows).code(), StatusCode::kCorrupt);
  EXPECT_EQ(read_with(rows).message(), mismatch);
  // One flipped bit anywhere, even one that breaks the JSON: the checksum says what happened.
  for (size_t at : {size_t{0}, text.size() / 3, text.size() / 2, text.size() - 80}) {
    std::string flipped = text;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x04);
    EXPECT_EQ(read_with(flipped).code(), StatusCode::kCorrupt) << "byte " << at;
  }
  std::string seal_digit = text;
  seal_digit[seal_digit.size() - 10] = seal_digit[seal_digit.size() - 10] == '0' ? '1' : '0';
  EXPECT_EQ(read_with(seal_digit).message(), mismatch);
  // Version 5 without its seal: cut short or rewritten by another tool.
  const std::string unsealed = ToJson(Sample());
  EXPECT_EQ(read_with(unsealed).message(),
            path +
                ": no \"manifest_sha256\" at its end: the manifest was cut short, or changed "
                "after the backup wrote it");
  EXPECT_EQ(read_with(text).code(), StatusCode::kOk);
}

TEST(Manifest, FormatFourWithoutSealStillReads) {
  TempDir dir;
  Manifest m = Sample();
  m.format_version = 4;
  m.tables.at(0).name = "manifest_sha256";  // the seal's name elsewhere is not a seal
  ASSERT_TRUE(io::WriteFileAtomic(dir.file(kManifestName), ToJson(m)).ok());
  auto back = ReadManifest(dir.path());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->format_version, 4);
  // A seal that is there is checked, whatever the version says.
  std::string sealed = SealJson(ToJson(m));
  sealed.replace(sealed.find("\"rows\": 5"), 9, "\"rows\": 7");
  ASSERT_TRUE(io::WriteFileAtomic(dir.file(kManifestName), sealed).ok());
  EXPECT_EQ(ReadManifest(dir.path()).status().code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace dbb::engine
