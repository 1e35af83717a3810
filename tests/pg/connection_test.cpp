#include "pg/connection.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <thread>

#include "pg_test_util.h"

namespace dbb::pg {
namespace {

using ConnectionTest = PgTest;

// A server process listens on TCP 127.0.0.1 with scram-sha-256 (support/pg_server.h).
ConnParams Tcp(const dbb::testing::PgServer& server, const std::string& user,
               const std::string& db) {
  return ConnParams{
      .host = "127.0.0.1", .port = std::to_string(server.port()), .user = user, .dbname = db};
}

// Password tests must not pick up one from the person running them.
class NoPasswordEnvironment {
 public:
  NoPasswordEnvironment() {
    ::unsetenv("PGPASSWORD");
    ::setenv("PGPASSFILE", "/nonexistent/dbb-pgpass", 1);
  }
  ~NoPasswordEnvironment() { ::unsetenv("PGPASSFILE"); }
};

TEST_F(ConnectionTest, ClosedPortIsCannotConnect) {
  ConnParams params = Params();
  params.port = "1";
  Result<Connection> conn = Connection::Open(params);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kConnection);
  const std::string& msg = conn.status().message();
  const std::string prefix =
      "cannot connect to PostgreSQL at \"" + server_->socket_dir() + "\":1: ";
  EXPECT_EQ(msg.substr(0, prefix.size()), prefix) << msg;
  EXPECT_TRUE(msg.ends_with("; check -h/-p and that the server is running")) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST_F(ConnectionTest, MissingDatabaseIsNamed) {
  Result<Connection> conn = Connection::Open(Params("dbb_no_such_db"));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kConnection);
  EXPECT_EQ(conn.status().message(),
            "database \"dbb_no_such_db\" does not exist at \"" + server_->socket_dir() +
                "\":" + std::to_string(server_->port()) + "; check the name (psql -l lists them)");
}

TEST_F(ConnectionTest, WrongPasswordIsAuthenticationAndNotEchoed) {
  NoPasswordEnvironment env;
  Psql("CREATE ROLE bob LOGIN PASSWORD 'right-one'");
  ConnParams params = Tcp(*server_, "bob", db_);
  params.conninfo = "password=wrong-secret-xyz";
  Result<Connection> conn = Connection::Open(params);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kConnection);
  const std::string& msg = conn.status().message();
  const std::string prefix =
      "authentication failed for user \"bob\" at \"127.0.0.1\":" + std::to_string(server_->port());
  EXPECT_EQ(msg.substr(0, prefix.size()), prefix) << msg;
  EXPECT_TRUE(msg.ends_with("; check -U, the password (PGPASSWORD or ~/.pgpass) and pg_hba.conf"))
      << msg;
  EXPECT_EQ(msg.find("wrong-secret-xyz"), std::string::npos) << msg;
  Psql("DROP ROLE bob");
}

TEST_F(ConnectionTest, MissingPasswordIsAuthentication) {
  NoPasswordEnvironment env;
  Psql("CREATE ROLE carol LOGIN PASSWORD 'pw'");
  Result<Connection> conn = Connection::Open(Tcp(*server_, "carol", db_));
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kConnection);
  EXPECT_TRUE(conn.status().message().starts_with("authentication failed for user \"carol\""))
      << conn.status().message();
  Psql("DROP ROLE carol");
}

// The password a child needs comes from Password(); the conninfo for its argv never holds it, yet
// both together reach the same database as the same user.
TEST_F(ConnectionTest, ConninfoWithoutPasswordReachesTheSameDatabase) {
  NoPasswordEnvironment env;
  const std::string password = "p'w\\d with space";
  Psql("CREATE ROLE dave LOGIN PASSWORD " + dbb::testing::QuoteLiteral(password));
  ConnParams params = Tcp(*server_, "dave", db_);
  params.conninfo = "password='p\\'w\\\\d with space'";
  Result<Connection> conn = Connection::Open(params);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_EQ(conn->Password(), password);
  const std::string conninfo = conn->ConninfoWithoutPassword();
  EXPECT_EQ(conninfo.find("p'w"), std::string::npos) << conninfo;
  EXPECT_EQ(conninfo.find("password"), std::string::npos) << conninfo;

  ::setenv("PGPASSWORD", password.c_str(), 1);
  Result<Connection> again = Connection::Open({.conninfo = conninfo});
  ::unsetenv("PGPASSWORD");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->database(), db_);
  EXPECT_EQ(again->user(), "dave");
  EXPECT_EQ(again->Describe(), "\"127.0.0.1\":" + std::to_string(server_->port()));
  Psql("DROP OWNED BY dave; DROP ROLE dave");
}

