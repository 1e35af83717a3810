#include "engine/database_runs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace dbb::engine {
namespace {

constexpr uint64_t kGiB = 1ull << 30;

TEST(ConnectionShare, ByCostRoundedWithinBounds) {
  EXPECT_EQ(ConnectionShare(10, 10, 4), 4) << "the last one takes everything";
  EXPECT_EQ(ConnectionShare(1, 100, 4), 1) << "at least one";
  EXPECT_EQ(ConnectionShare(50, 100, 4), 2);
  EXPECT_EQ(ConnectionShare(60, 100, 4), 2) << "2.4 rounds to 2";
  EXPECT_EQ(ConnectionShare(70, 100, 4), 3) << "2.8 rounds to 3";
  EXPECT_EQ(ConnectionShare(5, 0, 4), 1);
}

// Runs `sizes` with `connections`; returns the connections each got, in start order, and the
// most connections in use at once.
struct Observed {
  std::vector<std::pair<uint64_t, int>> started;  // (bytes, connections)
  int peak = 0;
};

Observed RunAll(const std::vector<uint64_t>& sizes, int connections) {
  Observed seen;
  std::mutex mu;
  int in_use = 0;
  std::vector<DatabaseRun> runs;
  for (uint64_t bytes : sizes) {
    runs.push_back({.bytes = bytes, .start = [&, bytes](int jobs) {
                      {
                        std::lock_guard<std::mutex> lock(mu);
                        seen.started.emplace_back(bytes, jobs);
                        in_use += jobs;
                        seen.peak = std::max(seen.peak, in_use);
                      }
                      std::this_thread::sleep_for(std::chrono::milliseconds(50));
                      std::lock_guard<std::mutex> lock(mu);
                      in_use -= jobs;
                    }});
  }
  StopSource stop;
  RunDatabases(std::move(runs), connections, &stop);
  return seen;
}

TEST(RunDatabases, OneLargeDatabaseGetsEveryConnection) {
  const Observed seen = RunAll({1000, 100 * kGiB, 2000}, 4);
  ASSERT_EQ(seen.started.size(), 3u);
  EXPECT_EQ(seen.started[0], std::make_pair(100 * kGiB, 4)) << "largest first, all of the budget";
  EXPECT_LE(seen.peak, 4);
}

TEST(RunDatabases, SmallDatabasesRunSideBySide) {
  const Observed seen = RunAll({1, 2, 3, 4, 5, 6, 7, 8}, 4);
  ASSERT_EQ(seen.started.size(), 8u);
  // Equal costs: 4/8, 4/7 ... 4/3 of the budget round to one connection; the last two may take
  // more (4/2, 4/1) when connections are free by then, so the tail finishes sooner.
  EXPECT_GE(std::count_if(seen.started.begin(), seen.started.end(),
                          [](const auto& run) { return run.second == 1; }),
            6);
  EXPECT_LE(seen.peak, 4) << "never more than the budget";
  EXPECT_GE(seen.peak, 3) << "several at a time";
}

TEST(RunDatabases, NothingStartsAfterAStop) {
  StopSource stop;
  std::atomic<int> ran{0};
  std::vector<DatabaseRun> runs;
  for (int i = 0; i < 5; ++i) {
    runs.push_back({.bytes = 1, .start = [&](int) {
                      ++ran;
                      stop.Request("stopped");
                    }});
  }
  RunDatabases(std::move(runs), 1, &stop);
  EXPECT_EQ(ran.load(), 1);
}

}  // namespace
}  // namespace dbb::engine
