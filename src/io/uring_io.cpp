// BlockIo on io_uring: one ring per file, sized so every staging buffer can be in flight at once.
#include <liburing.h>
#include <sys/uio.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/log.h"
#include "io/block_io.h"

namespace dbb::io {

namespace {

// ThreadSanitizer cannot see liburing's mmap and munmap (raw system calls), so when a new ring
// is mapped where a closed one was, it takes the two rings' accesses from different threads for
// a race. Releasing this when a ring is gone and acquiring it when one is made orders them.
std::atomic<uint64_t> g_rings_closed{0};

class UringIo final : public BlockIo {
 public:
  UringIo(IoTarget target, size_t buffer_count)
      : target_(std::move(target)), slots_(buffer_count) {}
  ~UringIo() override;
  UringIo(const UringIo&) = delete;
  UringIo& operator=(const UringIo&) = delete;

  Status Init(const AlignedBuffers& buffers, IoChoice& choice);
  Status Start(const Transfer& t) override;
  Result<Completion> WaitOne() override;

 private:
  Status Submit(uint32_t index);

  IoTarget target_;
  io_uring ring_{};
  bool ring_ready_ = false;
  bool fixed_ = false;           // buffers registered: requests skip pinning pages each time
  std::vector<Transfer> slots_;  // by buffer index; the request's user_data is that index
  size_t in_flight_ = 0;
};

UringIo::~UringIo() {
  if (!ring_ready_) return;
  // Requests on regular files cannot be cancelled once issued, and the kernel may still be
  // reading into our buffers: wait for each before the ring and the buffers go away.
  while (in_flight_ > 0) {
    io_uring_cqe* cqe = nullptr;
    const int rc = io_uring_wait_cqe(&ring_, &cqe);
    if (rc == -EINTR) continue;
    if (rc < 0) break;
    io_uring_cqe_seen(&ring_, cqe);
    --in_flight_;
  }
  // Before the unmap: once it is done, another thread may map a new ring at the same address
  // and acquire before this thread would get to a later release.
  g_rings_closed.fetch_add(1, std::memory_order_release);
  io_uring_queue_exit(&ring_);
}

Status UringIo::Init(const AlignedBuffers& buffers, IoChoice& choice) {
  const int rc = io_uring_queue_init(static_cast<unsigned>(buffers.count()), &ring_, 0);
  if (rc < 0) return Status::FromErrno(-rc, "set up io_uring for " + target_.path);
  ring_ready_ = true;
  (void)g_rings_closed.load(std::memory_order_acquire);

  std::vector<iovec> iovecs(buffers.count());
  for (size_t i = 0; i < iovecs.size(); ++i) iovecs[i] = {buffers.data(i), buffers.bytes()};
  const int reg =
      io_uring_register_buffers(&ring_, iovecs.data(), static_cast<unsigned>(iovecs.size()));
  fixed_ = reg == 0;
  if (!fixed_) {
    // Usually RLIMIT_MEMLOCK (ENOMEM): registered buffers are pinned memory. Plain requests
    // still work; they only pin the pages on every request instead of once.
    const std::string why =
        "cannot register I/O buffers (" + std::string(std::strerror(-reg)) + "; raise ulimit -l)";
    AddReason(choice, why);
    static std::atomic<bool> logged{false};  // once per process, as for the other fallbacks
    if (!logged.exchange(true)) {
      log::Verbose("io: " + target_.path + ": " + why + "; using io_uring without them");
    }
  }
  return Status::Ok();
}

Status UringIo::Start(const Transfer& t) {
  DBB_CHECK(t.index < slots_.size() && t.done == 0);
  slots_[t.index] = t;
  return Submit(t.index);
}

Status UringIo::Submit(uint32_t index) {
  Transfer& t = slots_[index];
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  DBB_CHECK_MSG(sqe != nullptr, "io_uring queue full: more transfers than buffers");
  std::byte* data = t.data + t.done;
  const auto length = static_cast<unsigned>(t.bytes - t.done);
  const uint64_t offset = t.offset + t.done;
  const int buf = static_cast<int>(index);
  if (target_.op == Op::kWrite && fixed_) {
    io_uring_prep_write_fixed(sqe, target_.fd, data, length, offset, buf);
  } else if (target_.op == Op::kWrite) {
    io_uring_prep_write(sqe, target_.fd, data, length, offset);
  } else if (fixed_) {
    io_uring_prep_read_fixed(sqe, target_.fd, data, length, offset, buf);
  } else {
    io_uring_prep_read(sqe, target_.fd, data, length, offset);
  }
  io_uring_sqe_set_data64(sqe, index);
  const int rc = io_uring_submit(&ring_);
  if (rc < 0) return Status::FromErrno(-rc, "submit I/O on " + target_.path);
  ++in_flight_;
  return Status::Ok();
}

Result<Completion> UringIo::WaitOne() {
  DBB_CHECK(in_flight_ > 0);
  for (;;) {
    io_uring_cqe* cqe = nullptr;
    const int rc = io_uring_wait_cqe(&ring_, &cqe);
    if (rc == -EINTR) continue;
    if (rc < 0) return Status::FromErrno(-rc, "wait for I/O on " + target_.path);
    const auto index = static_cast<uint32_t>(io_uring_cqe_get_data64(cqe));
    const int result = cqe->res;
    io_uring_cqe_seen(&ring_, cqe);
    --in_flight_;

    Transfer& t = slots_[index];
    DBB_RETURN_IF_ERROR(ApplyResult(target_, t, result));
    if (t.complete()) return Completion{.index = index, .bytes = t.done};
    DBB_RETURN_IF_ERROR(Submit(index));  // short transfer: the rest goes back on the ring
  }
}

}  // namespace

Result<std::unique_ptr<BlockIo>> MakeUringIo(const IoTarget& target, const AlignedBuffers& buffers,
                                             IoChoice& choice) {
  auto io = std::make_unique<UringIo>(target, buffers.count());
  DBB_RETURN_IF_ERROR(io->Init(buffers, choice));
  return std::unique_ptr<BlockIo>(std::move(io));
}

}  // namespace dbb::io
