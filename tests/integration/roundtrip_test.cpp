// Backup then restore of the generated database (every built-in type and kind of object), compared
// with the source independently of dbbackup: SQL fingerprints of every table, pg_dump
// --schema-only text, sequence states, materialized views.
#include <gtest/gtest.h>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

using RoundTripTest = ServerTest;

TEST_F(RoundTripTest, GeneratedDatabaseParallel) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  CreateGeneratedDb(*pg_, src, Volume::kBulk);
  RoundTrip(src, dst, {"-j", "2"}, {"--create", "-j", "2"});
}

TEST_F(RoundTripTest, GeneratedDatabaseOneJobIntoExistingEmptyDatabase) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  CreateGeneratedDb(*pg_, src, Volume::kSmall);
  pg_->CreateDatabase(dst);
  RoundTrip(src, dst, {"-j", "1"}, {"-j", "1"});
}

TEST_F(RoundTripTest, GeneratedDatabaseZstd) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  CreateGeneratedDb(*pg_, src, Volume::kSmall);
  RoundTrip(src, dst, {"-j", "2", "--compress-engine", "zstd", "--compress-level", "3"},
            {"--create", "-j", "2"});
}

TEST_F(RoundTripTest, GeneratedDatabaseLibdeflate) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  CreateGeneratedDb(*pg_, src, Volume::kSmall);
  RoundTrip(src, dst, {"-j", "3", "--compress-engine", "libdeflate", "--compress-level", "9"},
            {"--create", "-j", "3"});
}

// More jobs than tables, one compression thread: nothing waits on work that never comes.
TEST_F(RoundTripTest, MoreJobsThanTables) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE one (id integer PRIMARY KEY, v text);\n"
            "INSERT INTO one SELECT g, repeat('x', g % 100) FROM generate_series(1, 1000) g;\n"
            "CREATE TABLE two (a bytea);\n"
            "INSERT INTO two VALUES ('\\x00'), (NULL);\n");
  RoundTrip(src, dst, {"-j", "8", "--compress-threads", "1"}, {"--create", "-j", "8"});
}

// The lowest and highest level of each engine, and the smallest and largest page size.
TEST_F(RoundTripTest, EngineLevelAndPageSizeBoundaries) {
  const std::string src = TestDbName("src");
  DropAtEnd drop(*pg_, {src});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE t (id integer, v text, b bytea);\n"
            "INSERT INTO t SELECT g, repeat(md5(g::text), g % 7), decode(md5(g::text), 'hex') "
            "FROM generate_series(1, 5000) g;\n"
            "CREATE TABLE e (x integer);\n");
  const auto expected = TableFingerprints(*pg_, src);
  const std::vector<std::vector<std::string>> cases = {
      {"--compress-engine", "isal", "--compress-level", "0"},
      {"--compress-engine", "isal", "--compress-level", "3", "--page-size", "64KiB"},
      {"--compress-engine", "libdeflate", "--compress-level", "1", "--page-size", "32MiB"},
      {"--compress-engine", "libdeflate", "--compress-level", "12"},
      {"--compress-engine", "zstd", "--compress-level", "1", "--page-size", "64KiB"},
      {"--compress-engine", "zstd", "--compress-level", "19"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string label;
    for (const auto& a : cases[i]) label += a + " ";
    SCOPED_TRACE(label);
    const std::string dst = TestDbName("d" + std::to_string(i));
    DropAtEnd drop_dst(*pg_, {dst});
    TempDir tmp;
    if (Backup(*pg_, src, tmp.file("b"), cases[i]).exit_code != 0) continue;
    if (Restore(*pg_, tmp.file("b"), dst, {"--create"}).exit_code != 0) continue;
    ExpectSameEntries(expected, TableFingerprints(*pg_, dst), "table content");
  }
}

// A database that has no tables at all: the backup holds only the schema (and no data files).
TEST_F(RoundTripTest, DatabaseWithoutTables) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE SCHEMA s; CREATE SEQUENCE s.q; SELECT setval('s.q', 5);\n"
            "CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
            "CREATE VIEW s.v AS SELECT 1 AS one;\n");
  const DbSnapshot before = TakeSnapshot(*pg_, src);
  TempDir tmp;
  const std::string dir = tmp.file("backup");
  if (Backup(*pg_, src, dir).exit_code != 0) return;
  if (Restore(*pg_, dir, dst, {"--create"}).exit_code != 0) return;
  const DbSnapshot after = TakeSnapshot(*pg_, dst);
  ExpectSameEntries(before.sequences, after.sequences, "sequence state");
  ExpectSameText(before.schema, after.schema, "pg_dump --schema-only");
}

}  // namespace
}  // namespace dbb::testing
