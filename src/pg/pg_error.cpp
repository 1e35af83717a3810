#include "pg/pg_error.h"

#include <libpq-fe.h>

namespace dbb::pg::internal {

namespace {

constexpr size_t kStatementChars = 200;

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

std::string Field(const PGresult* result, int field) {
  const char* value = PQresultErrorField(result, field);
  return value == nullptr ? std::string() : OneLine(value);
}

}  // namespace

void ResultDeleter::operator()(pg_result* result) const { PQclear(result); }

// A connection still in a COPY state returns the same COPY result forever: end the COPY first.
// A broken connection ends the loop too.
void DrainResults(pg_conn* conn) {
  while (PGresult* result = PQgetResult(conn)) {
    const ExecStatusType status = PQresultStatus(result);
    PQclear(result);
    if (status == PGRES_COPY_IN || status == PGRES_COPY_BOTH) {
      if (PQputCopyEnd(conn, "abandoned by dbbackup") != 1) return;
    } else if (status == PGRES_COPY_OUT) {
      char* buf = nullptr;
      int n = 0;
      while ((n = PQgetCopyData(conn, &buf, /*async=*/0)) > 0) PQfreemem(buf);
      if (n == -2) return;
    }
    if (PQstatus(conn) == CONNECTION_BAD) return;
  }
}

std::string SqlState(const pg_result* result) {
  return result == nullptr ? std::string() : Field(result, PG_DIAG_SQLSTATE);
}

std::string OneLine(std::string_view message) {
  std::string out;
  bool space = false;
  for (char c : message) {
    if (IsSpace(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string Abbreviate(std::string_view sql) {
  std::string out = OneLine(sql);
  if (out.size() > kStatementChars) out = out.substr(0, kStatementChars) + "...";
  return out;
}

Status ResultError(pg_conn* conn, const pg_result* result, std::string_view sql) {
  const std::string sqlstate = SqlState(result);
  const std::string context = " (while: " + Abbreviate(sql) + ")";
  if (sqlstate.empty()) {
    // No server error: libpq itself failed (lost connection, out of memory, protocol trouble).
    std::string message = OneLine(result != nullptr ? PQresultErrorMessage(result) : "");
    if (message.empty()) message = OneLine(PQerrorMessage(conn));
    if (message.empty()) message = "no result from the server";
    if (PQstatus(conn) == CONNECTION_BAD) {
      return Status(StatusCode::kConnection,
                    "lost the connection to the server: " + message + context);
    }
    return Status(StatusCode::kServer, message + context);
  }
  std::string severity = Field(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity.empty()) severity = Field(result, PG_DIAG_SEVERITY);
  std::string message = severity + " " + sqlstate + ": " + Field(result, PG_DIAG_MESSAGE_PRIMARY);
  const std::string detail = Field(result, PG_DIAG_MESSAGE_DETAIL);
  if (!detail.empty()) message += "; DETAIL: " + detail;
  const std::string hint = Field(result, PG_DIAG_MESSAGE_HINT);
  if (!hint.empty()) message += "; HINT: " + hint;
  return Status(StatusCode::kServer, message + context);
}

}  // namespace dbb::pg::internal