TEST_F(ConnectionTest, ConninfoQuotesOddDatabaseNames) {
  const std::string odd = "we'ird \\db";
  server_->DropDatabase(odd);
  server_->CreateDatabase(odd);
  {
    Result<Connection> conn = Connection::Open(Params(odd));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    Result<Connection> again = Connection::Open({.conninfo = conn->ConninfoWithoutPassword()});
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->database(), odd);
  }
  server_->DropDatabase(odd);
}

// A database name that looks like a conninfo string or a URI is a name (a cluster backup connects
// to every database by its name).
TEST_F(ConnectionTest, DbnameIsNeverReadAsConninfo) {
  for (const std::string name : {"dbname=postgres host=/nonexistent", "postgresql://x/postgres"}) {
    server_->DropDatabase(name);
    server_->CreateDatabase(name);
    {
      ConnParams params = Params(name);
      Result<Connection> conn = Connection::Open(params);
      ASSERT_TRUE(conn.ok()) << name << ": " << conn.status().ToString();
      EXPECT_EQ(conn->database(), name);
    }
    server_->DropDatabase(name);
  }
}

// A later dbname is a plain name and overrides the one inside the conninfo string.
TEST_F(ConnectionTest, DbnameOverridesConninfo) {
  ConnParams params = Params();
  params.conninfo = "dbname=postgres connect_timeout=10";
  Result<Connection> conn = Connection::Open(params);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_EQ(conn->database(), db_);
  params.dbname = "";
  conn = Connection::Open(params);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_EQ(conn->database(), "postgres");
}

TEST_F(ConnectionTest, SessionSettings) {
  Connection conn = Connect();
  auto show = [&](const std::string& name) {
    Result<QueryResult> r = conn.Query("SHOW " + name);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::string(r->Get(0, 0)) : std::string();
  };
  EXPECT_EQ(show("application_name"), "dbbackup");
  EXPECT_EQ(show("statement_timeout"), "0");
  EXPECT_EQ(show("lock_timeout"), "0");
  EXPECT_EQ(show("idle_in_transaction_session_timeout"), "0");
  EXPECT_EQ(show("extra_float_digits"), "3");
  EXPECT_EQ(show("row_security"), "off");
  EXPECT_EQ(show("client_encoding"), show("server_encoding"));
  EXPECT_EQ(conn.server_version_num() / 10000, server_->major_version());
  EXPECT_EQ(conn.server_version().substr(0, 2), std::to_string(server_->major_version()));
  EXPECT_EQ(conn.user(), "postgres");
  EXPECT_EQ(conn.database(), db_);
  EXPECT_EQ(conn.Describe(),
            "\"" + server_->socket_dir() + "\":" + std::to_string(server_->port()));
}

// COPY text must pass through unconverted: the client encoding follows the server's.
TEST_F(ConnectionTest, ClientEncodingFollowsTheServer) {
  const std::string latin = db_ + "_latin1";
  server_->DropDatabase(latin);
  server_->Psql("postgres",
                "CREATE DATABASE " + dbb::testing::QuoteIdent(latin) +
                    " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  {
    Result<Connection> conn = Connection::Open(Params(latin));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    Result<QueryResult> r = conn->Query("SHOW client_encoding");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->Get(0, 0), "LATIN1");
  }
  server_->DropDatabase(latin);
}

