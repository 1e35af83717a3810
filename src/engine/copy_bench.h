// The server part of `dbbackup bench --dbname DB`: how fast COPY BINARY streams come out of the
// server with 1, 2, 4 ... connections, the way a backup's -j connections read them.
//
// Each connection runs `COPY schema.table TO STDOUT (FORMAT binary)` over the database's largest
// tables (ordinary tables and partitions the user may SELECT, largest first, round-robin), drops
// the bytes, and stops its COPY when its time slice is over (the sink returns kCancelled, which
// cancels the server's command). No snapshot is taken and nothing is locked beyond the COPY's own
// ACCESS SHARE lock, which waits at most 1 s (lock_timeout) behind a session holding the table.
//
// What is measured is the server's rate for those tables as they are now: tables that sit in the
// server's cache read faster than a backup of a cold database will; a short run mostly reads the
// cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/stop.h"
#include "pg/connection.h"

namespace dbb::engine {

struct CopyRow {
  size_t connections = 0;
  uint64_t bytes = 0;  // COPY data received, all connections together
  double seconds = 0;
  double mb_per_s = 0;  // bytes / seconds, in 10^6 bytes per second
};

struct CopyTable {
  std::string name;    // "schema"."table", quoted
  uint64_t bytes = 0;  // pg_table_size: heap and TOAST
};

struct CopyBenchResult {
  std::vector<CopyRow> rows;
  std::vector<CopyTable> tables;   // the tables read, largest first
  std::vector<std::string> notes;  // why a count was not measured, an empty database
};

// 1, 2, 4 ... below `max_connections`, and `max_connections` itself.
std::vector<size_t> ConnectionCounts(size_t max_connections);

class CopyBench {
 public:
  // Connects. kConnection (naming the server and the fix) when the server cannot be reached or
  // the database does not exist: checked before the other phases start.
  static Result<CopyBench> Prepare(const pg::ConnParams& params);

  CopyBench(CopyBench&&) = default;
  CopyBench& operator=(CopyBench&&) = delete;
  CopyBench(const CopyBench&) = delete;
  CopyBench& operator=(const CopyBench&) = delete;

  std::string Describe() const;  // database "x" at "/tmp":5432

  // Lists the largest tables (at most 32), then measures each of
  // ConnectionCounts(max_connections) for an equal share of `seconds`; more connections are
  // opened as needed (not timed). Nothing here fails the run: tables that cannot be listed (one
  // is locked), a database without tables to read, a connection the server refuses or a COPY
  // that fails are notes, and what was measured until then stays. A stop request (`stop` may be
  // null) cancels the running COPYs and returns what was measured.
  CopyBenchResult Run(size_t max_connections, double seconds, StopSource* stop);

 private:
  CopyBench(pg::ConnParams params, std::vector<pg::Connection> connections)
      : params_(std::move(params)), connections_(std::move(connections)) {}
  Status ListTables();
  Status AddConnection();
  Result<CopyRow> Measure(size_t connections, double seconds, StopSource* stop);

  pg::ConnParams params_;
  std::vector<pg::Connection> connections_;  // the first one lists the tables
  std::vector<CopyTable> tables_;
  // Each bench connection's statement_timeout: a COPY whose cancel is lost (a proxy that does not
  // pass cancels on) still ends soon after the phase.
  uint64_t statement_timeout_ms_ = 0;
};

}  // namespace dbb::engine
