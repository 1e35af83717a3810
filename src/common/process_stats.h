// What this process has used so far, for summaries, progress and metrics (getrusage).
#pragma once

#include <cstdint>

namespace dbb {

struct ProcessStats {
  uint64_t peak_rss_bytes = 0;  // the largest resident set so far (ru_maxrss)
  double cpu_user_s = 0;
  double cpu_system_s = 0;
};

ProcessStats ReadProcessStats();

// Peak resident set size of this process so far, in bytes.
inline uint64_t PeakRssBytes() { return ReadProcessStats().peak_rss_bytes; }

}  // namespace dbb
