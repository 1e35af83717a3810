#include "app/exit_codes.h"

#include <array>
#include <csignal>
#include <cstdio>

namespace dbb::app {
namespace {

// The summaries are terse (they share one --help paragraph); the details are the man page's.
constexpr std::array<ExitCodeDoc, 9> kExitCodeDocs{{
    {kExitOk, "ok", "Success: the command did everything it was asked."},
    {kExitFailure, "failed (tune --check: could not check)",
     "Failure: I/O error, server error or corrupt input; the message says where. For tune "
     "--check: the check itself could not be done."},
    {kExitUsage, "usage error", "Usage error: bad command line or option value; nothing was done."},
    {kExitPartial, "partial (cluster)",
     "Partial: a cluster backup or restore finished, but some databases are missing (they are "
     "listed)."},
    {kExitVerifyFailed, "verify or tune --check found problems",
     "Problems found: verify found damage (each problem is printed), or tune --check found "
     "settings that differ from the recommended ones."},
    {kExitConnection, "cannot connect (server, authentication, database)",
     "Cannot connect: server unreachable, authentication failed or no such database; or a "
     "connection was lost (the coordinator, or a data connection after its retries)."},
    {kExitRefused,
     "refused (backup dir or target database not empty or not writable; a backup of the "
     "--target running; tune --apply without root)",
     "Refused: the destination is not safe to write (backup directory or target database not "
     "empty, or not writable), another backup or prune of the same --target holds its lock, a "
     "prune --dir that is itself a backup, or tune --apply without root; nothing was changed."},
    {kExitInterrupted, "interrupted by SIGINT",
     "Interrupted by SIGINT (128 + 2). An interrupted backup has no manifest, so it is never "
     "taken for a complete one; backup --resume completes it."},
    {128 + SIGTERM, "stopped by SIGTERM",
     "Stopped by SIGTERM (128 + 15), e.g. by systemctl stop: as for 130."},
}};

// Where the top-level --help wraps its description by hand.
constexpr size_t kHelpWidth = 90;

// Greedy word wrap; `text` has single spaces between words.
std::string Wrap(const std::string& text, size_t width) {
  std::string out;
  size_t line_start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string::npos) end = text.size();
    if (end - line_start > width && pos > line_start) {
      out.back() = '\n';  // the space before this word
      line_start = out.size();
    }
    out.append(text, pos, end - pos);
    if (end < text.size()) out += ' ';
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::span<const ExitCodeDoc> ExitCodeDocs() { return kExitCodeDocs; }

std::string ExitCodesHelp() {
  std::string text = "Exit codes:";
  const char* separator = " ";
  for (const ExitCodeDoc& e : kExitCodeDocs) {
    text += separator + std::to_string(e.code) + " " + e.summary;
    separator = ", ";
  }
  return Wrap(text + ".", kHelpWidth);
}

int ReportFailure(const std::string& command, const Status& status, int stop_signal) {
  std::fprintf(stderr, "dbbackup %s: %s\n", command.c_str(), status.message().c_str());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    case StatusCode::kConnection:
      return kExitConnection;
    case StatusCode::kRefused:
      return kExitRefused;
    case StatusCode::kCancelled:
      return stop_signal != 0 ? 128 + stop_signal : kExitFailure;
    default:
      return kExitFailure;
  }
}

}  // namespace dbb::app
