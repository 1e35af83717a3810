#include "engine/database_runs.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/check.h"

namespace dbb::engine {

int ConnectionShare(uint64_t cost, uint64_t cost_not_started, int connections) {
  if (cost_not_started == 0) return 1;
  const double share = static_cast<double>(connections) * static_cast<double>(cost) /
                       static_cast<double>(cost_not_started);
  return std::clamp(static_cast<int>(share + 0.5), 1, connections);
}

void RunDatabases(std::vector<DatabaseRun> runs, int connections, StopSource* stop) {
  DBB_CHECK(connections >= 1 && stop != nullptr);
  std::stable_sort(runs.begin(), runs.end(),
                   [](const DatabaseRun& a, const DatabaseRun& b) { return a.bytes > b.bytes; });
  auto cost = [](const DatabaseRun& r) { return r.bytes + kDatabaseFixedCostBytes; };
  uint64_t not_started = 0;
  for (const DatabaseRun& r : runs) not_started += cost(r);

  std::mutex mu;
  std::condition_variable freed;
  int free = connections;
  // A stop wakes the wait for a free connection, so that nothing more starts.
  const int stop_id = stop->OnStop([&] {
    std::lock_guard<std::mutex> lock(mu);
    freed.notify_all();
  });
  std::vector<std::thread> threads;
  for (DatabaseRun& run : runs) {
    int granted = 0;
    {
      std::unique_lock<std::mutex> lock(mu);
      freed.wait(lock, [&] { return free > 0 || stop->requested(); });
      if (stop->requested()) break;
      granted = std::min(free, ConnectionShare(cost(run), not_started, connections));
      free -= granted;
    }
    not_started -= cost(run);
    threads.emplace_back([&, granted, start = std::move(run.start)] {
      start(granted);
      std::lock_guard<std::mutex> lock(mu);
      free += granted;
      freed.notify_all();
    });
  }
  for (std::thread& t : threads) t.join();
  stop->Unregister(stop_id);
}

}  // namespace dbb::engine
