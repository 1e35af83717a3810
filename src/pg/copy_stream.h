// COPY streams on a connection: out of the server (backup) and into it (restore). Bytes are
// passed through untouched; what they mean (binary or text COPY format) is the caller's business.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "pg/connection.h"

namespace dbb::pg {

// Receives the COPY data in the pieces libpq returns them (for binary COPY: one row each, the
// file header arrives with the first row). The view is valid only during the call; a non-OK
// status stops the COPY (the server's command is cancelled) and is returned by CopyOut.
using CopySink = std::function<Status(std::span<const std::byte>)>;

// Runs `copy_sql` ("COPY ... TO STDOUT ...") and streams its data to `sink`. Returns the row
// count the server reports ("COPY n"). Memory: one row at a time (libpq's buffer grows to the
// largest row). kServer when the server fails, with the statement in the message.
Result<uint64_t> CopyOut(Connection& conn, std::string_view copy_sql, const CopySink& sink);

// "COPY ... FROM STDIN ...": Start, any number of Put, then Finish (or Abort).
class CopyIn {
 public:
  static Result<CopyIn> Start(Connection& conn, std::string_view copy_sql);
  ~CopyIn();  // not finished: aborts
  CopyIn(CopyIn&& other) noexcept;
  CopyIn& operator=(CopyIn&&) = delete;
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;

  // Sends bytes (any split; libpq buffers and flushes). kServer if the server has failed.
  Status Put(std::span<const std::byte> bytes);
  // Ends the data; returns the rows the server loaded, or its error (kServer, e.g. a bad row).
  Result<uint64_t> Finish();
  // Ends the COPY with an error so the server rolls it back; the reason lands in the server log.
  void Abort(const std::string& reason);

 private:
  CopyIn(Connection* conn, std::string_view copy_sql) : conn_(conn), sql_(copy_sql) {}
  Connection* conn_;
  std::string sql_;  // for error messages
  bool open_ = true;
};

}  // namespace dbb::pg
