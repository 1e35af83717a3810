#include "pg/connection.h"

#include <libpq-fe.h>

#include <charconv>
#include <limits>
#include <utility>

#include "common/check.h"
#include "common/log.h"
#include "pg/pg_error.h"

namespace dbb::pg {

namespace {

using internal::OneLine;
using internal::ResultError;
using internal::ResultPtr;

constexpr char kApplicationName[] = "dbbackup";

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string Or(const char* value, const std::string& fallback) {
  return value != nullptr && value[0] != '\0' ? std::string(value) : fallback;
}

std::string HostPort(const std::string& host, const std::string& port) {
  return "\"" + host + "\":" + port;
}

// Keyword/value arrays for PQconnectdbParams; the strings must outlive the call.
// Keyword/value arrays for PQconnectdbParams. It stores pointers: every value must outlive the
// arrays (the caller's strings, or literals), never a temporary.
struct ConnKeywords {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  void Add(const char* key, const std::string& value) { Add(key, value.c_str()); }
  void Add(const char* key, const char* value) {
    if (*value == '\0') return;
    keys.push_back(key);
    values.push_back(value);
  }
};

// One message per cause, each naming the fix. Matching libpq's and the server's English words
// is the only way: a failed connection has no SQLSTATE in libpq's API.
Status ConnectError(PGconn* conn, const ConnParams& params) {
  const std::string libpq = OneLine(conn != nullptr ? PQerrorMessage(conn) : "out of memory");
  const std::string where =
      HostPort(Or(PQhost(conn), params.host.empty() ? "default" : params.host),
               Or(PQport(conn), params.port.empty() ? "default" : params.port));
  const std::string dbname = Or(PQdb(conn), params.dbname);
  if (Contains(libpq, "database \"") && Contains(libpq, "\" does not exist")) {
    return Status(StatusCode::kConnection, "database \"" + dbname + "\" does not exist at " +
                                               where + "; check the name (psql -l lists them)");
  }
  const bool auth = (conn != nullptr && PQconnectionNeedsPassword(conn)) ||
                    Contains(libpq, "authentication") || Contains(libpq, "pg_hba.conf") ||
                    (Contains(libpq, "role \"") && Contains(libpq, "\" does not exist"));
  if (auth) {
    const std::string user = Or(PQuser(conn), params.user);
    return Status(StatusCode::kConnection,
                  "authentication failed for user \"" + user + "\" at " + where + ": " + libpq +
                      "; check -U, the password (PGPASSWORD or ~/.pgpass) and pg_hba.conf");
  }
  return Status(StatusCode::kConnection, "cannot connect to PostgreSQL at " + where + ": " + libpq +
                                             "; check -h/-p and that the server is running");
}

// Server NOTICEs (e.g. from DDL) are not the user's concern unless they ask for detail.
void NoticeToLog(void* /*arg*/, const char* message) {
  log::Verbose("server: " + OneLine(message));
}

// Keeps an idle connection's last message from the server (CheckAlive); arg: a std::string.
void KeepNotice(void* arg, const PGresult* result) {
  *static_cast<std::string*>(arg) = OneLine(PQresultErrorMessage(result));
}

// Settings every dbbackup session needs. COPY text must pass through unconverted, so the client
// encoding is the server's. Timeouts set by the role or database would kill a long COPY or an
// idle coordinator transaction. extra_float_digits = 3 keeps text-format floats exact. With
// row_security off, a table whose policies would hide rows fails loudly instead of being copied
// in part (pg_dump does the same).
Status SetUpSession(PGconn* conn, Connection& connection) {
  const char* encoding = PQparameterStatus(conn, "server_encoding");
  if (encoding != nullptr && PQsetClientEncoding(conn, encoding) != 0) {
    return Status(StatusCode::kServer, std::string("cannot set client_encoding to ") + encoding +
                                           ": " + OneLine(PQerrorMessage(conn)));
  }
  std::string sql = "SET statement_timeout = 0; SET lock_timeout = 0; SET extra_float_digits = 3";
  if (PQserverVersion(conn) >= 90600) {
    sql += "; SET idle_in_transaction_session_timeout = 0; SET row_security = off";
  }
  return connection.Exec(sql);
}

// conninfo quoting: single quotes, with \ and ' escaped by a backslash.
std::string ConninfoValue(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

bool IsDefault(const PQconninfoOption* defaults, std::string_view key, std::string_view value) {
  // user and dbname always go in: their defaults depend on the OS user and on each other.
  if (key == "user" || key == "dbname") return false;
  for (const PQconninfoOption* d = defaults; d->keyword != nullptr; ++d) {
    if (key == d->keyword) return d->val != nullptr && value == d->val;
  }
  return false;
}

}  // namespace

// ---- QueryResult

QueryResult::QueryResult(pg_result* result) : result_(result) {}
QueryResult::~QueryResult() { PQclear(result_); }
QueryResult::QueryResult(QueryResult&& other) noexcept
    : result_(std::exchange(other.result_, nullptr)) {}
QueryResult& QueryResult::operator=(QueryResult&& other) noexcept {
  if (this != &other) {
    PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

int QueryResult::rows() const { return PQntuples(result_); }
int QueryResult::columns() const { return PQnfields(result_); }
bool QueryResult::IsNull(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}

std::string_view QueryResult::Get(int row, int column) const {
  DBB_CHECK(row >= 0 && row < rows() && column >= 0 && column < columns());
  const int length = PQgetlength(result_, row, column);
  return std::string_view(PQgetvalue(result_, row, column), static_cast<size_t>(length));
}

int64_t QueryResult::GetInt64(int row, int column) const {
  const std::string_view text = Get(row, column);
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  DBB_CHECK_MSG(ec == std::errc() && end == text.data() + text.size(),
                "query result is not an integer");
  return value;
}

bool QueryResult::GetBool(int row, int column) const { return Get(row, column) == "t"; }

// ---- Connection

namespace {

// The value of `keyword` among libpq's parsed options, "" when absent; frees them.
std::string OptionValue(PQconninfoOption* options, std::string_view keyword) {
  std::string value;
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (keyword == o->keyword && o->val != nullptr) value = o->val;
  }
  PQconninfoFree(options);
  return value;
}

}  // namespace

std::string DatabaseNameOf(const ConnParams& params) {
  if (!params.dbname.empty()) return params.dbname;
  const std::string& c = params.conninfo;
  if (!c.empty() && c.find('=') == std::string::npos && !c.starts_with("postgres://") &&
      !c.starts_with("postgresql://")) {
    return c;
  }
  if (!c.empty()) {
    char* error = nullptr;
    std::string name = OptionValue(PQconninfoParse(c.c_str(), &error), "dbname");
    PQfreemem(error);
    if (!name.empty()) return name;
  }
  std::string name = OptionValue(PQconndefaults(), "dbname");
  if (name.empty())
    name = params.user.empty() ? OptionValue(PQconndefaults(), "user") : params.user;
  return name;
}

Result<Connection> Connection::Open(const ConnParams& params) {
  ConnKeywords kw;
  // Order matters: with expand_dbname only the first dbname is expanded as a conninfo string,
  // and later keywords override what it set, so -h/-p/-U and an explicit dbname win over it.
  // A target's password and passfile first: one in the DBNAME conninfo or URI (the command
  // line) overrides them.
  kw.Add("password", params.password);
  kw.Add("passfile", params.passfile);
  if (params.conninfo.empty()) {
    // libpq expands the first dbname it meets, even an empty one that it otherwise ignores: this
    // one keeps params.dbname, a database's name as it is ("a=b" is a legal name), from being
    // read as a conninfo string.
    kw.keys.push_back("dbname");
    kw.values.push_back("");
  }
  kw.Add("dbname", params.conninfo);
  kw.Add("host", params.host);
  kw.Add("port", params.port);
  kw.Add("user", params.user);
  kw.Add("dbname", params.dbname);
  // fallback_: an application_name the user set (conninfo, PGAPPNAME) is kept, as pg_dump does.
  kw.Add("fallback_application_name", kApplicationName);
  kw.keys.push_back(nullptr);
  kw.values.push_back(nullptr);

  PGconn* conn = PQconnectdbParams(kw.keys.data(), kw.values.data(), /*expand_dbname=*/1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    Status error = ConnectError(conn, params);
    PQfinish(conn);
    return error;
  }
  PQsetNoticeProcessor(conn, NoticeToLog, nullptr);
  Connection connection(conn, PQgetCancel(conn));
  DBB_RETURN_IF_ERROR(SetUpSession(conn, connection).WithContext("set up the session"));
  return connection;
}

Connection::Connection(pg_conn* conn, pg_cancel* cancel) : conn_(conn), cancel_(cancel) {}
Connection::~Connection() { Reset(); }

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)), cancel_(std::exchange(other.cancel_, nullptr)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    Reset();
    conn_ = std::exchange(other.conn_, nullptr);
    cancel_ = std::exchange(other.cancel_, nullptr);
  }
  return *this;
}

