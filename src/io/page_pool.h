// A fixed set of fixed-size pages, allocated (and touched) once at start-up, so the process's
// memory for data in flight is known before the first byte arrives and never grows afterwards.
//
// Pages are 4 KiB aligned and their size is a multiple of 4 KiB, so a page can be handed to
// O_DIRECT I/O as is. All pages live in one contiguous region (region()), which io_uring can
// register as a single fixed buffer.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "common/status.h"
#include "common/units.h"

namespace dbb::io {

inline constexpr size_t kPageAlign = 4096;
inline constexpr size_t kMinPageBytes = 64 * kKiB;
inline constexpr size_t kMaxPageBytes = 64 * kMiB;
inline constexpr size_t kMinPageCount = 2;
inline constexpr size_t kMaxPageCount = 4096;
inline constexpr size_t kMaxPoolBytes = 1 * kGiB;

struct PagePoolOptions {
  size_t page_bytes = 1 * kMiB;  // multiple of kPageAlign, in [kMinPageBytes, kMaxPageBytes]
  size_t page_count = 16;        // in [kMinPageCount, kMaxPageCount]; total <= kMaxPoolBytes
};

// One page. Owned by the pool; whoever holds the pointer (between Acquire and Release) may write
// data[0, capacity) and sets `size` to the bytes that are valid.
struct Page {
  std::byte* data = nullptr;
  size_t capacity = 0;
  size_t size = 0;
  uint32_t index = 0;  // position in the pool, stable for the pool's lifetime

  std::span<std::byte> free_space() { return {data + size, capacity - size}; }
  std::span<const std::byte> bytes() const { return {data, size}; }
};

// Thread-safe. Acquire blocks while every page is out: this is the back-pressure that keeps
// memory flat when a later stage (compression, the disk) is slower than the producer.
class PagePool {
 public:
  // Checks the bounds above; the error names the option and its allowed range.
  static Result<std::unique_ptr<PagePool>> Create(const PagePoolOptions& options);
  ~PagePool();
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  // Blocks until a page is free; returns it with size 0. Returns nullptr once Close() was called.
  Page* Acquire();
  // Returns a page to the pool. The page must come from this pool and be released once.
  void Release(Page* page);
  // Wakes every waiter; later Acquire calls return nullptr. Pages out stay valid until released.
  void Close();

  size_t page_bytes() const { return page_bytes_; }
  size_t page_count() const { return pages_.size(); }
  size_t total_bytes() const { return page_bytes_ * pages_.size(); }
  size_t free_count() const;
  std::span<std::byte> region() { return {region_, total_bytes()}; }

 private:
  PagePool(std::byte* region, size_t page_bytes, size_t page_count);

  std::byte* region_;
  size_t page_bytes_;
  std::vector<Page> pages_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Page*> free_;   // guarded by mutex_
  std::vector<bool> is_out_;  // guarded by mutex_; catches double release
  bool closed_ = false;       // guarded by mutex_
};

}  // namespace dbb::io
