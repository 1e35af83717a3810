#include "engine/run_metrics.h"

#include <algorithm>
#include <cstdio>

#include "common/process_stats.h"
#include "common/units.h"
#include "engine/manifest.h"

namespace dbb::engine {

double RunMetrics::compression_ratio() const {
  return stored_bytes == 0 ? 0 : static_cast<double>(raw_bytes) / static_cast<double>(stored_bytes);
}

double RunMetrics::write_bytes_per_s() const {
  return duration_s <= 0 ? 0 : static_cast<double>(stored_bytes) / duration_s;
}

double RunMetrics::cpu_percent() const {
  return duration_s <= 0 ? 0 : (cpu_user_s + cpu_system_s) / duration_s * 100;
}

void CaptureProcessMetrics(RunMetrics* metrics) {
  const ProcessStats p = ReadProcessStats();
  metrics->peak_memory_bytes = p.peak_rss_bytes;
  metrics->cpu_user_s = p.cpu_user_s;
  metrics->cpu_system_s = p.cpu_system_s;
}

std::vector<TableTiming> SlowestOf(std::vector<TableTiming> timings) {
  std::stable_sort(timings.begin(), timings.end(), [](const TableTiming& a, const TableTiming& b) {
    return a.seconds > b.seconds;
  });
  if (timings.size() > kSlowestTables) timings.resize(kSlowestTables);
  return timings;
}

std::vector<TableTiming> SlowestTables(const std::vector<TableEntry>& tables,
                                       const std::string& prefix) {
  std::vector<TableTiming> timings;
  timings.reserve(tables.size());
  for (const TableEntry& t : tables) {
    timings.push_back({.table = prefix + t.schema + "." + t.name,
                       .seconds = t.seconds(),
                       .raw_bytes = t.raw_bytes(),
                       .files = t.files.size()});
  }
  return SlowestOf(std::move(timings));
}

void AddDatabaseMetrics(const std::string& database, const RunMetrics& part, bool failed,
                        RunMetrics* total) {
  total->database_size_bytes += part.database_size_bytes;
  total->raw_bytes += part.raw_bytes;
  total->stored_bytes += part.stored_bytes;
  total->errors += part.errors + (failed ? 1 : 0);
  for (TableTiming t : part.slowest_tables) {
    t.table = database + ": " + t.table;
    total->slowest_tables.push_back(std::move(t));
  }
  total->slowest_tables = SlowestOf(std::move(total->slowest_tables));
}

std::string DescribeMetrics(const RunMetrics& m) {
  std::string errors = "no errors";
  if (m.errors > 0) {
    errors = std::to_string(m.errors) + (m.errors == 1 ? " error" : " errors") +
             " (see the warnings above)";
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "  %.1f s: data %s, files %s (ratio %.2f): %.0f MB/s of data, %.0f MB/s of files\n"
                "  CPU %.1f s user + %.1f s system (%.0f%% of one core); peak memory %s; %s\n",
                m.duration_s, FormatBytes(m.raw_bytes).c_str(), FormatBytes(m.stored_bytes).c_str(),
                m.compression_ratio(),
                static_cast<double>(m.raw_bytes) / 1e6 / std::max(m.duration_s, 1e-3),
                m.write_bytes_per_s() / 1e6, m.cpu_user_s, m.cpu_system_s, m.cpu_percent(),
                FormatBytes(m.peak_memory_bytes).c_str(), errors.c_str());
  std::string out = buf;
  if (m.database_size_bytes > 0) {
    out += "  database size " + FormatBytes(m.database_size_bytes) + " (pg_database_size)\n";
  }
  for (size_t i = 0; i < m.slowest_tables.size(); ++i) {
    const TableTiming& t = m.slowest_tables[i];
    std::snprintf(buf, sizeof buf, "%s%s %.1f s (%s, %zu %s)", i == 0 ? "  slowest tables: " : ", ",
                  t.table.c_str(), t.seconds, FormatBytes(t.raw_bytes).c_str(), t.files,
                  t.files == 1 ? "file" : "files");
    out += buf;
  }
  if (!m.slowest_tables.empty()) out += "\n";
  return out;
}

nlohmann::json MetricsToJson(const RunMetrics& m) {
  nlohmann::json slowest = nlohmann::json::array();
  for (const TableTiming& t : m.slowest_tables) {
    slowest.push_back({{"table", t.table},
                       {"seconds", t.seconds},
                       {"raw_bytes", t.raw_bytes},
                       {"files", t.files}});
  }
  return {{"duration_s", m.duration_s},
          {"database_size_bytes", m.database_size_bytes},
          {"raw_bytes", m.raw_bytes},
          {"stored_bytes", m.stored_bytes},
          {"compression_ratio", m.compression_ratio()},
          {"write_bytes_per_s", m.write_bytes_per_s()},
          {"peak_memory_bytes", m.peak_memory_bytes},
          {"cpu_user_s", m.cpu_user_s},
          {"cpu_system_s", m.cpu_system_s},
          {"errors", m.errors},
          {"slowest_tables", slowest}};
}

RunMetrics MetricsFromJson(const nlohmann::json& j) {
  RunMetrics m{.duration_s = j.value("duration_s", 0.0),
               .database_size_bytes = j.value("database_size_bytes", uint64_t{0}),
               .raw_bytes = j.value("raw_bytes", uint64_t{0}),
               .stored_bytes = j.value("stored_bytes", uint64_t{0}),
               .peak_memory_bytes = j.value("peak_memory_bytes", uint64_t{0}),
               .cpu_user_s = j.value("cpu_user_s", 0.0),
               .cpu_system_s = j.value("cpu_system_s", 0.0),
               .errors = j.value("errors", uint64_t{0})};
  for (const nlohmann::json& t : j.value("slowest_tables", nlohmann::json::array())) {
    m.slowest_tables.push_back({.table = t.at("table").get<std::string>(),
                                .seconds = t.value("seconds", 0.0),
                                .raw_bytes = t.value("raw_bytes", uint64_t{0}),
                                .files = t.value("files", size_t{0})});
  }
  return m;
}

}  // namespace dbb::engine
