// The staging buffers of one FileWriter or FileReader: `count` buffers of `bytes` each, in one
// 4 KiB-aligned allocation made at open, so O_DIRECT can use any of them as is and the hot path
// never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "common/status.h"
#include "common/units.h"

namespace dbb::io {

// O_DIRECT needs offsets, lengths and addresses aligned to the logical block size; 4 KiB covers
// both 512-byte and 4 KiB devices.
inline constexpr size_t kDirectAlign = 4096;

inline constexpr size_t kMaxBufferBytes = 64 * kMiB;
inline constexpr size_t kMinBufferCount = 2;
inline constexpr size_t kMaxBufferCount = 1024;  // also the io_uring queue depth

class AlignedBuffers {
 public:
  // Checks the bounds above; the error names the option and its allowed range.
  static Result<AlignedBuffers> Allocate(size_t bytes, size_t count);
  ~AlignedBuffers();
  AlignedBuffers(AlignedBuffers&& other) noexcept
      : region_(std::exchange(other.region_, nullptr)),
        bytes_(other.bytes_),
        count_(other.count_) {}
  AlignedBuffers& operator=(AlignedBuffers&&) = delete;
  AlignedBuffers(const AlignedBuffers&) = delete;
  AlignedBuffers& operator=(const AlignedBuffers&) = delete;

  std::byte* data(size_t index) const {
    DBB_CHECK(index < count_);
    return region_ + index * bytes_;
  }
  size_t bytes() const { return bytes_; }
  size_t count() const { return count_; }

 private:
  AlignedBuffers(std::byte* region, size_t bytes, size_t count)
      : region_(region), bytes_(bytes), count_(count) {}

  std::byte* region_;
  size_t bytes_;
  size_t count_;
};

}  // namespace dbb::io
