// Round trips of what belongs to a database beyond its tables: how it is named and reached
// (conninfo, URI, names that need quoting), its settings and comment, large objects, extension
// types. Compared as in roundtrip_test.
#include <gtest/gtest.h>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

using DatabaseTest = ServerTest;

// Types from extensions (contrib's hstore and citext), in columns, arrays and a domain.
TEST_F(DatabaseTest, ExtensionTypes) {
  if (pg_->Psql("postgres",
                "SELECT count(*) FROM pg_available_extensions WHERE name IN "
                "('hstore', 'citext')") != "2\n") {
    GTEST_SKIP() << "this server has no hstore/citext extensions (postgresql-contrib)";
  }
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE SCHEMA ext;\n"
            "CREATE EXTENSION hstore SCHEMA ext;\n"
            "CREATE EXTENSION citext;\n"
            "CREATE DOMAIN email AS citext CHECK (VALUE LIKE '%@%');\n"
            "CREATE TABLE t (id integer PRIMARY KEY, h ext.hstore, hs ext.hstore[], c citext,"
            " cs citext[], e email);\n"
            "INSERT INTO t SELECT g, ext.hstore(ARRAY['k' || g, 'v', 'nul'], ARRAY['x', NULL, "
            "'NULL']), ARRAY[ext.hstore('a', g::text), NULL], 'MiXeD ' || g, ARRAY['A', 'b'], "
            "'U' || g || '@Example.com' FROM generate_series(1, 2000) g;\n"
            "CREATE UNIQUE INDEX t_c_idx ON t (c);\n");
  RoundTrip(src, dst, {"-j", "2"}, {"--create", "-j", "2"});
}

// DBNAME given as a conninfo string and as a postgresql:// URI (socket directory as host).
TEST_F(DatabaseTest, DatabaseAsConninfoAndUri) {
  const std::string src = TestDbName("src"), dst1 = TestDbName("dst1"), dst2 = TestDbName("dst2");
  DropAtEnd drop(*pg_, {src, dst1, dst2});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE t (id integer, v text);\n"
            "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 500) g;\n");
  const DbSnapshot before = TakeSnapshot(*pg_, src);
  TempDir tmp;

  const std::string conninfo = pg_->Conninfo(src);
  ProcessResult r1 = RunDbb({"backup", "single", conninfo, "--dir", tmp.file("b1")});
  ASSERT_EQ(r1.exit_code, 0) << conninfo << ": " << r1.Describe();
  if (Restore(*pg_, tmp.file("b1"), dst1, {"--create"}).exit_code == 0) {
    ExpectSameDatabase(before, TakeSnapshot(*pg_, dst1));
  }

  // Percent-encoded socket directory in the host part.
  std::string host;
  for (char c : pg_->socket_dir()) {
    if (c == '/') {
      host += "%2F";
    } else {
      host += c;
    }
  }
  const std::string uri = "postgresql://postgres@" + host + ":" + std::to_string(pg_->port()) +
                          "/" + src + "?application_name=dbb_it";
  ProcessResult r2 = RunDbb({"backup", "single", uri, "--dir", tmp.file("b2")});
  ASSERT_EQ(r2.exit_code, 0) << uri << ": " << r2.Describe();
  if (Restore(*pg_, tmp.file("b2"), dst2, {"--create"}).exit_code == 0) {
    ExpectSameDatabase(before, TakeSnapshot(*pg_, dst2));
  }
}