void Connection::Reset() {
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
  if (conn_ != nullptr) PQfinish(conn_);
  cancel_ = nullptr;
  conn_ = nullptr;
}

Status Connection::Exec(std::string_view sql) {
  const std::string text(sql);
  ResultPtr result(PQexec(conn_, text.c_str()));
  const ExecStatusType status = PQresultStatus(result.get());
  DBB_CHECK_MSG(status != PGRES_COPY_OUT && status != PGRES_COPY_IN && status != PGRES_COPY_BOTH,
                "COPY goes through CopyOut/CopyIn, not Exec");
  if (result != nullptr &&
      (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY)) {
    return Status::Ok();
  }
  return ResultError(conn_, result.get(), sql);
}

Result<QueryResult> Connection::Query(std::string_view sql,
                                      const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& p : params) values.push_back(p.c_str());
  return Execute(sql, values, {}, /*binary=*/false);
}

Result<QueryResult> Connection::QueryBinary(std::string_view sql,
                                            const std::vector<std::span<const std::byte>>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (const std::span<const std::byte> p : params) {
    DBB_CHECK(p.size() <= static_cast<size_t>(std::numeric_limits<int>::max()));
    values.push_back(reinterpret_cast<const char*>(p.data()));
    lengths.push_back(static_cast<int>(p.size()));
  }
  return Execute(sql, values, lengths, /*binary=*/true);
}

