#include "pg/pg_tools.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "pg/snapshot.h"
#include "pg_test_util.h"

namespace dbb::pg {
namespace {

class PgToolsTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped()) return;
    char dir[] = "/tmp/dbb-pgtools-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    PgTest::TearDown();
  }
  std::string dir_;
};

TEST_F(PgToolsTest, FindsToolsForThisServer) {
  Connection conn = Connect();
  for (const char* tool : {"pg_dump", "pg_restore", "pg_dumpall", "psql"}) {
    Result<std::string> path = FindTool(tool, conn.server_version_num());
    ASSERT_TRUE(path.ok()) << path.status().ToString();
    EXPECT_EQ(::access(path->c_str(), X_OK), 0) << *path;
  }
}

TEST_F(PgToolsTest, TooOldOrMissingToolNamesTheFix) {
  Result<std::string> dump = FindTool("pg_dump", 990001);
  ASSERT_FALSE(dump.ok());
  EXPECT_EQ(dump.status().code(), StatusCode::kUnsupported);
  const std::string& msg = dump.status().message();
  EXPECT_TRUE(msg.starts_with("pg_dump ")) << msg;
  EXPECT_TRUE(msg.ends_with(" cannot dump a PostgreSQL 99 server; install postgresql-client-99"))
      << msg;

  // Each tool says what it cannot do with that server.
  for (const auto& [tool, verb] :
       {std::pair{"pg_dumpall", "dump"}, std::pair{"pg_restore", "restore into"},
        std::pair{"psql", "run against"}}) {
    Result<std::string> old = FindTool(tool, 990001);
    ASSERT_FALSE(old.ok()) << tool;
    EXPECT_TRUE(old.status().message().ends_with(
        std::string(" cannot ") + verb + " a PostgreSQL 99 server; install postgresql-client-99"))
        << old.status().message();
  }

  Result<std::string> missing = FindTool("dbb_no_such_tool", 150000);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(missing.status().message(),
            "dbb_no_such_tool not found (looked on PATH and in /usr/lib/postgresql/*/bin); "
            "install postgresql-client-15");
}

// The schema is taken at the snapshot: a table created after the export is not in the archive.
// pg_restore replays it into an empty database.
TEST_F(PgToolsTest, DumpAtSnapshotAndRestoreSections) {
  Psql(
      "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY, v text);"
      "CREATE INDEX t_v ON app.t (v); COMMENT ON TABLE app.t IS 'kept';");
  Connection coordinator = Connect();
  Result<std::string> snapshot = ExportSnapshot(coordinator);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  Psql("CREATE TABLE app.later (id int)");

  const std::string archive = dir_ + "/schema.dump";
  Status dumped = DumpSchema(
      coordinator, {.snapshot = *snapshot, .out_path = archive, .lock_wait_timeout_ms = 5000});
  ASSERT_TRUE(dumped.ok()) << dumped.ToString();
  struct stat st {};
  ASSERT_EQ(::stat(archive.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_GT(st.st_size, 0);

  const std::string target = db_ + "_target";
  server_->DropDatabase(target);
  server_->CreateDatabase(target);
  {
    Result<Connection> conn = Connection::Open(Params(target));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    for (const char* section : {"pre-data", "post-data"}) {
      Status restored =
          RestoreSection(*conn, {.archive_path = archive, .section = section, .jobs = 2});
      ASSERT_TRUE(restored.ok()) << section << ": " << restored.ToString();
    }
    Result<QueryResult> r = conn->Query(
        "SELECT string_agg(c.relname, ',' ORDER BY c.relname), obj_description('app.t'::regclass)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app'");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->Get(0, 0), "t,t_pkey,t_v");
    EXPECT_EQ(r->Get(0, 1), "kept");
  }
  server_->DropDatabase(target);
}

TEST_F(PgToolsTest, DumpFailureCarriesPgDumpsWords) {
  Connection conn = Connect();
  Status st = DumpSchema(conn, {.snapshot = "00000003-0000001B-1", .out_path = dir_ + "/x.dump"});
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_TRUE(st.message().starts_with("pg_dump failed (exit 1): ")) << st.message();
  EXPECT_NE(st.message().find("invalid snapshot identifier"), std::string::npos) << st.message();
}

TEST_F(PgToolsTest, RestoreFailureStopsAtTheFirstError) {
  Psql("CREATE TABLE t (id int)");
  Connection coordinator = Connect();
  Result<std::string> snapshot = ExportSnapshot(coordinator);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  const std::string archive = dir_ + "/schema.dump";
  ASSERT_TRUE(DumpSchema(coordinator, {.snapshot = *snapshot, .out_path = archive}).ok());
  // Restoring into the same database: the table exists already.
  Connection conn = Connect();
  Status st = RestoreSection(conn, {.archive_path = archive, .section = "pre-data"});
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_TRUE(st.message().starts_with("pg_restore failed (exit 1): ")) << st.message();
  EXPECT_NE(st.message().find("already exists"), std::string::npos) << st.message();
}

TEST_F(PgToolsTest, StopRequestedIsCancelled) {
  Connection conn = Connect();
  StopSource stop;
  stop.Request("interrupted");
  Status st =
      RestoreSection(conn, {.archive_path = dir_ + "/none", .section = "pre-data", .stop = &stop});
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace dbb::pg
