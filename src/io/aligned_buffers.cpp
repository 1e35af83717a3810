#include "io/aligned_buffers.h"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace dbb::io {

Result<AlignedBuffers> AlignedBuffers::Allocate(size_t bytes, size_t count) {
  if (bytes == 0 || bytes % kDirectAlign != 0 || bytes > kMaxBufferBytes) {
    return Status(StatusCode::kInvalidArgument,
                  "I/O buffer size of " + std::to_string(bytes) +
                      " bytes is out of range: use a multiple of 4 KiB up to " +
                      FormatBytes(kMaxBufferBytes));
  }
  if (count < kMinBufferCount || count > kMaxBufferCount) {
    return Status(StatusCode::kInvalidArgument,
                  "I/O buffer count " + std::to_string(count) + " is out of range: use " +
                      std::to_string(kMinBufferCount) + " to " + std::to_string(kMaxBufferCount));
  }
  if (bytes * count > kGiB) {
    return Status(StatusCode::kInvalidArgument,
                  "I/O buffers of " + std::to_string(count) + " x " + FormatBytes(bytes) +
                      " exceed the 1.0 GiB limit: use fewer or smaller buffers");
  }
  void* region = std::aligned_alloc(kDirectAlign, bytes * count);
  if (region == nullptr) {
    return Status(StatusCode::kIoError,
                  "cannot allocate I/O buffers (" + FormatBytes(bytes * count) + ")", ENOMEM);
  }
  return AlignedBuffers(static_cast<std::byte*>(region), bytes, count);
}

AlignedBuffers::~AlignedBuffers() { std::free(region_); }

}  // namespace dbb::io
