// Wall-clock measurement for the summaries and --verbose: where the time went.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace dbb {

using SteadyClock = std::chrono::steady_clock;

inline double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

inline double NanosToSeconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

// Adds the time from construction to destruction to `counter` (nanoseconds); threads may share
// the counter.
class ScopedNanos {
 public:
  explicit ScopedNanos(std::atomic<uint64_t>* counter)
      : counter_(counter), start_(SteadyClock::now()) {}
  ~ScopedNanos() {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start_).count();
    counter_->fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
  }
  ScopedNanos(const ScopedNanos&) = delete;
  ScopedNanos& operator=(const ScopedNanos&) = delete;

 private:
  std::atomic<uint64_t>* counter_;
  SteadyClock::time_point start_;
};

}  // namespace dbb
