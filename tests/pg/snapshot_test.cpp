#include "pg/snapshot.h"

#include <gtest/gtest.h>

#include "pg_test_util.h"

namespace dbb::pg {
namespace {

using SnapshotTest = PgTest;

int64_t Count(Connection& conn) {
  Result<QueryResult> r = conn.Query("SELECT count(*) FROM t");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->GetInt64(0, 0) : -1;
}

// Every connection that imports the snapshot sees the data as it was at export, whatever is
// committed meanwhile.
TEST_F(SnapshotTest, ImportersSeeTheExportedPointInTime) {
  Psql("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100)");
  Connection coordinator = Connect();
  Result<std::string> id = ExportSnapshot(coordinator);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_FALSE(id->empty());

  Connection writer = Connect();
  ASSERT_TRUE(writer.Exec("INSERT INTO t SELECT generate_series(101, 150)").ok());
  ASSERT_TRUE(writer.Exec("DELETE FROM t WHERE id <= 10").ok());

  Connection worker = Connect();
  ASSERT_TRUE(ImportSnapshot(worker, *id).ok());
  EXPECT_EQ(Count(worker), 100);
  EXPECT_EQ(Count(coordinator), 100);
  ASSERT_TRUE(writer.Exec("INSERT INTO t VALUES (1000)").ok());
  EXPECT_EQ(Count(worker), 100);
  EXPECT_EQ(Count(writer), 141);

  // The transactions are read-only.
  Status st = worker.Exec("INSERT INTO t VALUES (1)");
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_TRUE(st.message().starts_with("ERROR 25006: ")) << st.message();
}

TEST_F(SnapshotTest, UnknownSnapshotIsNamed) {
  Connection conn = Connect();
  Status st = ImportSnapshot(conn, "00000003-0000001B-1");
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_TRUE(
      st.message().starts_with("import snapshot 00000003-0000001B-1 (the exporting "
                               "transaction must still be open): ERROR 22023: "))
      << st.message();
  // Not left in a failed transaction.
  EXPECT_TRUE(conn.Query("SELECT 1").ok());
}

TEST_F(SnapshotTest, SnapshotEndsWithTheExportingTransaction) {
  Connection coordinator = Connect();
  Result<std::string> id = ExportSnapshot(coordinator);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(coordinator.Exec("COMMIT").ok());
  Connection worker = Connect();
  Status st = ImportSnapshot(worker, *id);
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_NE(st.message().find("ERROR 22023: invalid snapshot identifier"), std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace dbb::pg
