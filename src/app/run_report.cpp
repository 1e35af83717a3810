#include "app/run_report.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "app/exit_codes.h"
#include "app/progress_display.h"
#include "common/log.h"
#include "engine/metrics_file.h"

namespace dbb::app {

void AddReportFlags(CLI::App* cmd, ReportFlags* flags) {
  cmd->add_option("--metrics-file", flags->metrics_file,
                  "write the run's metrics to PATH in the Prometheus text format, atomically, "
                  "for node_exporter's textfile collector (PATH ending in .prom in its "
                  "--collector.textfile.directory): last success time, duration, bytes, ratio, "
                  "peak memory, CPU, errors, labelled by database; also after a failure. Other "
                  "databases' series in the file are kept");
}

Status CheckReportFlags(const ReportFlags& flags) {
  if (flags.metrics_file.empty()) return Status::Ok();
  const std::filesystem::path path(flags.metrics_file);
  const std::string dir = path.has_parent_path() ? path.parent_path().string() : ".";
  if (!path.has_filename() || std::filesystem::is_directory(path)) {
    return Status(StatusCode::kInvalidArgument,
                  "--metrics-file " + flags.metrics_file + ": give a file name (e.g. " +
                      (dir == "." ? "" : dir + "/") + "dbbackup.prom)");
  }
  if (path.extension() != ".prom") {
    log::Warn("--metrics-file " + flags.metrics_file +
              ": node_exporter's textfile collector reads only files whose name ends in .prom");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Status(StatusCode::kInvalidArgument, "--metrics-file " + flags.metrics_file +
                                                    ": directory " + dir + " is not writable (" +
                                                    std::strerror(errno) +
                                                    "): create it or give another path");
  }
  return Status::Ok();
}

engine::RunMetrics FailedRunMetrics(double duration_s) {
  engine::RunMetrics m{.duration_s = duration_s, .errors = 1};
  engine::CaptureProcessMetrics(&m);
  return m;
}

int FinishFailedRun(const std::string& command, const std::string& what, const ReportFlags& flags,
                    const Status& status, int stop_signal, const std::string& database,
                    double duration_s) {
  const int code = ReportFailure(what, status, stop_signal);
  const engine::RunMetrics failed = FailedRunMetrics(duration_s);
  return FinishRun(command, flags, {{.database = database, .metrics = failed}}, failed, code);
}

int FinishRun(const std::string& command, const ReportFlags& flags,
              const std::vector<DatabaseOutcome>& outcomes, const engine::RunMetrics& total,
              int exit_code) {
  if (EffectiveProgressMode() == ProgressMode::kJson) {
    nlohmann::json databases = nlohmann::json::array();
    for (const DatabaseOutcome& o : outcomes) {
      databases.push_back({{"database", o.database}, {"success", o.success}});
    }
    PrintJsonLine({{"type", "summary"},
                   {"command", command},
                   {"exit_code", exit_code},
                   {"databases", databases},
                   {"metrics", engine::MetricsToJson(total)}});
  }
  if (flags.metrics_file.empty()) return exit_code;
  const double now_s = static_cast<double>(std::time(nullptr));
  std::vector<engine::DatabaseRunMetrics> runs;
  for (const DatabaseOutcome& o : outcomes) {
    runs.push_back({.database = o.database,
                    .success = o.success,
                    .finished_unix_s = now_s,
                    .metrics = o.metrics});
  }
  const Status st = engine::WriteMetricsFile(flags.metrics_file, command, runs);
  if (st.ok()) return exit_code;
  std::fprintf(stderr, "dbbackup %s: %s (the %s itself %s)\n", command.c_str(),
               st.message().c_str(), command.c_str(),
               exit_code == kExitOk ? "is complete" : "ended as said above");
  return exit_code == kExitOk ? kExitFailure : exit_code;
}

}  // namespace dbb::app
