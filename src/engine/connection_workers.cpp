#include "engine/connection_workers.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "common/log.h"

namespace dbb::engine {
namespace {

// Sleeps `delay`, or less when a stop is requested meanwhile; false when stopped.
bool WaitUnlessStopped(StopSource* stop, std::chrono::milliseconds delay) {
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  // Unregister waits for a running callback, so the locals outlive every use.
  const int id = stop->OnStop([&] {
    std::lock_guard<std::mutex> lock(mu);
    stopped = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, delay, [&] { return stopped; });
  }
  stop->Unregister(id);
  return !stop->requested();
}

std::string FormatDelay(std::chrono::milliseconds delay) {
  const int64_t ms = delay.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

std::string Retries(int n) { return std::to_string(n) + (n == 1 ? " retry" : " retries"); }

// One worker's connection, replaced by a new one when it is lost under a task. Its stop callback
// cancels the current connection's running command.
class Worker {
 public:
  Worker(const pg::ConnParams& params, const ConnectionTask& setup, const RetryPolicy& retry,
         RunState* run)
      : params_(params), setup_(setup), retry_(retry), run_(run) {}
  ~Worker() { Disconnect(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Opens a connection and runs `setup` on it.
  Status Connect() {
    auto conn = pg::Connection::Open(params_);
    if (!conn.ok()) return conn.status();
    conn_.emplace(std::move(conn.value()));
    cancel_id_ = run_->stop()->OnStop([c = &*conn_] { c->Cancel(); });
    return setup_(*conn_);
  }

  // Runs `task`; while its connection is lost under it, and retries are left, redoes it on a
  // new one.
  Status Run(const SizedTask& task) {
    Status st = task.run(*conn_);
    for (int retries = 0; !st.ok() && !task.what.empty() && lost();) {
      if (run_->stop()->requested()) return st;  // an echo of the stop
      const std::string lost_message =
          "data connection lost while " + task.what + ": " + st.message();
      if (retries >= retry_.retries) {
        return Status(
            StatusCode::kConnection,
            lost_message + (retries == 0 ? "; not retried (--retries 0)"
                                         : "; gave up after " + Retries(retries) + " (--retries " +
                                               std::to_string(retry_.retries) + ")"));
      }
      ++retries;
      run_->CountRetry();
      const std::chrono::milliseconds delay = Backoff(retries);
      log::Warn(lost_message + "; reconnecting in " + FormatDelay(delay) + " (retry " +
                std::to_string(retries) + " of " + std::to_string(retry_.retries) + ")");
      if (!WaitUnlessStopped(run_->stop(), delay)) return st;
      Disconnect();
      st = Connect();
      // Connecting does not see a stop: the new connection's cancel is registered after it.
      if (run_->stop()->requested()) return Status(StatusCode::kCancelled, "stopped");
      if (st.ok()) {
        st = task.run(*conn_);
      } else if (!lost()) {
        return st;  // set-up refused on a live connection: retrying cannot help
      }
    }
    return st;
  }

  void Disconnect() {
    if (cancel_id_ != 0) run_->stop()->Unregister(cancel_id_);
    cancel_id_ = 0;
    conn_.reset();
  }

 private:
  bool lost() const { return !conn_ || conn_->lost(); }

  // first_delay, doubling with each retry, at most max_delay.
  std::chrono::milliseconds Backoff(int retry) const {
    std::chrono::milliseconds delay = retry_.first_delay;
    for (int i = 1; i < retry && delay < retry_.max_delay; ++i) delay *= 2;
    return std::min(delay, retry_.max_delay);
  }

  const pg::ConnParams& params_;
  const ConnectionTask& setup_;
  const RetryPolicy& retry_;
  RunState* const run_;
  std::optional<pg::Connection> conn_;
  int cancel_id_ = 0;  // 0: none registered (OnStop ids start at 1)
};

}  // namespace

void RunOnConnections(const pg::ConnParams& params, int jobs, const ConnectionTask& setup,
                      std::vector<SizedTask> tasks, RunState* run, const RetryPolicy& retry) {
  std::stable_sort(tasks.begin(), tasks.end(),
                   [](const SizedTask& a, const SizedTask& b) { return a.bytes > b.bytes; });
  Progress* progress = run->progress();
  if (progress != nullptr) {
    uint64_t bytes = 0;
    for (const SizedTask& t : tasks) bytes += t.bytes;
    progress->AddPlanned(tasks.size(), bytes, run->estimate_bytes());
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    Worker worker(params, setup, retry, run);
    Status st = worker.Connect();
    while (st.ok() && !run->stop()->requested()) {
      const size_t i = next.fetch_add(1);
      if (i >= tasks.size()) break;
      Progress::Unit unit(
          progress, run->unit_prefix() + (tasks[i].label.empty() ? tasks[i].what : tasks[i].label));
      st = worker.Run(tasks[i]);
      if (!st.ok()) continue;
      unit.Done();
      if (tasks[i].bytes_when_done && progress != nullptr) progress->AddBytes(tasks[i].bytes);
    }
    worker.Disconnect();
    if (!st.ok()) run->Fail(st);
  };
  std::vector<std::thread> threads;
  const size_t n =
      std::min<size_t>(static_cast<size_t>(std::max(jobs, 1)), std::max<size_t>(1, tasks.size()));
  for (size_t i = 0; i < n; ++i) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
}

}  // namespace dbb::engine
