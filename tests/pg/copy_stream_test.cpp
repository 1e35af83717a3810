#include "pg/copy_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "pg/catalog.h"
#include "pg_test_util.h"

namespace dbb::pg {
namespace {

class CopyStreamTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped()) return;
    // Types with distinct binary encodings, NULLs, and text that needs escaping in text COPY.
    Psql(
        "CREATE TABLE src (id int, t text, b bytea, n numeric, ts timestamptz, j jsonb,"
        " a int[], f float8, r int4range);"
        "INSERT INTO src SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'row ' || i || E'\\t\\n\\\\'"
        " END, pg_catalog.decode(pg_catalog.md5(i::text), 'hex'), i * 1.5, "
        "'2024-01-01'::timestamptz"
        " + i * interval '1 minute', pg_catalog.jsonb_build_object('k', i), ARRAY[i, NULL, -i],"
        " 1.0 / (i + 3), int4range(i, i + 10) FROM generate_series(1, 5000) i;"
        "CREATE TABLE dst (LIKE src)");
  }

  // Rows in one table and not the other, both ways: 0 when the copies are identical.
  int64_t Differences(Connection& conn) {
    Result<QueryResult> r = conn.Query(
        "SELECT (SELECT count(*) FROM (SELECT * FROM src EXCEPT ALL SELECT * FROM dst) x) +"
        " (SELECT count(*) FROM (SELECT * FROM dst EXCEPT ALL SELECT * FROM src) y)");
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->GetInt64(0, 0) : -1;
  }

  // Copies src into dst through a buffer, sending it in pieces of `piece_bytes`.
  void RoundTrip(bool binary, size_t piece_bytes) {
    Connection out = Connect();
    Connection in = Connect();
    ASSERT_TRUE(in.Exec("TRUNCATE dst").ok());
    std::vector<std::byte> data;
    size_t calls = 0;
    const std::vector<std::string> columns = {"id", "t", "b", "n", "ts", "j", "a", "f", "r"};
    const TableInfo src{.schema = "public", .name = "src", .columns = columns};
    Result<uint64_t> rows = CopyOut(out, CopyOutSql(out, src, binary), [&](auto bytes) {
      ++calls;
      data.insert(data.end(), bytes.begin(), bytes.end());
      return Status::Ok();
    });
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    EXPECT_EQ(*rows, 5000u);
    EXPECT_GE(calls, 5000u);  // one piece per row, at least

    Result<CopyIn> copy = CopyIn::Start(in, CopyInSql(in, "public", "dst", columns, binary));
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    for (size_t at = 0; at < data.size(); at += piece_bytes) {
      const size_t n = std::min(piece_bytes, data.size() - at);
      ASSERT_TRUE(copy->Put(std::span<const std::byte>(data).subspan(at, n)).ok());
    }
    Result<uint64_t> loaded = copy->Finish();
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(*loaded, 5000u);
    EXPECT_EQ(Differences(in), 0);
  }
};

TEST_F(CopyStreamTest, BinaryRoundTripInOddPieces) {
  for (size_t piece : {size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}, size_t{1} << 20}) {
    SCOPED_TRACE(piece);
    RoundTrip(/*binary=*/true, piece);
  }
}

TEST_F(CopyStreamTest, TextRoundTrip) { RoundTrip(/*binary=*/false, 65536); }

// A failing sink (a full disk) stops the COPY: its error comes back, the server's command is
// cancelled, and the connection is ready for the next command.
TEST_F(CopyStreamTest, SinkErrorIsReturnedAndConnectionStaysUsable) {
  Psql("INSERT INTO src SELECT * FROM src; INSERT INTO src SELECT * FROM src");
  Connection conn = Connect();
  int calls = 0;
  Result<uint64_t> rows = CopyOut(conn, "COPY src TO STDOUT (FORMAT binary)", [&](auto) {
    return ++calls == 10 ? Status(StatusCode::kNoSpace, "disk full") : Status::Ok();
  });
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kNoSpace);
  EXPECT_EQ(rows.status().message(), "disk full");
  EXPECT_EQ(calls, 10);  // not called again after its error
  Result<QueryResult> r = conn.Query("SELECT count(*) FROM src");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->GetInt64(0, 0), 20000);
}

TEST_F(CopyStreamTest, CopyOutOfMissingTableIsServerError) {
  Connection conn = Connect();
  Result<uint64_t> rows = CopyOut(conn, "COPY nope TO STDOUT", [](auto) { return Status::Ok(); });
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kServer);
  EXPECT_EQ(rows.status().message(),
            "ERROR 42P01: relation \"nope\" does not exist (while: COPY nope TO STDOUT)");
  EXPECT_TRUE(conn.Query("SELECT 1").ok());
}

// What a stop request does: another thread cancels the running COPY. Rows of 10 kB fill the
// server's send buffer one by one, and the query sleeps per row, so the cancel lands mid-stream.
TEST_F(CopyStreamTest, CopyOutCancelledByAnotherThread) {
  Psql("CREATE TABLE slow AS SELECT i FROM generate_series(1, 200) i");
  Connection conn = Connect();
  std::atomic<int> calls{0};
  std::thread canceller([&] {
    while (calls < 3) std::this_thread::yield();
    conn.Cancel();
  });
  Result<uint64_t> rows = CopyOut(
      conn, "COPY (SELECT i, repeat('x', 10000), pg_sleep(0.05) FROM slow) TO STDOUT", [&](auto) {
        ++calls;
        return Status::Ok();
      });
  canceller.join();
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kServer);
  EXPECT_TRUE(rows.status().message().starts_with("ERROR 57014: ")) << rows.status().message();
  EXPECT_LT(calls, 200);
  EXPECT_TRUE(conn.Query("SELECT 1").ok());
}

