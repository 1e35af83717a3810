#include "pg/copy_stream.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <utility>

#include "pg/pg_error.h"

namespace dbb::pg {

namespace {

using internal::DrainResults;
using internal::OneLine;
using internal::ResultError;
using internal::ResultPtr;

uint64_t CommandRows(const PGresult* result) {
  const std::string_view text = PQcmdTuples(const_cast<PGresult*>(result));
  uint64_t rows = 0;
  std::from_chars(text.data(), text.data() + text.size(), rows);
  return rows;
}

// Starts `sql` and checks the server answered with the expected COPY state. On failure the
// connection is left with no pending results.
Status StartCopy(PGconn* conn, std::string_view sql, ExecStatusType expected) {
  const std::string text(sql);
  ResultPtr result(PQexec(conn, text.c_str()));
  if (PQresultStatus(result.get()) == expected) return Status::Ok();
  Status error = result != nullptr && PQresultStatus(result.get()) == PGRES_COMMAND_OK
                     ? Status(StatusCode::kInternal, "not a COPY statement: " + text)
                     : ResultError(conn, result.get(), sql);
  result.reset();
  DrainResults(conn);
  return error;
}

// The COPY's final result: its row count or its error; then nothing is left pending.
Result<uint64_t> EndCopy(PGconn* conn, std::string_view sql) {
  ResultPtr result(PQgetResult(conn));
  Result<uint64_t> rows = PQresultStatus(result.get()) == PGRES_COMMAND_OK && result != nullptr
                              ? Result<uint64_t>(CommandRows(result.get()))
                              : Result<uint64_t>(ResultError(conn, result.get(), sql));
  result.reset();
  DrainResults(conn);
  return rows;
}

}  // namespace

// After a sink error the server is asked to stop, but the rows already on their way still have
// to be read (and dropped) before the connection can take the next command.
Result<uint64_t> CopyOut(Connection& conn, std::string_view copy_sql, const CopySink& sink) {
  PGconn* pq = conn.raw();
  DBB_RETURN_IF_ERROR(StartCopy(pq, copy_sql, PGRES_COPY_OUT));
  Status sink_error;
  for (;;) {
    char* buf = nullptr;
    const int n = PQgetCopyData(pq, &buf, /*async=*/0);
    if (n > 0) {
      if (sink_error.ok()) {
        sink_error = sink(std::span<const std::byte>(reinterpret_cast<const std::byte*>(buf),
                                                     static_cast<size_t>(n)));
        if (!sink_error.ok()) conn.Cancel();
      }
      PQfreemem(buf);
      continue;
    }
    if (n == -1) break;  // the COPY is complete; its result follows
    // -2: libpq failed (lost connection); the final result carries the error.
    break;
  }
  Result<uint64_t> rows = EndCopy(pq, copy_sql);
  if (!sink_error.ok()) return sink_error;
  return rows;
}

// ---- CopyIn

Result<CopyIn> CopyIn::Start(Connection& conn, std::string_view copy_sql) {
  DBB_RETURN_IF_ERROR(StartCopy(conn.raw(), copy_sql, PGRES_COPY_IN));
  return CopyIn(&conn, copy_sql);
}

CopyIn::CopyIn(CopyIn&& other) noexcept
    : conn_(other.conn_), sql_(std::move(other.sql_)), open_(std::exchange(other.open_, false)) {}

CopyIn::~CopyIn() {
  if (open_) Abort("dbbackup: COPY abandoned before its end");
}

Status CopyIn::Put(std::span<const std::byte> bytes) {
  DBB_CHECK_MSG(open_, "CopyIn::Put after Finish or Abort");
  PGconn* pq = conn_->raw();
  while (!bytes.empty()) {
    const size_t n = std::min<size_t>(bytes.size(), INT_MAX);
    if (PQputCopyData(pq, reinterpret_cast<const char*>(bytes.data()), static_cast<int>(n)) != 1) {
      // The server has usually ended the COPY with an error ("no COPY in progress" is all that
      // PQputCopyData says); its result holds the real reason.
      open_ = false;
      Result<uint64_t> end = EndCopy(pq, sql_);
      if (!end.ok()) return end.status();
      return Status(StatusCode::kServer,
                    "COPY data could not be sent: " + OneLine(PQerrorMessage(pq)));
    }
    bytes = bytes.subspan(n);
  }
  return Status::Ok();
}

Result<uint64_t> CopyIn::Finish() {
  DBB_CHECK_MSG(open_, "CopyIn::Finish after Finish or Abort");
  open_ = false;
  PGconn* pq = conn_->raw();
  if (PQputCopyEnd(pq, nullptr) != 1) {
    Status error(StatusCode::kServer, "ending COPY failed: " + OneLine(PQerrorMessage(pq)));
    DrainResults(pq);
    return error;
  }
  return EndCopy(pq, sql_);
}

void CopyIn::Abort(const std::string& reason) {
  if (!open_) return;
  open_ = false;
  PGconn* pq = conn_->raw();
  PQputCopyEnd(pq, reason.c_str());
  DrainResults(pq);
}

}  // namespace dbb::pg
