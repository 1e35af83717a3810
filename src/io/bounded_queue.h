// A fixed-capacity, multi-producer multi-consumer blocking queue. A full queue blocks the
// producer (back-pressure); closing it propagates shutdown, failing it propagates an error.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

#include "common/status.h"

namespace dbb::io {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity), slots_(capacity) {
    DBB_CHECK(capacity > 0);
  }
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Blocks while the queue is full. Returns false when the queue was closed or failed; `item` is
  // then dropped, so callers pass handles whose resources they can still reclaim.
  [[nodiscard]] bool Push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || count_ < capacity_; });
    if (closed_) return false;
    slots_[(head_ + count_) % capacity_] = std::move(item);
    ++count_;
    lock.unlock();
    not_empty_.notify_one();
    return true;
  }

  // Blocks while the queue is empty and open. After Close() the remaining items are still
  // returned, then nullopt; after Fail() nullopt at once (use TakeRemaining to reclaim items).
  std::optional<T> Pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || count_ > 0; });
    if (!status_.ok() || count_ == 0) return std::nullopt;
    std::optional<T> item = std::move(slots_[head_]);
    slots_[head_].reset();
    head_ = (head_ + 1) % capacity_;
    --count_;
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

  // No more pushes; consumers drain what is queued, then see nullopt.
  void Close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  // Like Close, but consumers stop at once and status() reports why. The first error wins.
  void Fail(Status status) {
    DBB_CHECK(!status.ok());
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      if (status_.ok()) status_ = std::move(status);
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  Status status() const {
    std::lock_guard lock(mutex_);
    return status_;
  }

  // Items still queued (after Fail, so their resources can be returned).
  std::vector<T> TakeRemaining() {
    std::lock_guard lock(mutex_);
    std::vector<T> out;
    out.reserve(count_);
    for (; count_ > 0; --count_, head_ = (head_ + 1) % capacity_) {
      out.push_back(std::move(*slots_[head_]));
      slots_[head_].reset();
    }
    return out;
  }

  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  // A ring of preallocated slots: pushing and popping never allocate.
  std::vector<std::optional<T>> slots_;  // guarded by mutex_
  size_t head_ = 0;                      // guarded by mutex_
  size_t count_ = 0;                     // guarded by mutex_
  bool closed_ = false;                  // guarded by mutex_
  Status status_;                        // guarded by mutex_
};

}  // namespace dbb::io