TEST_F(CopyStreamTest, BadRowIsServerErrorAtFinish) {
  Connection conn = Connect();
  Result<CopyIn> copy = CopyIn::Start(conn, "COPY dst (id) FROM STDIN");
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  const std::string data = "1\nnot-a-number\n3\n";
  ASSERT_TRUE(copy->Put(std::as_bytes(std::span(data.data(), data.size()))).ok());
  Result<uint64_t> loaded = copy->Finish();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kServer);
  EXPECT_TRUE(loaded.status().message().starts_with(
      "ERROR 22P02: invalid input syntax for type integer: \"not-a-number\""))
      << loaded.status().message();
  EXPECT_NE(loaded.status().message().find("(while: COPY dst (id) FROM STDIN)"), std::string::npos)
      << loaded.status().message();
  Result<QueryResult> r = conn.Query("SELECT count(*) FROM dst");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->GetInt64(0, 0), 0);
}

// Once the server has failed the COPY, more data is refused with the server's error.
TEST_F(CopyStreamTest, PutAfterServerErrorReportsIt) {
  Connection conn = Connect();
  Result<CopyIn> copy = CopyIn::Start(conn, "COPY dst (id) FROM STDIN");
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  const std::string bad = "x\n";
  std::string good;
  for (int i = 0; i < 10000; ++i) good += "1\n";
  Status st = copy->Put(std::as_bytes(std::span(bad.data(), bad.size())));
  for (int i = 0; i < 2000 && st.ok(); ++i) {
    st = copy->Put(std::as_bytes(std::span(good.data(), good.size())));
  }
  if (st.ok()) {
    // libpq may buffer everything without noticing; then Finish reports it.
    Result<uint64_t> loaded = copy->Finish();
    ASSERT_FALSE(loaded.ok());
    st = loaded.status();
  }
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_TRUE(st.message().starts_with("ERROR 22P02: ")) << st.message();
  EXPECT_TRUE(conn.Query("SELECT 1").ok());
}

// A connection lost in the middle of COPY FROM ends in an error, not a hang.
TEST_F(CopyStreamTest, LostConnectionDuringCopyInIsAnError) {
  Connection conn = Connect();
  Result<QueryResult> pid = conn.Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  Result<CopyIn> copy = CopyIn::Start(conn, "COPY dst (id) FROM STDIN");
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  Psql("SELECT pg_terminate_backend(" + std::string(pid->Get(0, 0)) + ")");
  std::string rows;
  for (int i = 0; i < 10000; ++i) rows += "1\n";
  Status st;
  for (int i = 0; i < 1000 && st.ok(); ++i) {
    st = copy->Put(std::as_bytes(std::span(rows.data(), rows.size())));
  }
  if (st.ok()) {
    Result<uint64_t> loaded = copy->Finish();
    ASSERT_FALSE(loaded.ok());
    st = loaded.status();
  }
  EXPECT_TRUE(st.code() == StatusCode::kConnection || st.code() == StatusCode::kServer)
      << st.ToString();
}

TEST_F(CopyStreamTest, AbortRollsBack) {
  Connection conn = Connect();
  {
    Result<CopyIn> copy = CopyIn::Start(conn, "COPY dst (id) FROM STDIN");
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    const std::string data = "1\n2\n";
    ASSERT_TRUE(copy->Put(std::as_bytes(std::span(data.data(), data.size()))).ok());
    copy->Abort("test abort");
  }
  {
    // Dropped without Finish: aborted too.
    Result<CopyIn> copy = CopyIn::Start(conn, "COPY dst (id) FROM STDIN");
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    const std::string data = "3\n";
    ASSERT_TRUE(copy->Put(std::as_bytes(std::span(data.data(), data.size()))).ok());
  }
  Result<QueryResult> r = conn.Query("SELECT count(*) FROM dst");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->GetInt64(0, 0), 0);
}

TEST_F(CopyStreamTest, StartOnMissingTableIsServerError) {
  Connection conn = Connect();
  Result<CopyIn> copy = CopyIn::Start(conn, "COPY nope FROM STDIN");
  ASSERT_FALSE(copy.ok());
  EXPECT_EQ(copy.status().code(), StatusCode::kServer);
  EXPECT_EQ(copy.status().message(),
            "ERROR 42P01: relation \"nope\" does not exist (while: COPY nope FROM STDIN)");
  EXPECT_TRUE(conn.Query("SELECT 1").ok());
}

// psql, not our reader, decodes what CopyOut wrote: the stream is plain COPY format.
TEST_F(CopyStreamTest, ReferenceToolReadsOurStream) {
  Connection conn = Connect();
  std::string text;
  Result<uint64_t> rows = CopyOut(conn, "COPY src TO STDOUT", [&](auto bytes) {
    text.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return Status::Ok();
  });
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  Psql("COPY dst FROM STDIN;\n" + text + "\\.\n");
  EXPECT_EQ(Differences(conn), 0);
}

}  // namespace
}  // namespace dbb::pg
