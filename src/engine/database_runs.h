// The databases of a cluster backup or restore, several at once within one budget of data
// connections (`-j` counts them all, so the memory bound and the load on the server are those of
// one run with -j connections, however many databases run side by side).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/stop.h"

namespace dbb::engine {

// What a database costs besides its data (connections, snapshot, pg_dump / pg_restore of its
// schema, post-data), counted as this many bytes when shares are made: small databases then run
// side by side, one connection each, rather than one after the other with every connection.
inline constexpr uint64_t kDatabaseFixedCostBytes = 64ull << 20;

struct DatabaseRun {
  uint64_t bytes = 0;              // its size: the order and its share of the connections
  std::function<void(int)> start;  // runs the database with that many data connections
};

// Starts the runs largest first (the order among equals is kept). Each starts as soon as a
// connection of the budget is free and takes its share of the budget: `connections` x its cost
// / the cost of the runs not yet started (cost: bytes + kDatabaseFixedCostBytes), rounded, at
// least 1 and at most what is free. So one
// large database gets every connection, and many small ones run one connection each, side by
// side. Returns once every started run has returned; after a stop request no further run
// starts. The runs report their own outcomes; they must not throw.
void RunDatabases(std::vector<DatabaseRun> runs, int connections, StopSource* stop);

// The share described above, from costs (exposed for its test).
int ConnectionShare(uint64_t cost, uint64_t cost_not_started, int connections);

}  // namespace dbb::engine
