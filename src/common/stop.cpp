#include "common/stop.h"

#include <algorithm>
#include <utility>

namespace dbb {

// Callbacks run while mu_ is held: that is what makes Unregister wait for a running callback,
// so a worker can free what its callback touches as soon as Unregister returns.
void StopSource::Request(const std::string& reason, int signal) {
  std::lock_guard<std::mutex> lock(mu_);
  if (requested_.load(std::memory_order_relaxed)) return;
  reason_ = reason;
  signal_ = signal;
  requested_.store(true, std::memory_order_release);
  for (auto& [id, fn] : callbacks_) fn();
}

int StopSource::signal() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signal_;
}

std::string StopSource::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

int StopSource::OnStop(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  const int id = next_id_++;
  if (requested_.load(std::memory_order_relaxed)) fn();
  callbacks_.emplace_back(id, std::move(fn));
  return id;
}

void StopSource::Unregister(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(callbacks_, [id](const auto& entry) { return entry.first == id; });
}

StopTimer::StopTimer(StopSource* stop, std::chrono::milliseconds after, std::string reason) {
  if (after.count() <= 0) return;
  thread_ = std::thread([this, stop, after, reason = std::move(reason)] {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, after, [this] { return cancelled_; })) return;
    fired_.store(true, std::memory_order_release);
    lock.unlock();
    stop->Request(reason);
  });
}

StopTimer::~StopTimer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace dbb
