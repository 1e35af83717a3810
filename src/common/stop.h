// A run-wide stop request: set once (by the SIGINT/SIGTERM thread, or by the first part of a run
// that fails), seen by every worker. Callbacks registered with OnStop run once, on the thread
// that requests the stop: they wake what polling cannot (a libpq cancel of a running COPY, a
// child process that must be killed).
//
// Thread-safe. Callbacks must be quick and must not call back into this object.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dbb {

class StopSource {
 public:
  StopSource() = default;
  StopSource(const StopSource&) = delete;
  StopSource& operator=(const StopSource&) = delete;

  // The first call wins: records `reason` (and `signal`, 0 when not a signal) and runs the
  // registered callbacks. Later calls do nothing.
  void Request(const std::string& reason, int signal = 0);
  bool requested() const { return requested_.load(std::memory_order_acquire); }
  int signal() const;          // SIGINT/SIGTERM that caused the stop, or 0
  std::string reason() const;  // "" before a request

  // Registers `fn` to run on Request; runs it at once if a stop was already requested. The id
  // removes it again (Unregister), which a worker does before the object `fn` touches goes away.
  // Unregister waits if the callback is running at that moment.
  int OnStop(std::function<void()> fn);
  void Unregister(int id);

 private:
  std::atomic<bool> requested_{false};
  mutable std::mutex mu_;
  int signal_ = 0;
  std::string reason_;
  int next_id_ = 1;
  std::vector<std::pair<int, std::function<void()>>> callbacks_;
};

// Stops `stop` with `reason` once `after` has passed, unless destroyed first (a per-database
// timeout). A duration of zero never fires. One thread per timer, sleeping until then.
class StopTimer {
 public:
  StopTimer(StopSource* stop, std::chrono::milliseconds after, std::string reason);
  ~StopTimer();  // cancels it; returns once its thread has ended
  StopTimer(const StopTimer&) = delete;
  StopTimer& operator=(const StopTimer&) = delete;

  bool fired() const { return fired_.load(std::memory_order_acquire); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

}  // namespace dbb
