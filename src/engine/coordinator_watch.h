// The coordinator connection of a backup holds the point in time: the snapshot it exported and
// the ACCESS SHARE locks on every table are its transaction's. Once it is lost, both are gone: a
// data connection can no longer import the snapshot (to retry a chunk), and nothing keeps a
// table from being truncated or dropped under the copies. The backup must stop, and say why.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "engine/run_state.h"
#include "pg/connection.h"

namespace dbb::engine {

// While it lives, checks every `interval` that the (idle in transaction) coordinator connection
// is still there (pg::Connection::CheckAlive: sends nothing, so its transaction is undisturbed),
// and when it is lost, fails `run` with kConnection "the coordinator connection was lost (...):
// the snapshot it exported is gone ...; run the backup again", which stops every worker; no
// manifest is written. It stops checking once the run is stopped.
//
// Thread-safety contract: between construction and destruction the watch's thread is the only
// one that runs commands on `coordinator`. Others may meanwhile only read what was set when it
// connected (pg::DumpSchema: server_version_num, ConninfoWithoutPassword, Password) and call
// Cancel (the stop callbacks: PQcancel on its own cancel object). The destructor returns once
// the thread has ended; after it the owner uses the connection again (COMMIT).
class CoordinatorWatch {
 public:
  CoordinatorWatch(pg::Connection& coordinator, RunState* run,
                   std::chrono::milliseconds interval = std::chrono::milliseconds(250));
  ~CoordinatorWatch();
  CoordinatorWatch(const CoordinatorWatch&) = delete;
  CoordinatorWatch& operator=(const CoordinatorWatch&) = delete;

 private:
  void Watch(pg::Connection& coordinator, RunState* run, std::chrono::milliseconds interval);

  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// The `setup` of a data connection (connection_workers.h): imports `snapshot`. When the snapshot
// is gone (SQLSTATE 22023, which is what importing says once the coordinator that exported it
// has ended), kConnection saying that the backup cannot continue as one point in time.
Status ImportBackupSnapshot(pg::Connection& conn, const std::string& snapshot);

}  // namespace dbb::engine
