// What a backup or restore run measured: for its end summary, the "metrics" object of its
// manifest (docs/FORMAT.md) and --metrics-file (metrics_file.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dbb::engine {

struct TableEntry;  // manifest.h

// A table's copy time: its files' times added up (chunks run side by side, so a split table's
// time can exceed the run's).
struct TableTiming {
  std::string table;  // "public.orders"; in a cluster "shop: public.orders"
  double seconds = 0;
  uint64_t raw_bytes = 0;
  size_t files = 0;

  bool operator==(const TableTiming&) const = default;
};

inline constexpr size_t kSlowestTables = 5;

struct RunMetrics {
  double duration_s = 0;
  uint64_t database_size_bytes = 0;  // pg_database_size when the run began (backup)
  uint64_t raw_bytes = 0;            // COPY data and large-object contents
  uint64_t stored_bytes = 0;         // the backup's files
  uint64_t peak_memory_bytes = 0;    // the process's peak resident set
  double cpu_user_s = 0;             // the process's CPU time
  double cpu_system_s = 0;
  uint64_t errors = 0;  // lost data connections replaced; in a cluster, also failed databases
  std::vector<TableTiming> slowest_tables;  // at most kSlowestTables, slowest first

  bool operator==(const RunMetrics&) const = default;

  double compression_ratio() const;  // raw / stored; 0 when nothing is stored
  double write_bytes_per_s() const;  // stored / duration
  double cpu_percent() const;        // CPU time over wall time: 200 = two cores busy
};

// Peak memory and CPU time of this process so far, into `metrics`.
void CaptureProcessMetrics(RunMetrics* metrics);

// The slowest tables of a backup, each named `prefix` + "schema.table".
std::vector<TableTiming> SlowestTables(const std::vector<TableEntry>& tables,
                                       const std::string& prefix = "");
// The kSlowestTables slowest of several lists.
std::vector<TableTiming> SlowestOf(std::vector<TableTiming> timings);

// Adds one database's run to a cluster run's `total`: its size, bytes and errors (a database that
// failed counts one more), its slowest tables named "database: schema.table".
void AddDatabaseMetrics(const std::string& database, const RunMetrics& part, bool failed,
                        RunMetrics* total);

// The "metrics" object of the manifests and of the json progress mode's summary. Derived values
// (compression_ratio, write_bytes_per_s) are written for readers, not read back.
nlohmann::json MetricsToJson(const RunMetrics& metrics);
// Throws a json exception (the manifest parsers turn it into kCorrupt) on a bad field.
RunMetrics MetricsFromJson(const nlohmann::json& j);

// The summary lines (each "  " + text + "\n"): duration, data and ratio, write rate, CPU, peak
// memory, errors, database size when known, then the slowest tables.
std::string DescribeMetrics(const RunMetrics& metrics);

}  // namespace dbb::engine
