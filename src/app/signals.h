// SIGINT and SIGTERM become a stop request instead of killing the process mid-write: the
// workers stop, partial files are removed, no manifest is written, and the command exits
// 128 + the signal number (130, 143).
#pragma once

#include <atomic>
#include <thread>

#include "common/stop.h"

namespace dbb::app {

// Blocks SIGINT and SIGTERM (and SIGUSR2, which only wakes the watcher to end it) in the calling
// thread (and so in every thread it starts later) and waits for them on a thread of its own. Create
// it before any other thread; one per process. Child processes get an unblocked mask
// (common/subprocess).
class SignalWatcher {
 public:
  explicit SignalWatcher(StopSource* stop);
  ~SignalWatcher();  // stops watching; the signals stay blocked
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace dbb::app
