// The worker pool of a backup or restore: `jobs` connections taking tasks, largest first, until
// none is left, one fails or a stop is requested.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/run_state.h"
#include "pg/connection.h"

namespace dbb::engine {

// One unit of work on a connection: a table's file, a chunk, a file of large objects. A task
// that may be retried (RetryPolicy) must be redoable: a failed run leaves nothing behind that a
// second run on a new connection would trip over or count twice.
using ConnectionTask = std::function<Status(pg::Connection&)>;
struct SizedTask {
  uint64_t bytes = 0;  // an estimate of its work, for the order
  ConnectionTask run;
  // What it does, for messages about a lost connection: "copying table \"public\".\"t\" (chunk 3
  // of 8)". Empty: its error is reported as it is, and it is never retried.
  std::string what;
  // What the progress display shows while it runs: "public.orders (chunk 3 of 8)"; empty: `what`.
  std::string label;
  // The task does not count the bytes it moves as it goes (a unit of large objects): `bytes` is
  // counted as done when it succeeds.
  bool bytes_when_done = false;
};

// What a worker does when its connection is lost under a task (the server ended the session,
// the network failed: pg::Connection::lost() after the failure) and no stop was requested: it
// waits (first_delay, doubling up to max_delay; a stop ends the wait), opens a new connection,
// runs `setup` on it again and redoes the task; at most `retries` times per task. Each retry is
// a warning on stderr. A task without a `what` is never retried.
struct RetryPolicy {
  int retries = 0;  // 0: a lost connection fails the run at once
  std::chrono::milliseconds first_delay{1000};
  std::chrono::milliseconds max_delay{30000};
};

// Opens min(jobs, tasks) connections (at least one), runs `setup` on each (importing a snapshot,
// session settings), then each takes the next task, largest first (the order among equals is
// kept), so that the last tasks are short and one large table is spread over every connection. The
// first error goes to run->Fail and stops the others; a stop cancels each connection's running
// command and ends a retry's wait. Returns when every worker has ended; the outcome is
// run->status().
//
// A task whose connection was lost (one with a `what`) fails with kConnection "data connection
// lost while <what>: <error>", saying how many retries were made. A retry that cannot open a new
// connection (the server is restarting), or loses it again, counts as one and is followed by the
// next; when `setup` fails on a new connection that is alive (the snapshot it imports is gone:
// the backup's `setup` says so, coordinator_watch.h), that error is the run's as it is.
//
// With run->progress(), the tasks are counted as planned (their `bytes` estimates, replacing the
// run's estimate_bytes), each is shown while it runs and counted when done, and each retry
// counts as an error recovered from; the tasks themselves count the bytes they move.
void RunOnConnections(const pg::ConnParams& conn, int jobs, const ConnectionTask& setup,
                      std::vector<SizedTask> tasks, RunState* run, const RetryPolicy& retry = {});

}  // namespace dbb::engine
