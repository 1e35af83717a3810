// The worker pool of a backup or restore: `jobs` connections taking tasks, largest first, until
// none is left, one fails or a stop is requested.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/status.h"
#include "engine/run_state.h"
#include "pg/connection.h"

namespace dbb::engine {

// One unit of work on a connection: a table's file, a chunk, a file of large objects.
using ConnectionTask = std::function<Status(pg::Connection&)>;
struct SizedTask {
  uint64_t bytes = 0;  // an estimate of its work, for the order
  ConnectionTask run;
};

// Opens min(jobs, tasks) connections (at least one), runs `setup` on each (importing a snapshot,
// session settings), then each takes the next task, largest first (the order among equals is
// kept), so that the last tasks are short and one large table is spread over every connection. The
// first error goes to run->Fail and stops the others; a stop cancels each connection's running
// command. Returns when every worker has ended; the outcome is run->status().
void RunOnConnections(const pg::ConnParams& conn, int jobs, const ConnectionTask& setup,
                      std::vector<SizedTask> tasks, RunState* run);

}  // namespace dbb::engine
