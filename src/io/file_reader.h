// Sequential file input for restore and verify: the matching side of FileWriter. Reads ahead
// `buffer_count` aligned buffers (io_uring, O_DIRECT where allowed, same fallbacks as the writer).
//
// Not thread-safe: one thread at a time per reader.
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

struct ReaderOptions {
  IoEngine engine = IoEngine::kAuto;
  DirectMode direct = DirectMode::kAuto;
  size_t buffer_bytes = 1 * kMiB;  // multiple of 4 KiB, at most 64 MiB
  size_t buffer_count = 4;         // 2 to 1024: one being consumed while others are read
};

class FileReader {
 public:
  virtual ~FileReader() = default;

  // The next bytes of the file, in order: at most buffer_bytes, and exactly the `file_bytes()`
  // the file had at open in total. The view stays valid until the next call to Next or the
  // reader's destruction. An empty view means end of file. A file that shrank since open is
  // kCorrupt. Errors are sticky, like the writer's.
  virtual Result<std::span<const std::byte>> Next() = 0;

  virtual uint64_t file_bytes() const = 0;  // size at open
  virtual const std::string& path() const = 0;
  virtual const IoChoice& choice() const = 0;
};

Result<std::unique_ptr<FileReader>> OpenReader(const std::string& path,
                                               const ReaderOptions& options = {});

}  // namespace dbb::io