Result<QueryResult> Connection::Execute(std::string_view sql,
                                        const std::vector<const char*>& values,
                                        const std::vector<int>& lengths, bool binary) {
  const std::string text(sql);
  const std::vector<int> formats(values.size(), binary ? 1 : 0);
  ResultPtr result(PQexecParams(
      conn_, text.c_str(), static_cast<int>(values.size()),
      /*paramTypes=*/nullptr, values.data(), lengths.empty() ? nullptr : lengths.data(),
      binary ? formats.data() : nullptr, /*resultFormat=*/binary ? 1 : 0));
  const ExecStatusType status = PQresultStatus(result.get());
  if (result != nullptr && (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)) {
    return QueryResult(result.release());
  }
  return ResultError(conn_, result.get(), sql);
}

std::string Connection::QuoteIdent(std::string_view name) const {
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  DBB_CHECK_MSG(quoted != nullptr, "PQescapeIdentifier failed (invalid encoding in a name)");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string Connection::QuoteLiteral(std::string_view value) const {
  char* quoted = PQescapeLiteral(conn_, value.data(), value.size());
  DBB_CHECK_MSG(quoted != nullptr, "PQescapeLiteral failed (invalid encoding in a value)");
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

int Connection::server_version_num() const { return PQserverVersion(conn_); }
std::string Connection::server_version() const {
  return Or(PQparameterStatus(conn_, "server_version"), "");
}
std::string Connection::database() const { return Or(PQdb(conn_), ""); }
std::string Connection::user() const { return Or(PQuser(conn_), ""); }
std::string Connection::Describe() const {
  return HostPort(Or(PQhost(conn_), ""), Or(PQport(conn_), ""));
}

// The settings libpq used that differ from its defaults (sslmode, options, ...), so the child
// connects the same way. Defaults are left out: a pg_dump linked with an older libpq rejects
// keywords it does not know, and a default (also one from a PG* variable, which the child
// inherits) means the same to it anyway. Secrets (dispchar "*": password, sslpassword) and
// debug options never go in. host and port are the ones reached, and hostaddr the address
// connected to: with a host list or round-robin DNS the child must reach the same server, or
// it could not import the snapshot.
std::string Connection::ConninfoWithoutPassword() const {
  std::string out = "host=" + ConninfoValue(Or(PQhost(conn_), "")) +
                    " port=" + ConninfoValue(Or(PQport(conn_), ""));
  const std::string hostaddr = Or(PQhostaddr(conn_), "");
  if (!hostaddr.empty()) out += " hostaddr=" + ConninfoValue(hostaddr);
  PQconninfoOption* defaults = PQconndefaults();
  PQconninfoOption* options = PQconninfo(conn_);
  DBB_CHECK_MSG(options != nullptr && defaults != nullptr, "PQconninfo: out of memory");
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    const std::string_view key = o->keyword;
    const std::string_view dispchar = o->dispchar != nullptr ? o->dispchar : "";
    if (o->val == nullptr || o->val[0] == '\0' || dispchar == "*" || dispchar == "D") continue;
    if (key == "host" || key == "port" || key == "hostaddr" || key == "fallback_application_name") {
      continue;
    }
    if (IsDefault(defaults, key, o->val)) continue;
    out += " " + std::string(key) + "=" + ConninfoValue(o->val);
  }
  PQconninfoFree(options);
  PQconninfoFree(defaults);
  return out;
}

std::string Connection::Password() const { return Or(PQpass(conn_), ""); }

void Connection::Cancel() {
  if (cancel_ == nullptr) return;
  char error[256];
  if (PQcancel(cancel_, error, sizeof(error)) == 0) {
    log::Verbose(std::string("cancel request failed: ") + error);
  }
}

bool Connection::lost() const { return PQstatus(conn_) == CONNECTION_BAD; }

Status Connection::CheckAlive() {
  if (!lost() && PQconsumeInput(conn_) == 1 && !lost()) return Status::Ok();
  // A server that ends a session says why first (FATAL 57P01 "terminating connection due to
  // administrator command"). On an idle connection libpq parses that message as a notice, so a
  // receiver set for the moment catches it; the default receiver (arg unused) goes back after.
  std::string server_said;
  const PQnoticeReceiver receiver = PQsetNoticeReceiver(conn_, KeepNotice, &server_said);
  (void)PQisBusy(conn_);  // parses what is buffered
  PQsetNoticeReceiver(conn_, receiver, nullptr);
  const std::string libpq = OneLine(PQerrorMessage(conn_));
  return Status(StatusCode::kConnection, "lost the connection to the server: " +
                                             (server_said.empty() ? libpq : server_said));
}

}  // namespace dbb::pg
