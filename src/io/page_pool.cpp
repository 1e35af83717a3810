#include "io/page_pool.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace dbb::io {

Result<std::unique_ptr<PagePool>> PagePool::Create(const PagePoolOptions& options) {
  const size_t bytes = options.page_bytes;
  const size_t count = options.page_count;
  if (bytes < kMinPageBytes || bytes > kMaxPageBytes || bytes % kPageAlign != 0) {
    return Status(StatusCode::kInvalidArgument,
                  "page size " + FormatBytes(bytes) +
                      " is out of range: use a multiple of 4 KiB from " +
                      FormatBytes(kMinPageBytes) + " to " + FormatBytes(kMaxPageBytes));
  }
  if (count < kMinPageCount || count > kMaxPageCount) {
    return Status(StatusCode::kInvalidArgument,
                  "page count " + std::to_string(count) + " is out of range: use " +
                      std::to_string(kMinPageCount) + " to " + std::to_string(kMaxPageCount));
  }
  if (bytes * count > kMaxPoolBytes) {
    return Status(StatusCode::kInvalidArgument, "page pool of " + std::to_string(count) + " x " +
                                                    FormatBytes(bytes) + " exceeds the " +
                                                    FormatBytes(kMaxPoolBytes) +
                                                    " limit: use fewer or smaller pages");
  }
  void* region = std::aligned_alloc(kPageAlign, bytes * count);
  if (region == nullptr) {
    return Status(StatusCode::kIoError,
                  "cannot allocate the page pool (" + FormatBytes(bytes * count) + ")", ENOMEM);
  }
  // Touch every page now: resident memory is then fixed from the start, not discovered later.
  std::memset(region, 0, bytes * count);
  return std::unique_ptr<PagePool>(new PagePool(static_cast<std::byte*>(region), bytes, count));
}

PagePool::PagePool(std::byte* region, size_t page_bytes, size_t page_count)
    : region_(region), page_bytes_(page_bytes), pages_(page_count), is_out_(page_count, false) {
  free_.reserve(page_count);
  for (size_t i = 0; i < page_count; ++i) {
    pages_[i] = Page{.data = region_ + i * page_bytes,
                     .capacity = page_bytes,
                     .size = 0,
                     .index = static_cast<uint32_t>(i)};
  }
  // Hand out low indexes first (LIFO stack): the same few pages stay hot in cache.
  for (size_t i = page_count; i > 0; --i) free_.push_back(&pages_[i - 1]);
}

PagePool::~PagePool() { std::free(region_); }

Page* PagePool::Acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return closed_ || !free_.empty(); });
  if (closed_) return nullptr;
  Page* page = free_.back();
  free_.pop_back();
  is_out_[page->index] = true;
  page->size = 0;
  return page;
}

void PagePool::Release(Page* page) {
  DBB_CHECK(page != nullptr);
  DBB_CHECK_MSG(page->index < pages_.size() && &pages_[page->index] == page,
                "page does not belong to this pool");
  {
    std::lock_guard lock(mutex_);
    DBB_CHECK_MSG(is_out_[page->index], "page released twice");
    is_out_[page->index] = false;
    free_.push_back(page);
  }
  available_.notify_one();
}

void PagePool::Close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  available_.notify_all();
}

size_t PagePool::free_count() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

}  // namespace dbb::io
