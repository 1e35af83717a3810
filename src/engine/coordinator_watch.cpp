#include "engine/coordinator_watch.h"

#include "pg/snapshot.h"

namespace dbb::engine {
namespace {

constexpr char kRunAgain[] =
    "the backup cannot continue as one point in time; run the backup again";

}  // namespace

CoordinatorWatch::CoordinatorWatch(pg::Connection& coordinator, RunState* run,
                                   std::chrono::milliseconds interval)
    : thread_([this, &coordinator, run, interval] { Watch(coordinator, run, interval); }) {}

CoordinatorWatch::~CoordinatorWatch() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CoordinatorWatch::Watch(pg::Connection& coordinator, RunState* run,
                             std::chrono::milliseconds interval) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval, [this] { return done_; })) {
    if (run->stop()->requested()) return;
    const Status alive = coordinator.CheckAlive();
    if (alive.ok()) continue;
    run->Fail(Status(StatusCode::kConnection,
                     "the coordinator connection was lost (" + alive.message() +
                         "): the snapshot it exported and the table locks it held are gone, so " +
                         kRunAgain));
    return;
  }
}

Status ImportBackupSnapshot(pg::Connection& conn, const std::string& snapshot) {
  Status st = pg::ImportSnapshot(conn, snapshot);
  if (st.ok() || st.message().find("22023") == std::string::npos || conn.lost()) return st;
  return Status(StatusCode::kConnection,
                std::string("the coordinator connection that holds the snapshot was lost: the "
                            "snapshot is gone, so ") +
                    kRunAgain + " (" + st.message() + ")");
}

}  // namespace dbb::engine
