#include "app/signals.h"

#include <pthread.h>
#include <signal.h>

#include <ctime>
#include <string>

#include "common/log.h"

namespace dbb::app {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(StopSource* stop) {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, stop, set] {
    // A bounded wait, so the destructor can end the thread without sending it a signal.
    const timespec tick{.tv_sec = 0, .tv_nsec = 200'000'000};
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
  thread_.join();
}

}  // namespace dbb::app
