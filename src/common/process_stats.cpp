#include "common/process_stats.h"

#include <sys/resource.h>

namespace dbb {
namespace {

double Seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

}  // namespace

ProcessStats ReadProcessStats() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return {};
  return {.peak_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024,  // Linux: KiB
          .cpu_user_s = Seconds(usage.ru_utime),
          .cpu_system_s = Seconds(usage.ru_stime)};
}

}  // namespace dbb
