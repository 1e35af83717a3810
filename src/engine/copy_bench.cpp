#include "engine/copy_bench.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "common/timing.h"
#include "pg/catalog.h"
#include "pg/copy_stream.h"

namespace dbb::engine {

namespace {

constexpr int kMaxTables = 32;

// The largest tables COPY BINARY can read, by size. pg_table_size takes an ACCESS SHARE lock on
// each table, so a session holding one ACCESS EXCLUSIVE makes this fail after lock_timeout
// instead of waiting. A column type without binary send/receive (rare: some extension types)
// leaves its table out, as COPY BINARY would fail on it.
constexpr char kLargestTablesSql[] =
    "SELECT n.nspname, c.relname, pg_catalog.pg_table_size(c.oid) AS bytes"
    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'r' AND c.relpersistence <> 't'"
    " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
    " AND pg_catalog.has_table_privilege(c.oid, 'SELECT')"
    " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
    "  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
    "  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
    "  AND (t.typsend::pg_catalog.oid = 0 OR t.typreceive::pg_catalog.oid = 0))"
    " ORDER BY 3 DESC, 1, 2 LIMIT $1";

constexpr char kLockTimeoutSql[] = "SET lock_timeout = '1s'";

struct Worker {
  uint64_t bytes = 0;
  Status status;
};

}  // namespace

std::vector<size_t> ConnectionCounts(size_t max_connections) {
  std::vector<size_t> counts;
  for (size_t k = 1; k < max_connections; k *= 2) counts.push_back(k);
  counts.push_back(std::max<size_t>(max_connections, 1));
  return counts;
}

Result<CopyBench> CopyBench::Prepare(const pg::ConnParams& params) {
  auto conn = pg::Connection::Open(params);
  if (!conn.ok()) return conn.status();
  DBB_RETURN_IF_ERROR(conn->Exec(kLockTimeoutSql));
  std::vector<pg::Connection> connections;
  connections.push_back(std::move(conn).value());
  return CopyBench(params, std::move(connections));
}

Status CopyBench::ListTables() {
  pg::Connection& conn = connections_.front();
  auto rows = conn.Query(kLargestTablesSql, {std::to_string(kMaxTables)});
  if (!rows.ok()) {
    if (rows.status().message().find("55P03") != std::string::npos) {
      return Status(StatusCode::kServer,
                    "another session holds a table locked (ACCESS EXCLUSIVE), so the sizes of "
                    "the tables could not be read within 1 s; run bench again later");
    }
    return rows.status().WithContext("list the largest tables");
  }
  tables_.clear();
  for (int i = 0; i < rows->rows(); ++i) {
    const auto bytes = static_cast<uint64_t>(std::max<int64_t>(rows->GetInt64(i, 2), 0));
    if (bytes == 0) continue;
    tables_.push_back({.name = pg::QualifiedName(conn, std::string(rows->Get(i, 0)),
                                                 std::string(rows->Get(i, 1))),
                       .bytes = bytes});
  }
  return Status::Ok();
}

std::string CopyBench::Describe() const {
  return "database \"" + connections_.front().database() + "\" at " +
         connections_.front().Describe();
}

Status CopyBench::AddConnection() {
  auto conn = pg::Connection::Open(params_);
  if (!conn.ok()) return conn.status();
  DBB_RETURN_IF_ERROR(conn->Exec(kLockTimeoutSql));
  DBB_RETURN_IF_ERROR(
      conn->Exec("SET statement_timeout = " + std::to_string(statement_timeout_ms_)));
  connections_.push_back(std::move(conn).value());
  return Status::Ok();
}

namespace {

// "4 connections", or "none" before the first measurement.
std::string MeasuredUpTo(const CopyBenchResult& result) {
  if (result.rows.empty()) return "none";
  const size_t n = result.rows.back().connections;
  return std::to_string(n) + (n == 1 ? " connection" : " connections");
}

}  // namespace

CopyBenchResult CopyBench::Run(size_t max_connections, double seconds, StopSource* stop) {
  CopyBenchResult result;
  statement_timeout_ms_ = static_cast<uint64_t>(seconds * 1000) + 5000;
  if (Status listed = ListTables(); !listed.ok()) {
    result.notes.push_back("COPY not measured: " + listed.message());
    return result;
  }
  result.tables = tables_;
  if (tables_.empty()) {
    result.notes.push_back("nothing to read: " + Describe() +
                           " has no tables with rows that this user may SELECT; COPY not "
                           "measured");
    return result;
  }
  const std::vector<size_t> counts = ConnectionCounts(max_connections);
  const double slice_s = seconds / static_cast<double>(counts.size());
  for (const size_t k : counts) {
    if (stop != nullptr && stop->requested()) break;
    Status opened;
    while (opened.ok() && connections_.size() < k) opened = AddConnection();
    if (!opened.ok()) {
      result.notes.push_back("COPY measured up to " + MeasuredUpTo(result) + ": connection " +
                             std::to_string(connections_.size() + 1) +
                             " failed: " + opened.message());
      break;
    }
    auto row = Measure(k, slice_s, stop);
    if (!row.ok()) {
      if (stop == nullptr || !stop->requested()) {
        result.notes.push_back("COPY with " + std::to_string(k) +
                               " connections failed, so it was measured up to " +
                               MeasuredUpTo(result) + ": " + row.status().message());
      }
      break;
    }
    result.rows.push_back(row.value());
  }
  return result;
}

// k workers, each on its own connection, COPY the tables in turn (a shared counter hands out
// the next one) until the deadline; the sink counts bytes and ends the running COPY then.
Result<CopyRow> CopyBench::Measure(size_t connections, double seconds, StopSource* stop) {
  std::vector<Worker> workers(connections);
  std::atomic<size_t> next_table{0};
  const auto start = SteadyClock::now();
  const auto deadline = start + std::chrono::duration_cast<SteadyClock::duration>(
                                    std::chrono::duration<double>(seconds));
  auto over = [&] {
    return SteadyClock::now() >= deadline || (stop != nullptr && stop->requested());
  };
  const int stop_id = stop == nullptr ? 0 : stop->OnStop([this, connections] {
    for (size_t i = 0; i < connections; ++i) connections_[i].Cancel();
  });
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < connections; ++i) {
      threads.emplace_back([&, i] {
        Worker& w = workers[i];
        const pg::CopySink sink = [&](std::span<const std::byte> data) {
          w.bytes += data.size();
          return over() ? Status(StatusCode::kCancelled, "time slice over") : Status::Ok();
        };
        while (!over()) {
          const CopyTable& table = tables_[next_table.fetch_add(1) % tables_.size()];
          auto rows = pg::CopyOut(connections_[i],
                                  "COPY " + table.name + " TO STDOUT (FORMAT binary)", sink);
          if (rows.ok()) continue;
          if (rows.status().code() != StatusCode::kCancelled) w.status = rows.status();
          break;
        }
      });
    }
  }
  if (stop != nullptr) stop->Unregister(stop_id);
  CopyRow row{.connections = connections, .seconds = std::min(SecondsSince(start), seconds)};
  for (const Worker& w : workers) {
    DBB_RETURN_IF_ERROR(w.status);
    row.bytes += w.bytes;
  }
  row.mb_per_s = static_cast<double>(row.bytes) / 1e6 / std::max(row.seconds, 1e-9);
  return row;
}

}  // namespace dbb::engine
