#include "common/progress.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace dbb {
namespace {

TEST(Progress, UnitsAreShownWhileTheyRunAndCountedWhenDone) {
  Progress p;
  p.SetPhase("data");
  p.AddPlanned(3, 3000);
  {
    Progress::Unit a(&p, "public.a");
    Progress::Unit b(&p, "public.b (chunk 1 of 2)");
    EXPECT_EQ(p.Read().current, (std::vector<std::string>{"public.a", "public.b (chunk 1 of 2)"}));
    a.Done();
    p.AddBytes(1000);
  }  // b ends without Done: a failed unit that will be retried
  const Progress::Snapshot s = p.Read();
  EXPECT_EQ(s.phase, "data");
  EXPECT_TRUE(s.current.empty());
  EXPECT_EQ(s.units_done, 1u);
  EXPECT_EQ(s.units_total, 3u);
  EXPECT_EQ(s.bytes_done, 1000u);
  EXPECT_EQ(s.bytes_total, 3000u);
  Progress::Unit nothing(nullptr, "ignored");  // no progress: does nothing
  nothing.Done();
}

TEST(Progress, PercentStaysBelow100UntilTheCommandSaysSo) {
  Progress::Snapshot s;
  EXPECT_EQ(ProgressPercent(s), 0);  // nothing planned yet
  s.bytes_total = 200;
  s.bytes_done = 50;
  s.units_total = 2;
  EXPECT_DOUBLE_EQ(ProgressPercent(s), 25);
  s.bytes_done = 400;  // the estimate was low
  EXPECT_DOUBLE_EQ(ProgressPercent(s), 99.9);
  s.bytes_done = 10;
  s.units_done = 2;  // every unit done: only the end of the run is left
  EXPECT_DOUBLE_EQ(ProgressPercent(s), 99.9);
}

TEST(Progress, ThreadsCountTogether) {
  Progress p;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&p] {
      for (int i = 0; i < 1000; ++i) {
        Progress::Unit u(&p, "unit");
        p.AddBytes(10);
        u.Done();
        (void)p.Read();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(p.Read().units_done, 4000u);
  EXPECT_EQ(p.Read().bytes_done, 40000u);
  EXPECT_TRUE(p.Read().current.empty());
}

}  // namespace
}  // namespace dbb
