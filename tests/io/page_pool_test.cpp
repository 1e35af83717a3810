#include "io/page_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "io/bounded_queue.h"

namespace dbb::io {
namespace {

TEST(PagePool, PagesAreAlignedAndDistinct) {
  auto pool = PagePool::Create({.page_bytes = 64 * kKiB, .page_count = 4}).value();
  std::vector<Page*> pages;
  for (int i = 0; i < 4; ++i) pages.push_back(pool->Acquire());
  for (Page* p : pages) {
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p->data) % kPageAlign, 0u);
    EXPECT_EQ(p->capacity, 64 * kKiB);
    EXPECT_EQ(p->size, 0u);
  }
  EXPECT_EQ(pool->free_count(), 0u);
  for (Page* p : pages) pool->Release(p);
  EXPECT_EQ(pool->free_count(), 4u);
}

TEST(PagePool, RejectsOutOfRangeWithTheLimits) {
  auto small = PagePool::Create({.page_bytes = 4096, .page_count = 4});
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().message(),
            "page size 4.0 KiB is out of range: use a multiple of 4 KiB from 64.0 KiB to 64.0 MiB");
  auto unaligned = PagePool::Create({.page_bytes = 64 * kKiB + 1, .page_count = 4});
  EXPECT_FALSE(unaligned.ok());
  auto few = PagePool::Create({.page_bytes = 64 * kKiB, .page_count = 1});
  EXPECT_EQ(few.status().message(), "page count 1 is out of range: use 2 to 4096");
  auto huge = PagePool::Create({.page_bytes = 64 * kMiB, .page_count = 32});
  EXPECT_EQ(huge.status().message(),
            "page pool of 32 x 64.0 MiB exceeds the 1.0 GiB limit: use fewer or smaller pages");
}

TEST(PagePool, CloseWakesWaiters) {
  auto pool = PagePool::Create({.page_bytes = 64 * kKiB, .page_count = 2}).value();
  Page* a = pool->Acquire();
  Page* b = pool->Acquire();
  std::atomic<bool> got_null{false};
  std::thread waiter([&] { got_null = pool->Acquire() == nullptr; });
  pool->Close();
  waiter.join();
  EXPECT_TRUE(got_null);
  pool->Release(a);
  pool->Release(b);
}

TEST(PagePoolDeathTest, DoubleReleaseAborts) {
  auto pool = PagePool::Create({.page_bytes = 64 * kKiB, .page_count = 2}).value();
  Page* a = pool->Acquire();
  pool->Release(a);
  EXPECT_DEATH(pool->Release(a), "page released twice");
}

// Producers and consumers hand pages through a small queue; every page comes back, no page is
// seen by two holders at once (each holder stamps and checks the page).
TEST(PagePool, ManyThreadsThroughQueue) {
  auto pool = PagePool::Create({.page_bytes = 64 * kKiB, .page_count = 8}).value();
  BoundedQueue<Page*> queue(3);
  constexpr int kPerProducer = 2000;
  std::vector<std::thread> producers;
  std::vector<std::thread> consumers;
  std::atomic<int64_t> sum{0};
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerProducer; ++i) {
        Page* p = pool->Acquire();
        const int64_t v = t * kPerProducer + i;
        std::memcpy(p->data, &v, sizeof v);
        p->size = sizeof v;
        ASSERT_TRUE(queue.Push(p));
      }
    });
  }
  for (int t = 0; t < 2; ++t) {
    consumers.emplace_back([&] {
      while (auto p = queue.Pop()) {
        int64_t v;
        std::memcpy(&v, (*p)->data, sizeof v);
        sum += v;
        pool->Release(*p);
      }
    });
  }
  for (auto& t : producers) t.join();
  queue.Close();
  for (auto& t : consumers) t.join();
  const int64_t n = 3 * kPerProducer;
  EXPECT_EQ(sum.load(), n * (n - 1) / 2);
  EXPECT_EQ(pool->free_count(), 8u);
}

TEST(BoundedQueue, FailStopsConsumersAndKeepsItems) {
  BoundedQueue<int> q(4);
  ASSERT_TRUE(q.Push(1));
  ASSERT_TRUE(q.Push(2));
  q.Fail(Status(StatusCode::kNoSpace, "disk full"));
  EXPECT_FALSE(q.Pop().has_value());
  EXPECT_FALSE(q.Push(3));
  EXPECT_EQ(q.status().message(), "disk full");
  EXPECT_EQ(q.TakeRemaining(), (std::vector<int>{1, 2}));
}

TEST(BoundedQueue, CloseDrainsThenEnds) {
  BoundedQueue<int> q(2);
  ASSERT_TRUE(q.Push(7));
  q.Close();
  EXPECT_EQ(q.Pop(), 7);
  EXPECT_FALSE(q.Pop().has_value());
  EXPECT_TRUE(q.status().ok());
}

}  // namespace
}  // namespace dbb::io
