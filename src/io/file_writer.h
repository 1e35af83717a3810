// Sequential, append-only file output with O_DIRECT and io_uring (registered buffers), or the
// fallbacks described in io_mode.h.
//
// Bytes handed to Append are copied into a small ring of 4 KiB-aligned staging buffers owned by
// the writer (buffer_count x buffer_bytes, allocated at open); full buffers are submitted as
// aligned writes while the caller goes on. Append blocks only when every buffer is in flight, so
// a slow disk stalls the producer instead of growing memory.
//
// Errors are sticky: after the first failure (ENOSPC, EIO, ...) every call returns that same
// error, which names the path and the file offset. Close pads the final partial block for
// O_DIRECT, then truncates the file to the exact byte count and fsyncs it.
//
// Not thread-safe: one thread at a time per writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/status.h"
#include "common/units.h"
#include "io/io_mode.h"

namespace dbb::io {

struct WriterOptions {
  IoEngine engine = IoEngine::kAuto;
  DirectMode direct = DirectMode::kAuto;
  size_t buffer_bytes = 1 * kMiB;  // multiple of 4 KiB, at most 64 MiB
  size_t buffer_count = 4;         // 2 to 1024: one filling while others are written
  bool sync_on_close = true;       // fsync before Close returns
};

class FileWriter {
 public:
  virtual ~FileWriter() = default;  // without Close: stops I/O and closes; no fsync

  // Copies `data` to the end of the file (possibly later, asynchronously). An error may belong
  // to an earlier Append's bytes. Calling it after Close is a programmer bug (checked).
  [[nodiscard]] virtual Status Append(std::span<const std::byte> data) = 0;
  // Writes everything, sets the exact size, fsyncs (unless disabled) and closes the descriptor.
  // A second call returns the first one's result.
  [[nodiscard]] virtual Status Close() = 0;

  virtual uint64_t bytes_appended() const = 0;
  virtual const std::string& path() const = 0;
  virtual const IoChoice& choice() const = 0;
};

// Creates (or truncates) `path` with mode 0600. Fails with a message naming the path.
Result<std::unique_ptr<FileWriter>> OpenWriter(const std::string& path,
                                               const WriterOptions& options = {});

}  // namespace dbb::io
