#include "common/check.h"

#include <cstdio>
#include <cstdlib>

namespace dbb {

void CheckFailed(const char* file, int line, const char* condition, const char* detail) {
  std::fprintf(stderr, "dbbackup: internal error at %s:%d: check failed: %s%s%s\n", file, line,
               condition, detail ? ": " : "", detail ? detail : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace dbb
