// Internal to src/pg: owning libpq results, and turning a failure into a Status in the one format
// every caller shows ("ERROR 42P01: ... (while: LOCK TABLE ...)").
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct pg_conn;
struct pg_result;

namespace dbb::pg::internal {

struct ResultDeleter {
  void operator()(pg_result* result) const;
};
using ResultPtr = std::unique_ptr<pg_result, ResultDeleter>;

// Reads and frees every pending result, so the connection is ready for the next command.
void DrainResults(pg_conn* conn);

// The SQLSTATE of a failed result ("42P01"), "" when there is none (the connection broke).
std::string SqlState(const pg_result* result);

// The error of `result` (or, when it is null, of the connection): kServer with severity,
// SQLSTATE, primary message, DETAIL and HINT, and the statement it came from; kConnection when
// the connection is gone and the server sent no SQLSTATE.
Status ResultError(pg_conn* conn, const pg_result* result, std::string_view sql);

// libpq's message, one line: newlines and tabs folded into spaces, trailing space removed.
std::string OneLine(std::string_view message);

// The statement for a message: whitespace runs folded, cut to a readable length.
std::string Abbreviate(std::string_view sql);

}  // namespace dbb::pg::internal