TEST_F(ConnectionTest, ExecAndQuery) {
  Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("CREATE TABLE t (id int, name text, flag bool);"
                        "INSERT INTO t VALUES (1, 'one', true), (2, NULL, false)")
                  .ok());
  ASSERT_TRUE(conn.Exec("").ok());
  Result<QueryResult> r = conn.Query(
      "SELECT id, name, flag, 9000000000::int8 FROM t WHERE id >= $1 ORDER BY id", {"1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows(), 2);
  EXPECT_EQ(r->columns(), 4);
  EXPECT_EQ(r->GetInt64(0, 0), 1);
  EXPECT_EQ(r->Get(0, 1), "one");
  EXPECT_TRUE(r->GetBool(0, 2));
  EXPECT_FALSE(r->IsNull(0, 1));
  EXPECT_TRUE(r->IsNull(1, 1));
  EXPECT_EQ(r->Get(1, 1), "");
  EXPECT_FALSE(r->GetBool(1, 2));
  EXPECT_EQ(r->GetInt64(1, 3), 9000000000);
}

TEST_F(ConnectionTest, ServerErrorCarriesSqlstateAndStatement) {
  Connection conn = Connect();
  Status st = conn.Exec("SELECT * FROM missing_table");
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_EQ(st.message(),
            "ERROR 42P01: relation \"missing_table\" does not exist (while: SELECT * FROM "
            "missing_table)");

  ASSERT_TRUE(conn.Exec("CREATE TABLE k (id int PRIMARY KEY); INSERT INTO k VALUES (1)").ok());
  Result<QueryResult> r = conn.Query("INSERT INTO k VALUES ($1)", {"1"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kServer);
  EXPECT_EQ(r.status().message(),
            "ERROR 23505: duplicate key value violates unique constraint \"k_pkey\"; DETAIL: Key "
            "(id)=(1) already exists. (while: INSERT INTO k VALUES ($1))");
  // The connection is still usable.
  EXPECT_TRUE(conn.Query("SELECT 1").ok());
}

TEST_F(ConnectionTest, QuotingRoundTripsOddNames) {
  Connection conn = Connect();
  EXPECT_EQ(conn.QuoteIdent("plain"), "\"plain\"");
  EXPECT_EQ(conn.QuoteIdent("My \"Table\""), "\"My \"\"Table\"\"\"");
  EXPECT_EQ(conn.QuoteLiteral("it's"), "'it''s'");
  const std::string table = "Tab \"le\"; DROP TABLE x; -- é";
  const std::string column = "col.with\\dots";
  const std::string value = "it's a \\ back'slash\n";
  ASSERT_TRUE(conn.Exec("CREATE TABLE " + conn.QuoteIdent(table) + " (" + conn.QuoteIdent(column) +
                        " text)")
                  .ok());
  ASSERT_TRUE(conn.Exec("INSERT INTO " + conn.QuoteIdent(table) + " VALUES (" +
                        conn.QuoteLiteral(value) + ")")
                  .ok());
  Result<QueryResult> r =
      conn.Query("SELECT " + conn.QuoteIdent(column) + " FROM " + conn.QuoteIdent(table));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Get(0, 0), value);
}

TEST_F(ConnectionTest, CancelStopsTheRunningCommand) {
  Connection conn = Connect();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    conn.Cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  Status st = conn.Exec("SELECT pg_sleep(600)");
  canceller.join();
  // A hang detector, not a speed check: without the cancel this sleeps 10 minutes.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_TRUE(st.message().starts_with("ERROR 57014: canceling statement due to user request"))
      << st.message();
  EXPECT_TRUE(conn.Query("SELECT 1").ok());
}

TEST_F(ConnectionTest, MovedConnectionKeepsWorking) {
  Connection a = Connect();
  Connection b = std::move(a);
  EXPECT_TRUE(b.Query("SELECT 1").ok());
  Connection c = Connect();
  c = std::move(b);
  EXPECT_TRUE(c.Query("SELECT 1").ok());
}

TEST_F(ConnectionTest, KilledBackendIsLostConnection) {
  Connection conn = Connect();
  Result<QueryResult> pid = conn.Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  Psql("SELECT pg_terminate_backend(" + std::string(pid->Get(0, 0)) + ")");
  Status st = conn.Exec("SELECT 1");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(st.code() == StatusCode::kConnection || st.code() == StatusCode::kServer)
      << st.ToString();
  EXPECT_TRUE(conn.lost());
}

// The coordinator's case: idle in a transaction that exported a snapshot. Checking sends
// nothing, so the transaction, and the snapshot, stay.
TEST_F(ConnectionTest, CheckAliveLeavesAnIdleTransactionAsItWas) {
  Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").ok());
  Result<QueryResult> snapshot = conn.Query("SELECT pg_export_snapshot()");
  ASSERT_TRUE(snapshot.ok());
  for (int i = 0; i < 5; ++i) {
    const Status alive = conn.CheckAlive();
    EXPECT_TRUE(alive.ok()) << alive.ToString();
  }
  EXPECT_FALSE(conn.lost());
  Connection other = Connect();
  ASSERT_TRUE(other.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").ok());
  const Status imported = other.Exec("SET TRANSACTION SNAPSHOT " +
                                     other.QuoteLiteral(std::string(snapshot->Get(0, 0))));
  EXPECT_TRUE(imported.ok()) << imported.ToString();
  Result<QueryResult> state = conn.Query("SELECT current_setting('transaction_isolation')");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->Get(0, 0), "repeatable read");
}

TEST_F(ConnectionTest, CheckAliveSeesATerminatedSessionWithTheServersWords) {
  Connection conn = Connect();
  ASSERT_TRUE(conn.Exec("BEGIN").ok());
  Result<QueryResult> pid = conn.Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  EXPECT_EQ(Psql("SELECT pg_terminate_backend(" + std::string(pid->Get(0, 0)) + ")"), "t\n");
  // The server's message, then the end of the stream: a few checks, however slow the machine.
  Status alive;
  for (int i = 0; i < 500 && alive.ok(); ++i) {
    alive = conn.CheckAlive();
    if (alive.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(alive.code(), StatusCode::kConnection) << alive.ToString();
  EXPECT_EQ(alive.message(),
            "lost the connection to the server: FATAL: terminating connection due to "
            "administrator command");
  EXPECT_TRUE(conn.lost());
  EXPECT_EQ(conn.CheckAlive().code(), StatusCode::kConnection);
}

}  // namespace
}  // namespace dbb::pg