// Database names that need quoting everywhere (CREATE DATABASE, conninfo, pg_dump/pg_restore
// arguments): spaces, both quote characters, a backslash, non-ASCII, upper case. (Not '=': libpq
// reads a database name containing '=' as a conninfo string, and dbbackup refuses it with
// --create.)
TEST_F(DatabaseTest, DatabaseNamesThatNeedQuoting) {
  const std::string src = "Src \"DB\" ü'x\\ " + TestDbName("s").substr(0, 20);
  const std::string dst = "Dst 'DB' \"ä\" " + TestDbName("d").substr(0, 20);
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE t (id integer PRIMARY KEY, v text);\n"
            "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 300) g;\n"
            "CREATE SEQUENCE s; SELECT setval('s', 9);\n");
  RoundTrip(src, dst, {"-j", "2"}, {"--create", "-j", "2"});
  const nlohmann::json m = [&] {
    TempDir tmp;
    if (Backup(*pg_, src, tmp.file("b")).exit_code != 0) return nlohmann::json();
    return ReadManifest(tmp.file("b"));
  }();
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m.at("database"), src);
}

// With --create, the database's own settings and comment come along (what pg_restore --create
// restores from the same archive).
TEST_F(DatabaseTest, CreateCarriesDatabaseSettingsAndComment) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE t (id integer); INSERT INTO t VALUES (1);\n"
            "ALTER DATABASE " +
                QuoteIdent(src) +
                " SET work_mem = '7MB';\n"
                "ALTER DATABASE " +
                QuoteIdent(src) +
                " SET search_path = app, public;\n"
                "COMMENT ON DATABASE " +
                QuoteIdent(src) + " IS 'the source database';\n");
  TempDir tmp;
  ASSERT_EQ(Backup(*pg_, src, tmp.file("b")).exit_code, 0);
  ASSERT_EQ(Restore(*pg_, tmp.file("b"), dst, {"--create"}).exit_code, 0);
  auto settings = [&](const std::string& db) {
    return pg_->Psql("postgres",
                     "SELECT array_to_string(s.setconfig, ';') FROM pg_db_role_setting s "
                     "JOIN pg_database d ON d.oid = s.setdatabase WHERE s.setrole = 0 AND "
                     "d.datname = " +
                         QuoteLiteral(db));
  };
  auto comment = [&](const std::string& db) {
    return pg_->Psql("postgres",
                     "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                     "WHERE datname = " +
                         QuoteLiteral(db));
  };
  EXPECT_EQ(settings(src), "work_mem=7MB;search_path=app, public\n");
  EXPECT_EQ(settings(dst), settings(src)) << "database settings (ALTER DATABASE ... SET)";
  EXPECT_EQ(comment(dst), comment(src)) << "COMMENT ON DATABASE";
}

// Large objects left out (--no-blobs) are counted and reported by backup, list and restore.
TEST_F(DatabaseTest, LargeObjectsLeftOutAreReportedNotSilentlyLost) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE docs (id integer, blob oid);\n"
            "INSERT INTO docs SELECT g, lo_from_bytea(0, convert_to(repeat('doc ' || g, g * 100), "
            "'UTF8')) FROM generate_series(1, 20) g;\n"
            "SELECT lo_from_bytea(424242, '\\x00ff');\n");
  TempDir tmp;
  const ProcessResult backup = Backup(*pg_, src, tmp.file("b"), {"--no-blobs"});
  ASSERT_EQ(backup.exit_code, 0) << backup.Describe();
  EXPECT_NE(backup.err.find("21 large objects are not backed up (--no-blobs)"), std::string::npos)
      << backup.err;
  const nlohmann::json m = ReadManifest(tmp.file("b"));
  EXPECT_EQ(m["large_objects"]["count"], 21);
  EXPECT_EQ(m["large_objects"]["included"], false);
  const ProcessResult list = RunDbb({"list", tmp.file("b")});
  EXPECT_NE(list.out.find("large objects: 21 in the database, NOT in this backup"),
            std::string::npos)
      << list.out;
  const ProcessResult restore = Restore(*pg_, tmp.file("b"), dst, {"--create"});
  ASSERT_EQ(restore.exit_code, 0) << restore.Describe();
  EXPECT_NE(restore.err.find("21 large objects, which this backup does not hold"),
            std::string::npos)
      << restore.err;
}

}  // namespace
}  // namespace dbb::testing
