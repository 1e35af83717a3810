// Tables split into block ranges (--chunk-size): every row lands in exactly one chunk, chunks are
// named and described in the manifest, restore loads them concurrently; and a row far larger
// than a page goes through in one piece.
#include <gtest/gtest.h>

#include <regex>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

using ChunkedTest = ServerTest;

// The generated database (partitions, inheritance, every type) with its larger tables split.
TEST_F(ChunkedTest, GeneratedDatabaseWithSmallChunks) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  CreateGeneratedDb(*pg_, src, Volume::kBulk);
  RoundTrip(src, dst, {"-j", "3", "--chunk-size", "1MB"}, {"--create", "-j", "3"});
}

// A table with holes (deleted and updated rows) and an inheritance child: the chunks' rows add up
// to the parent's own rows (the child is not read through the parent), each chunk is a TID range
// scan of its blocks, and the files say which table and chunk they hold.
TEST_F(ChunkedTest, ChunksHoldEveryRowOnceAndAreNamedByTable) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE big (id integer PRIMARY KEY, v text);\n"
            "INSERT INTO big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 60000) g;\n"
            "DELETE FROM big WHERE id % 7 = 0;\n"
            "UPDATE big SET v = 'updated' WHERE id % 11 = 0;\n"
            "CREATE TABLE big_child (extra integer) INHERITS (big);\n"
            "INSERT INTO big_child SELECT g, 'child', g FROM generate_series(1, 500) g;\n"
            "CREATE TABLE small (id integer);\n"
            "INSERT INTO small VALUES (1), (2);\n");
  const DbSnapshot before = TakeSnapshot(*pg_, src);
  TempDir tmp;
  const std::string dir = tmp.file("backup");
  ASSERT_EQ(Backup(*pg_, src, dir, {"-j", "4", "--chunk-size", "1MB"}).exit_code, 0);

  const nlohmann::json m = ReadManifest(dir);
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m["format_version"], 5);
  ExpectManifestMatches(*pg_, m, before.tables);
  const nlohmann::json* big = nullptr;
  for (const auto& t : m["tables"]) {
    if (t["name"] == "big") big = &t;
    if (t["name"] == "small") {
      EXPECT_EQ(t["files"].size(), 1u) << "small tables are not split";
    }
  }
  ASSERT_NE(big, nullptr);
  const auto& files = (*big)["files"];
  ASSERT_GE(files.size(), 3u) << big->dump(1);
  const std::regex name(R"(data/\d{5}\.public\.big\.\d{4}\.gz)");
  uint64_t rows = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    const std::string file = f["file"];
    EXPECT_TRUE(std::regex_match(file, name)) << file;
    EXPECT_NE(file.find("." + std::string(4 - std::to_string(i + 1).size(), '0') +
                        std::to_string(i + 1) + ".gz"),
              std::string::npos)
        << file << " is chunk " << i + 1;
    const std::string where = f["blocks"]["where"];
    // Chunk i starts where chunk i-1 ended; the last has no end.
    if (i == 0) {
      EXPECT_EQ(f["blocks"]["first"], 0);
    } else {
      EXPECT_EQ(f["blocks"]["first"], files[i - 1]["blocks"]["end"]);
    }
    if (i + 1 == files.size()) {
      EXPECT_TRUE(f["blocks"]["end"].is_null());
    }
    EXPECT_EQ(pg_->Psql(src, "SELECT count(*) FROM ONLY big WHERE " + where),
              std::to_string(f["rows"].get<uint64_t>()) + "\n")
        << where;
    const std::string plan = pg_->Psql(src, "EXPLAIN SELECT * FROM ONLY big WHERE " + where);
    if (!where.empty()) {
      EXPECT_NE(plan.find("Tid Range Scan"), std::string::npos) << plan;
    }
    rows += f["rows"].get<uint64_t>();
  }
  EXPECT_EQ(std::to_string(rows) + "\n", pg_->Psql(src, "SELECT count(*) FROM ONLY big"));

  ASSERT_EQ(Restore(*pg_, dir, dst, {"--create", "-j", "4"}).exit_code, 0);
  ExpectSameDatabase(before, TakeSnapshot(*pg_, dst));
}

// --chunk-size 0 never splits, nor does auto for a small database (chunks are at least 64 MiB);
// a bad size is a usage error naming the option.
TEST_F(ChunkedTest, ChunkSizeZeroAndBadValues) {
  const std::string src = TestDbName("src");
  DropAtEnd drop(*pg_, {src});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE big (id integer, v text);\n"
            "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 50000) g;\n");
  TempDir tmp;
  ASSERT_EQ(Backup(*pg_, src, tmp.file("b"), {"--chunk-size", "0"}).exit_code, 0);
  const nlohmann::json m = ReadManifest(tmp.file("b"));
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m["tables"][0]["files"].size(), 1u);
  EXPECT_FALSE(m["tables"][0]["files"][0].contains("blocks"));
  ASSERT_EQ(Backup(*pg_, src, tmp.file("auto"), {"--chunk-size", "auto", "-j", "8"}).exit_code, 0);
  EXPECT_EQ(ReadManifest(tmp.file("auto"))["tables"][0]["files"].size(), 1u);
  for (const std::string bad : {"12KB", "lots", "-1MB"}) {
    std::vector<std::string> args = {"backup", "single",      src,
                                     "--dir",  tmp.file("x"), "--chunk-size=" + bad};
    for (const auto& a : pg_->ConnArgs()) args.push_back(a);
    const ProcessResult r = RunDbb(args);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.Describe();
    EXPECT_NE(r.err.find("--chunk-size"), std::string::npos) << r.err;
  }
}

// --verbose states the memory bound before the data and where the time went after it.
TEST_F(ChunkedTest, VerboseShowsTheMemoryBoundAndWhereTheTimeWent) {
  const std::string src = TestDbName("src");
  DropAtEnd drop(*pg_, {src});
  pg_->CreateDatabase(src);
  pg_->Psql(src, "CREATE TABLE t (id integer); INSERT INTO t SELECT generate_series(1, 1000);");
  TempDir tmp;
  std::vector<std::string> args = {"--verbose", "backup", "single", src, "--dir", tmp.file("b")};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  const ProcessResult r = RunDbb(args);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.err.find("memory bound: page pipeline"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2x the largest row"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("where the data phase's time went"), std::string::npos) << r.err;
}

// One value of 48 MiB (many pages, far beyond a libpq buffer's usual size) in binary COPY, next to
// ordinary rows; big rows bound memory per connection, not in total.
TEST_F(ChunkedTest, HugeByteaValueRoundTrips) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(
      src,
      "CREATE TABLE huge (id integer PRIMARY KEY, payload bytea);\n"
      "ALTER TABLE huge ALTER COLUMN payload SET STORAGE EXTERNAL;\n"
      "INSERT INTO huge SELECT 1, string_agg(decode(md5(g::text), 'hex'), ''::bytea "
      "ORDER BY g) FROM generate_series(1, 3 * 1024 * 1024) g;\n"
      "INSERT INTO huge SELECT g, decode(md5(g::text), 'hex') FROM generate_series(2, 1000) g;\n");
  RoundTrip(src, dst, {"-j", "2", "--page-size", "256KiB"}, {"--create", "-j", "2"});
  EXPECT_EQ(pg_->Psql(dst, "SELECT length(payload) FROM huge WHERE id = 1"), "50331648\n");
}

}  // namespace
}  // namespace dbb::testing
