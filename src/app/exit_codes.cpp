#include "app/exit_codes.h"

#include <cstdio>

namespace dbb::app {

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
