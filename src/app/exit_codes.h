// The exit codes of dbbackup, one table for every command (documented in README.md).
#pragma once

namespace dbb::app {

enum ExitCode : int {
  kExitOk = 0,            // the command did everything it was asked
  kExitFailure = 1,       // it failed: I/O, server, corrupt input; the message says what and where
  kExitUsage = 2,         // bad command line or option value; nothing was done
  kExitPartial = 3,       // cluster backup/restore finished, some databases missing (listed)
  kExitVerifyFailed = 4,  // verify found problems (each one is printed)
  kExitUnavailable = 5,   // the command exists but is not implemented in this version
};
// An internal error (a failed always-on check) aborts with a message giving file:line: SIGABRT,
// which shells report as 134.

}  // namespace dbb::app
