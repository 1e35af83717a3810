// The exit codes of dbbackup, one table for every command (documented in README.md).
#pragma once

#include <span>
#include <string>

#include "common/status.h"

namespace dbb::app {

enum ExitCode : int {
  kExitOk = 0,             // the command did everything it was asked
  kExitFailure = 1,        // it failed: I/O, server error, corrupt input; the message says where
  kExitUsage = 2,          // bad command line or option value; nothing was done
  kExitPartial = 3,        // cluster backup/restore finished, some databases missing (listed)
  kExitVerifyFailed = 4,   // verify found problems (each one is printed); tune --check found
                           // settings that differ from the recommended ones
  kExitConnection = 6,     // cannot connect: server unreachable, authentication, no such database;
                           // or a connection was lost (the coordinator, a data connection after
                           // its retries)
  kExitRefused = 7,        // the destination is not safe to write (backup dir or target database
                           // not empty, not writable), or tune --apply without root; nothing was
                           // changed
  kExitInterrupted = 130,  // 128 + the signal: 130 for SIGINT, 143 for SIGTERM; no manifest
};
// An internal error (a failed always-on check) aborts with a message giving file:line: SIGABRT,
// which shells report as 134.

// One exit code, documented: `summary` goes into --help, `detail` into the man page.
struct ExitCodeDoc {
  int code;
  const char* summary;
  const char* detail;
};

// Every exit code dbbackup returns, in order: the single source for --help and `man dbbackup`.
std::span<const ExitCodeDoc> ExitCodeDocs();

// The "Exit codes: 0 ok, 1 failed, ..." paragraph of the top-level --help, wrapped to fit it.
std::string ExitCodesHelp();

// Prints "dbbackup <command>: <message>" to stderr and returns the exit code for `status`.
int ReportFailure(const std::string& command, const Status& status, int stop_signal);

}  // namespace dbb::app
