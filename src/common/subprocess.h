// Runs an external program (pg_dump, pg_restore) to completion: argv without a shell, extra
// environment variables (a password goes to the child through PGPASSWORD, never argv, so `ps`
// does not show it), stdout to a file or /dev/null, stderr captured (its last 64 KiB) for the
// error message or, when all of it matters (psql's list of errors), written to a file.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/stop.h"

namespace dbb {

struct ProcessOptions {
  std::vector<std::string> argv;                         // argv[0]: a path or a name on PATH
  std::vector<std::pair<std::string, std::string>> env;  // set (or replaced) in the child
  std::string stdout_path;                               // "" = /dev/null; created 0600
  std::string stderr_path;     // "" = captured in ProcessResult::stderr_text; else created 0600,
                               // all of stderr goes there and stderr_text stays empty
  StopSource* stop = nullptr;  // when a stop is requested, the child gets SIGTERM (then SIGKILL
                               // after 5 s) and RunProcess returns kCancelled
};

struct ProcessResult {
  int exit_code = -1;       // when it exited
  int term_signal = 0;      // when a signal ended it
  std::string stderr_text;  // the last 64 KiB it wrote to stderr (none with stderr_path)
};

// kIoError if it cannot be started (program not found names argv[0]); otherwise the result,
// whatever the exit code: the caller decides what a non-zero exit means.
Result<ProcessResult> RunProcess(const ProcessOptions& options);

}  // namespace dbb
