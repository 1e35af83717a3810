// BlockIo with pwrite/pread: the fallback when io_uring is unavailable or not wanted. Each
// transfer finishes inside Start; WaitOne only hands back what Start completed.
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "io/block_io.h"

namespace dbb::io {

namespace {

class SyncIo final : public BlockIo {
 public:
  SyncIo(IoTarget target, size_t buffer_count) : target_(std::move(target)) {
    completed_.reserve(buffer_count);
  }

  Status Start(const Transfer& start) override {
    Transfer t = start;
    while (!t.complete()) {
      const auto offset = static_cast<off_t>(t.offset + t.done);
      const ssize_t n = target_.op == Op::kWrite
                            ? ::pwrite(target_.fd, t.data + t.done, t.bytes - t.done, offset)
                            : ::pread(target_.fd, t.data + t.done, t.bytes - t.done, offset);
      DBB_RETURN_IF_ERROR(ApplyResult(target_, t, n < 0 ? -errno : n));
    }
    DBB_CHECK(completed_.size() < completed_.capacity());  // never more than one per buffer
    completed_.push_back({.index = t.index, .bytes = t.done});
    return Status::Ok();
  }

  Result<Completion> WaitOne() override {
    DBB_CHECK(!completed_.empty());
    const Completion c = completed_.back();
    completed_.pop_back();
    return c;
  }

 private:
  IoTarget target_;
  std::vector<Completion> completed_;  // reserved at open: no allocation per transfer
};

}  // namespace

std::unique_ptr<BlockIo> MakeSyncIo(const IoTarget& target, const AlignedBuffers& buffers) {
  return std::make_unique<SyncIo>(target, buffers.count());
}

}  // namespace dbb::io
