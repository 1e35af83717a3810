#include "app/signals.h"

#include <pthread.h>
#include <signal.h>

#include <ctime>
#include <string>

#include "common/log.h"

namespace dbb::app {
namespace {

// SIGINT and SIGTERM stop the run; SIGUSR2 only wakes the watching thread when it is to end.
constexpr int kWakeSignal = SIGUSR2;

sigset_t WatchedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, kWakeSignal);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(StopSource* stop) {
  const sigset_t set = WatchedSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, stop, set] {
    // The destructor wakes the wait with kWakeSignal; the bound is a second line of defence.
    const timespec tick{.tv_sec = 1, .tv_nsec = 0};
    while (!done_.load()) {
      const int sig = sigtimedwait(&set, nullptr, &tick);
      if (sig != SIGINT && sig != SIGTERM) continue;
      const std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
      if (stop->requested()) {
        log::Warn(name + " again: still stopping, please wait");
        continue;
      }
      log::Warn(name + " received: stopping (no manifest is written, partial files are removed)");
      stop->Request("interrupted by " + name, sig);
    }
  });
}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  pthread_kill(thread_.native_handle(), kWakeSignal);
  thread_.join();
}

}  // namespace dbb::app
