// How a staging buffer reaches the file or comes back from it: BlockIo moves whole buffers at
// given offsets, either through io_uring (asynchronous) or with pwrite/pread (synchronous, done
// inside Start). FileWriter and FileReader each own one and keep the buffers' order themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "io/aligned_buffers.h"
#include "io/io_mode.h"

namespace dbb::io {

enum class Op { kRead, kWrite };

// The file a BlockIo works on. `fd` stays owned by the caller and must outlive the BlockIo.
struct IoTarget {
  int fd = -1;
  std::string path;  // for messages
  Op op = Op::kWrite;
  bool direct = false;  // O_DIRECT is on: every call must stay 4 KiB aligned
};

// One buffer's transfer. It is complete once `need` bytes moved; `need` is less than `bytes`
// only for the last block of a file read with O_DIRECT (aligned length, shorter file).
struct Transfer {
  uint32_t index = 0;  // staging buffer, also its registered-buffer index
  std::byte* data = nullptr;
  size_t bytes = 0;
  size_t need = 0;
  uint64_t offset = 0;
  size_t done = 0;     // bytes moved so far
  uint32_t calls = 0;  // system calls (or io_uring requests) so far; bounded

  bool complete() const { return done >= need; }
};

struct Completion {
  uint32_t index = 0;
  size_t bytes = 0;  // bytes moved; a read returns fewer than `need` only at end of file
};

class BlockIo {
 public:
  // Waits for every transfer still in flight (their results are dropped), so the buffers can be
  // freed safely afterwards.
  virtual ~BlockIo() = default;

  // Begins moving `t` (done == 0). An error means the transfer was not started.
  [[nodiscard]] virtual Status Start(const Transfer& t) = 0;
  // Blocks until one started transfer is complete, in any order. Only call with one in flight.
  virtual Result<Completion> WaitOne() = 0;
};

// Accounts one call's result for `t`: `result` is the bytes moved or -errno. OK means go on (or
// complete); an error names the path and the file offset that failed.
[[nodiscard]] Status ApplyResult(const IoTarget& target, Transfer& t, int64_t result);

// Appends why a fallback was taken to choice.reason ("; "-separated).
void AddReason(IoChoice& choice, const std::string& reason);

// io_uring with the buffers registered (fixed); when registering is refused it uses plain
// requests and says why in `choice`.
Result<std::unique_ptr<BlockIo>> MakeUringIo(const IoTarget& target, const AlignedBuffers& buffers,
                                             IoChoice& choice);
std::unique_ptr<BlockIo> MakeSyncIo(const IoTarget& target, const AlignedBuffers& buffers);

}  // namespace dbb::io
