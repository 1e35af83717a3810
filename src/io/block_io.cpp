#include "io/block_io.h"

#include <cerrno>

namespace dbb::io {

namespace {

// Regular files return short counts only near ENOSPC, a file size limit or end of file, so a
// transfer that needs more calls than this is not progressing.
constexpr uint32_t kMaxCallsPerTransfer = 64;

std::string Where(const IoTarget& target, const Transfer& t) {
  return std::string(target.op == Op::kWrite ? "write " : "read ") + target.path + " at offset " +
         std::to_string(t.offset + t.done);
}

}  // namespace

Status ApplyResult(const IoTarget& target, Transfer& t, int64_t result) {
  ++t.calls;
  if (result < 0 && result != -EINTR) {
    return Status::FromErrno(static_cast<int>(-result), Where(target, t));
  }
  if (result == 0 && target.op == Op::kRead) {
    t.need = t.done;  // end of file: the caller compares with the size it expected
    return Status::Ok();
  }
  if (result == 0) {
    return Status(StatusCode::kIoError, Where(target, t) + ": no bytes written", EIO);
  }
  if (result > 0) t.done += static_cast<size_t>(result);
  if (!t.complete() && target.direct && t.done % kDirectAlign != 0) {
    // O_DIRECT moves whole blocks except at end of file. A read that stopped inside a block
    // reached it; the rest of a write must start on a block boundary again (rewriting the few
    // bytes since the last one is harmless).
    if (target.op == Op::kRead) {
      t.need = t.done;
    } else {
      t.done -= t.done % kDirectAlign;
    }
  }
  if (!t.complete() && t.calls >= kMaxCallsPerTransfer) {
    return Status(StatusCode::kIoError,
                  Where(target, t) + ": still short after " + std::to_string(t.calls) + " calls",
                  EIO);
  }
  return Status::Ok();
}

}  // namespace dbb::io
