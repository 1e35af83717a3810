#include "pg/catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "pg/snapshot.h"
#include "pg_test_util.h"

namespace dbb::pg {
namespace {

using ::testing::ElementsAre;

// One of each kind of relation the data section must (or must not) carry.
constexpr char kSchemaSql[] = R"sql(
CREATE TABLE plain (id int PRIMARY KEY, v text);
INSERT INTO plain SELECT i, repeat('x', 100) FROM generate_series(1, 10000) i;
CREATE TABLE gen (a int, b int GENERATED ALWAYS AS (a * 2) STORED, c text);
CREATE UNLOGGED TABLE unl (x int);
CREATE TABLE parted (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES FROM (0) TO (10);
CREATE TABLE parted_2 PARTITION OF parted FOR VALUES FROM (10) TO (20);
CREATE TABLE parent (id int);
CREATE TABLE child (extra text) INHERITS (parent);
CREATE TABLE dropped_col (a int, b int, c int);
ALTER TABLE dropped_col DROP COLUMN b;
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Mixed ""Case""" (id int);
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TYPE pair AS (a int, b text);
CREATE TABLE typed (d posint, arr int[], r int4range, p pair, pa pair[], mr int4multirange);
CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY);
CREATE TABLE ext_member (id int);
ALTER EXTENSION plpgsql ADD TABLE ext_member;
CREATE VIEW v AS SELECT 1 AS one;
CREATE FOREIGN DATA WRAPPER dummy_fdw;
CREATE SERVER dummy_srv FOREIGN DATA WRAPPER dummy_fdw;
CREATE FOREIGN TABLE ft (id int) SERVER dummy_srv;
-- A base type without binary send/receive (built-in text I/O functions stand in for C ones).
CREATE TYPE nobin;
CREATE FUNCTION nobin_in(cstring) RETURNS nobin AS 'textin' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION nobin_out(nobin) RETURNS cstring AS 'textout' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE nobin (INPUT = nobin_in, OUTPUT = nobin_out, INTERNALLENGTH = VARIABLE);
CREATE DOMAIN nobin_dom AS nobin;
CREATE TABLE textonly (id int, v nobin);
CREATE TABLE textonly_deep (id int, v nobin_dom[]);
CREATE SEQUENCE s1;
SELECT setval('s1', 42);
CREATE SEQUENCE s2 START 5;
CREATE SEQUENCE s3 MINVALUE -100 MAXVALUE -1 START -50 INCREMENT -1;
SELECT nextval('s3');
CREATE MATERIALIZED VIEW mv_b AS SELECT id FROM plain;
CREATE VIEW v_mid AS SELECT id FROM mv_b;
CREATE MATERIALIZED VIEW mv_a AS SELECT id FROM v_mid;
CREATE MATERIALIZED VIEW mv_c AS SELECT id FROM mv_a WITH NO DATA;
CREATE MATERIALIZED VIEW aa_mv AS SELECT 1 AS x;
)sql";

class CatalogTest : public PgTest {
 protected:
  Catalog Read(Connection& conn) {
    Result<std::string> snapshot = ExportSnapshot(conn);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    Result<Catalog> catalog = ReadCatalog(conn);
    EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
    return catalog.ok() ? std::move(catalog).value() : Catalog{};
  }
};

const TableInfo* Find(const Catalog& catalog, const std::string& schema, const std::string& name) {
  for (const TableInfo& t : catalog.tables) {
    if (t.schema == schema && t.name == name) return &t;
  }
  return nullptr;
}

TEST_F(CatalogTest, TablesAsPgDumpSeesThem) {
  Psql(kSchemaSql);
  Connection conn = Connect();
  const Catalog catalog = Read(conn);
  std::vector<std::string> names;
  for (const TableInfo& t : catalog.tables) names.push_back(t.schema + "." + t.name);
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_THAT(sorted, ElementsAre("Odd Schema.Mixed \"Case\"", "public.child", "public.dropped_col",
                                  "public.gen", "public.ident", "public.parent", "public.parted_1",
                                  "public.parted_2", "public.plain", "public.textonly",
                                  "public.textonly_deep", "public.typed", "public.unl"));
  // Largest first.
  ASSERT_FALSE(catalog.tables.empty());
  EXPECT_EQ(catalog.tables[0].name, "plain");
  EXPECT_GT(catalog.tables[0].size_bytes, 1000000u);
  for (size_t i = 1; i < catalog.tables.size(); ++i) {
    EXPECT_GE(catalog.tables[i - 1].size_bytes, catalog.tables[i].size_bytes);
  }

  const TableInfo* plain = Find(catalog, "public", "plain");
  ASSERT_NE(plain, nullptr);
  EXPECT_NE(plain->oid, 0u);
  EXPECT_FALSE(plain->partition);
  EXPECT_FALSE(plain->unlogged);
  EXPECT_THAT(plain->columns, ElementsAre("id", "v"));
  EXPECT_TRUE(plain->binary_ok);
  EXPECT_THAT(Find(catalog, "public", "gen")->columns, ElementsAre("a", "c"));
  EXPECT_THAT(Find(catalog, "public", "dropped_col")->columns, ElementsAre("a", "c"));
  EXPECT_THAT(Find(catalog, "public", "child")->columns, ElementsAre("id", "extra"));
  EXPECT_TRUE(Find(catalog, "public", "unl")->unlogged);
  EXPECT_TRUE(Find(catalog, "public", "parted_1")->partition);
  EXPECT_FALSE(Find(catalog, "public", "child")->partition);
  EXPECT_THAT(Find(catalog, "Odd Schema", "Mixed \"Case\"")->columns, ElementsAre("id"));
}

// Binary COPY needs send/receive for every type a column reaches: through domains, arrays,
// ranges, multiranges and composites.
TEST_F(CatalogTest, BinaryOkFollowsTypesToTheirParts) {
  Psql(kSchemaSql);
  Connection conn = Connect();
  const Catalog catalog = Read(conn);
  EXPECT_TRUE(Find(catalog, "public", "typed")->binary_ok);
  EXPECT_FALSE(Find(catalog, "public", "textonly")->binary_ok);
  EXPECT_FALSE(Find(catalog, "public", "textonly_deep")->binary_ok);
  EXPECT_TRUE(Find(catalog, "public", "ident")->binary_ok);
}

TEST_F(CatalogTest, SequenceStates) {
  Psql(kSchemaSql);
  Connection conn = Connect();
  const Catalog catalog = Read(conn);
  std::vector<std::string> states;
  for (const SequenceInfo& s : catalog.sequences) {
    states.push_back(s.schema + "." + s.name + "=" + s.last_value + (s.is_called ? " t" : " f"));
  }
  EXPECT_THAT(states, ElementsAre("public.ident_id_seq=1 f", "public.s1=42 t", "public.s2=5 f",
                                  "public.s3=-50 t"));
}

// A materialized view comes after those it reads, also through a plain view.
TEST_F(CatalogTest, MatViewsInRefreshOrder) {
  Psql(kSchemaSql);
  Connection conn = Connect();
  const Catalog catalog = Read(conn);
  std::vector<std::string> order;
  for (const MatViewInfo& m : catalog.matviews) {
    order.push_back(m.schema + "." + m.name + (m.populated ? "" : " (empty)"));
  }
  EXPECT_THAT(order,
              ElementsAre("public.aa_mv", "public.mv_b", "public.mv_a", "public.mv_c (empty)"));
}

TEST_F(CatalogTest, CopySqlQuotesEverything) {
  Connection conn = Connect();
  const TableInfo table{.schema = "Odd Schema", .name = "Mixed \"Case\"", .columns = {"id", "A b"}};
  EXPECT_EQ(
      CopyOutSql(conn, table, true),
      "COPY \"Odd Schema\".\"Mixed \"\"Case\"\"\" (\"id\", \"A b\") TO STDOUT (FORMAT binary)");
  EXPECT_EQ(CopyOutSql(conn, table, false),
            "COPY \"Odd Schema\".\"Mixed \"\"Case\"\"\" (\"id\", \"A b\") TO STDOUT");
  EXPECT_EQ(CopyInSql(conn, "s", "t", {"x"}, true),
            "COPY \"s\".\"t\" (\"x\") FROM STDIN (FORMAT binary)");
  EXPECT_EQ(CopyInSql(conn, "s", "t", {}, false), "COPY \"s\".\"t\" FROM STDIN");
  EXPECT_EQ(QualifiedName(conn, "a", "b"), "\"a\".\"b\"");
}

// A session holding ACCESS EXCLUSIVE makes the lock wait time out, naming the table and the fix.
TEST_F(CatalogTest, LockWaitTimesOutNamingTheTable) {
  Psql("CREATE TABLE busy (id int); CREATE TABLE free (id int)");
  Connection holder = Connect();
  ASSERT_TRUE(holder.Exec("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE").ok());
  Connection conn = Connect();
  ASSERT_TRUE(ExportSnapshot(conn).ok());
  const auto start = std::chrono::steady_clock::now();
  Result<Catalog> catalog = ReadCatalog(conn, /*lock_wait_timeout_ms=*/300);
  // A hang detector, not a speed check: without the timeout this waits forever.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), StatusCode::kServer);
  EXPECT_EQ(catalog.status().message(),
            "table \"public\".\"busy\": ACCESS SHARE lock not granted within 300 ms: another "
            "session holds a conflicting lock; raise --lock-wait-timeout or stop the session "
            "holding the lock (ERROR 55P03: canceling statement due to lock timeout (while: LOCK "
            "TABLE ONLY \"public\".\"busy\" IN ACCESS SHARE MODE))");
}

TEST_F(CatalogTest, LockTablesHoldsLocksUntilTheEnd) {
  Psql("CREATE TABLE t1 (id int)");
  Connection conn = Connect();
  ASSERT_TRUE(ExportSnapshot(conn).ok());
  Result<Catalog> catalog = ReadCatalog(conn);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_TRUE(LockTables(conn, catalog->tables, 1000).ok());
  // The lock_timeout used for locking does not linger in the transaction.
  Result<QueryResult> timeout = conn.Query("SHOW lock_timeout");
  ASSERT_TRUE(timeout.ok());
  EXPECT_EQ(timeout->Get(0, 0), "0");
  // Another session cannot drop the table while the backup holds its lock.
  Connection other = Connect();
  ASSERT_TRUE(other.Exec("SET lock_timeout = 200").ok());
  Status drop = other.Exec("DROP TABLE t1");
  EXPECT_EQ(drop.code(), StatusCode::kServer);
  EXPECT_TRUE(drop.message().starts_with("ERROR 55P03: ")) << drop.message();
}

TEST_F(CatalogTest, DroppedTableIsNamed) {
  Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("BEGIN").ok());
  Status st = LockTables(conn, {TableInfo{.schema = "public", .name = "gone"}}, 0);
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_TRUE(st.message().starts_with(
      "table \"public\".\"gone\" was dropped after the catalog was read; run the backup again "
      "(ERROR 42P01: "))
      << st.message();
}

TEST_F(CatalogTest, DescribeUserObjects) {
  Connection conn = Connect();
  Result<std::string> none = DescribeUserObjects(conn);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, "");

  Psql("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'");
  EXPECT_EQ(DescribeUserObjects(conn).value(), "1 user object, e.g. function public.f");
  Psql("CREATE TABLE t (id int)");
  EXPECT_EQ(DescribeUserObjects(conn).value(), "2 user objects, e.g. table public.t");
  Psql("DROP TABLE t; DROP FUNCTION f()");

  for (const char* sql : {"CREATE SCHEMA s", "SELECT lo_create(0)", "CREATE TYPE e AS ENUM ('a')",
                          "CREATE SEQUENCE q", "CREATE VIEW w AS SELECT 1"}) {
    SCOPED_TRACE(sql);
    Psql(sql);
    Result<std::string> some = DescribeUserObjects(conn);
    ASSERT_TRUE(some.ok()) << some.status().ToString();
    EXPECT_NE(*some, "");
  }
}

}  // namespace
}  // namespace dbb::pg
