#include "common/stop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace dbb {
namespace {

TEST(StopSource, FirstRequestWins) {
  StopSource stop;
  EXPECT_FALSE(stop.requested());
  EXPECT_EQ(stop.reason(), "");
  EXPECT_EQ(stop.signal(), 0);
  stop.Request("interrupted", SIGINT);
  stop.Request("table t failed");
  EXPECT_TRUE(stop.requested());
  EXPECT_EQ(stop.reason(), "interrupted");
  EXPECT_EQ(stop.signal(), SIGINT);
}

TEST(StopSource, CallbacksRunOnceOnRequest) {
  StopSource stop;
  int calls = 0;
  stop.OnStop([&] { ++calls; });
  EXPECT_EQ(calls, 0);
  stop.Request("x");
  stop.Request("y");
  EXPECT_EQ(calls, 1);
}

TEST(StopSource, LateRegistrationRunsAtOnce) {
  StopSource stop;
  stop.Request("x");
  int calls = 0;
  stop.OnStop([&] { ++calls; });
  EXPECT_EQ(calls, 1);
}

TEST(StopSource, UnregisteredCallbackDoesNotRun) {
  StopSource stop;
  int kept = 0;
  int removed = 0;
  stop.OnStop([&] { ++kept; });
  const int id = stop.OnStop([&] { ++removed; });
  stop.Unregister(id);
  stop.Unregister(12345);  // unknown ids are ignored
  stop.Request("x");
  EXPECT_EQ(kept, 1);
  EXPECT_EQ(removed, 0);
}

// Unregister must not return while the callback is still running: after it, the worker frees
// what the callback uses.
TEST(StopSource, UnregisterWaitsForRunningCallback) {
  StopSource stop;
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  const int id = stop.OnStop([&] {
    started = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    finished = true;
  });
  std::thread requester([&] { stop.Request("x"); });
  while (!started) std::this_thread::yield();
  stop.Unregister(id);
  EXPECT_TRUE(finished);
  requester.join();
}

TEST(StopSource, SeenAcrossThreads) {
  StopSource stop;
  std::atomic<int> seen{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      while (!stop.requested()) std::this_thread::yield();
      ++seen;
    });
  }
  stop.Request("x");
  for (auto& t : workers) t.join();
  EXPECT_EQ(seen, 4);
}

TEST(StopTimer, FiresAfterItsTime) {
  StopSource stop;
  const auto start = std::chrono::steady_clock::now();
  StopTimer timer(&stop, std::chrono::milliseconds(50), "timed out after 50 ms");
  while (!stop.requested()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_TRUE(timer.fired());
  EXPECT_EQ(stop.reason(), "timed out after 50 ms");
  EXPECT_EQ(stop.signal(), 0);
}

TEST(StopTimer, DestroyedFirstNeverFires) {
  StopSource stop;
  {
    StopTimer timer(&stop, std::chrono::hours(2), "timed out");
    EXPECT_FALSE(timer.fired());
  }  // returns at once: the thread is woken, not waited out
  {
    StopTimer never(&stop, std::chrono::milliseconds(0), "zero means none");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(never.fired());
  }
  EXPECT_FALSE(stop.requested());
}

}  // namespace
}  // namespace dbb
