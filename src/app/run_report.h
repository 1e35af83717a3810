// What backup and restore do at the end of a run besides their summary: in json progress mode,
// the summary as one more JSON line; with --metrics-file, the run's metrics for Prometheus
// (engine/metrics_file.h), written whether the run succeeded or failed.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/run_metrics.h"

namespace dbb::app {

struct ReportFlags {
  std::string metrics_file;
};
void AddReportFlags(CLI::App* cmd, ReportFlags* flags);
// Before the run: the metrics file's directory exists and is writable (kInvalidArgument naming
// --metrics-file and the fix), so that a long backup does not end unable to report.
Status CheckReportFlags(const ReportFlags& flags);

// One database's outcome: a failed run has only its duration and errors. A cluster run adds one
// for the whole run with database "".
struct DatabaseOutcome {
  std::string database;
  bool success = false;
  engine::RunMetrics metrics;
};

// Ends a run of `command` ("backup", "restore") that would exit with `exit_code`: prints the
// json summary line {"type": "summary", "command", "exit_code", "databases": [{"database",
// "success"}], "metrics": {...}} in json progress mode, and writes --metrics-file. Returns
// `exit_code`; kExitFailure instead of kExitOk when the metrics file could not be written (said
// on stderr: the backup or restore itself is complete).
int FinishRun(const std::string& command, const ReportFlags& flags,
              const std::vector<DatabaseOutcome>& outcomes, const engine::RunMetrics& total,
              int exit_code);

// The outcome of a run that failed before it could measure anything but its time.
engine::RunMetrics FailedRunMetrics(double duration_s);

// A run of `command` ("backup", "restore") that failed with `status` after `duration_s`: reports
// it (ReportFailure, as `what`: "backup single"), then FinishRun with one failed outcome for
// `database` ("" for a cluster run). Returns the exit code.
int FinishFailedRun(const std::string& command, const std::string& what, const ReportFlags& flags,
                    const Status& status, int stop_signal, const std::string& database,
                    double duration_s);

}  // namespace dbb::app
