// One libpq connection (PGconn), owned. Connection options follow libpq's conventions: what the
// user did not give comes from the PG* environment variables, ~/.pgpass and the default socket.
//
// Errors are values. Connecting fails with kConnection and a message that names the server and
// the fix, one per cause:
//   cannot connect to PostgreSQL at "/tmp/x":5433: <libpq's words>; check -h/-p and that the
//     server is running
//   authentication failed for user "bob" at "db1":5432: <...>; check -U, the password
//     (PGPASSWORD or ~/.pgpass) and pg_hba.conf
//   database "nope" does not exist at "db1":5432; check the name (psql -l lists them)
// A failing command is kServer with the server's message and SQLSTATE:
//   "ERROR 42P01: relation \"t\" does not exist (while: LOCK TABLE ...)".
// No message ever contains a password: libpq's own messages do not, and conninfo strings are
// never echoed.
//
// Not thread-safe: one thread uses a connection at a time. Cancel() is the exception.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct pg_conn;
struct pg_result;
struct pg_cancel;

namespace dbb::pg {

// How to reach a server, as the user gave it. Empty fields fall back to libpq's defaults.
struct ConnParams {
  std::string conninfo;  // the DBNAME argument: a name, "key=value ..." or a postgresql:// URI
  std::string host;      // -h: host name or socket directory; overrides conninfo
  std::string port;      // -p
  std::string user;      // -U
  std::string dbname;    // when set, the database to use instead of the one in conninfo
  // From a configuration file's target only (never the command line, which ps shows; never
  // printed): libpq's password and passfile.
  std::string password;
  std::string passfile;
};

// The database `params` name, as libpq picks it: dbname, else the conninfo's (a plain name, or the
// dbname of a conninfo string or URI), else PGDATABASE, else the user name. For messages and
// metrics about a run that could not connect.
std::string DatabaseNameOf(const ConnParams& params);

// The result of a query, owned. Values are text (the default result format).
class QueryResult {
 public:
  explicit QueryResult(pg_result* result);
  ~QueryResult();
  QueryResult(QueryResult&& other) noexcept;
  QueryResult& operator=(QueryResult&& other) noexcept;
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;

  int rows() const;
  int columns() const;
  bool IsNull(int row, int column) const;
  std::string_view Get(int row, int column) const;  // "" for NULL
  // Parses the value; a non-number is a programmer bug in the query (checked).
  int64_t GetInt64(int row, int column) const;
  bool GetBool(int row, int column) const;  // "t" / "f"

 private:
  pg_result* result_;
};

class Connection {
 public:
  // Connects (application_name "dbbackup") and sets client_encoding to the server's encoding,
  // so text inside COPY streams is never converted. kConnection on failure (see above).
  static Result<Connection> Open(const ConnParams& params);

  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL that returns no rows (one or more statements). kServer on error.
  Status Exec(std::string_view sql);
  // Runs one query with text parameters $1..$n (PQexecParams). kServer on error.
  Result<QueryResult> Query(std::string_view sql, const std::vector<std::string>& params = {});
  // The same with parameters and results in binary format (each type's send/recv form): bytea
  // travels as raw bytes, not hex. The SQL must name each parameter's type ($1::bytea).
  Result<QueryResult> QueryBinary(std::string_view sql,
                                  const std::vector<std::span<const std::byte>>& params);

  // SQL-quoted identifier ("My Table" -> "\"My Table\"") and literal, by libpq's rules.
  std::string QuoteIdent(std::string_view name) const;
  std::string QuoteLiteral(std::string_view value) const;

  int server_version_num() const;      // e.g. 150004
  std::string server_version() const;  // server_version as the server reports it ("15.4 (...)")
  std::string database() const;
  std::string user() const;
  // Where this connection went, for messages: "/var/run/postgresql":5432 or "db1":5432.
  std::string Describe() const;
  // The settings a child process (pg_dump, pg_restore) needs to reach the same server and
  // database as the same user: a conninfo string without the password, and the password libpq
  // used ("" if none), which the caller passes in PGPASSWORD only.
  std::string ConninfoWithoutPassword() const;
  std::string Password() const;

  // Thread-safe, also while another thread is inside Exec/Query/COPY on this connection: asks
  // the server to cancel the running command (PQcancel). That command then fails (kServer,
  // SQLSTATE 57014).
  void Cancel();

  // True once libpq has seen the connection break (PQstatus CONNECTION_BAD): the server ended
  // the session (pg_terminate_backend, a restart, a crash) or the socket failed. A command that
  // failed that way leaves it set; nothing brings this connection back, a new one must be
  // opened. After a failed command libpq has read up to the end of the stream, so a session the
  // server ended shows here.
  bool lost() const;
  // For an idle connection (also one idle in a transaction, such as the coordinator holding its
  // snapshot): reads what the server sent, without waiting (PQconsumeInput), and says whether
  // the connection is still there. Sends nothing, so the session and its transaction are left as
  // they were; what arrived stays buffered for the next command. OK while alive; once lost,
  // kConnection "lost the connection to the server: <the server's last message, else libpq's>".
  // A session the server ended shows within two calls (its last message, then the end of the
  // stream); a silent network cut does not (that needs TCP keepalives).
  // Thread-safety: one thread at a time, like every other call, except that Describe,
  // ConninfoWithoutPassword, Password and server_version_num may run on another thread
  // meanwhile: they read what was set when connecting, which this call does not touch.
  Status CheckAlive();

  pg_conn* raw() { return conn_; }

 private:
  Connection(pg_conn* conn, pg_cancel* cancel);
  void Reset();
  Result<QueryResult> Execute(std::string_view sql, const std::vector<const char*>& values,
                              const std::vector<int>& lengths, bool binary);

  pg_conn* conn_ = nullptr;
  pg_cancel* cancel_ = nullptr;  // made once after connecting; PQcancel is signal/thread-safe
};

}  // namespace dbb::pg
