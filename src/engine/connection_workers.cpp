#include "engine/connection_workers.h"

#include <algorithm>
#include <atomic>
#include <thread>

namespace dbb::engine {

void RunOnConnections(const pg::ConnParams& params, int jobs, const ConnectionTask& setup,
                      std::vector<SizedTask> tasks, RunState* run) {
  std::stable_sort(tasks.begin(), tasks.end(),
                   [](const SizedTask& a, const SizedTask& b) { return a.bytes > b.bytes; });
  std::atomic<size_t> next{0};
  auto worker = [&] {
    auto conn = pg::Connection::Open(params);
    if (!conn.ok()) return run->Fail(conn.status());
    const int cancel_id = run->stop()->OnStop([c = &conn.value()] { c->Cancel(); });
    Status st = setup(conn.value());
    while (st.ok() && !run->stop()->requested()) {
      const size_t i = next.fetch_add(1);
      if (i >= tasks.size()) break;
      st = tasks[i].run(conn.value());
    }
    run->stop()->Unregister(cancel_id);
    if (!st.ok()) run->Fail(st);
  };
  std::vector<std::thread> threads;
  const size_t n =
      std::min<size_t>(static_cast<size_t>(std::max(jobs, 1)), std::max<size_t>(1, tasks.size()));
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
}

}  // namespace dbb::engine
