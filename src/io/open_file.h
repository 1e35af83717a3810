// Opening a file for FileWriter or FileReader: picks the engine and O_DIRECT as io_mode.h
// describes, opens the descriptor, then sets up the BlockIo that moves its buffers.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "io/aligned_buffers.h"
#include "io/block_io.h"
#include "io/io_mode.h"
#include "io/unique_fd.h"

namespace dbb::io {

struct OpenSpec {
  Op op = Op::kWrite;  // kWrite creates or truncates the file (mode 0600); kRead opens it
  IoEngine engine = IoEngine::kAuto;
  DirectMode direct = DirectMode::kAuto;
  size_t buffer_bytes = 0;  // staging buffers (see AlignedBuffers::Allocate for the bounds)
  size_t buffer_count = 0;
};

struct OpenedFile {
  UniqueFd fd;
  IoChoice choice;
  uint64_t size_bytes = 0;  // at open
};

// What a FileWriter or FileReader is built from: the descriptor, its staging buffers (allocated
// first, so a bad size fails before the file is touched) and the BlockIo that moves them. The
// BlockIo uses the other two: whoever takes them must destroy it first.
struct OpenedIo {
  OpenedFile file;
  AlignedBuffers buffers;
  std::unique_ptr<BlockIo> io;
};

Result<OpenedIo> OpenIo(const std::string& path, const OpenSpec& spec);

// The two decisions OpenFile makes (io_mode.cpp, direct_mode.cpp). Each adds the reason for a
// fallback to choice.reason; forcing what the kernel refuses is a kUnsupported error.
Result<IoEngine> ChooseEngine(IoEngine requested, const std::string& path, IoChoice& choice);
// `dev` is the device holding the file (st_dev), the key of the per-file-system decision.
Status ChooseDirect(DirectMode mode, int fd, dev_t dev, const std::string& path, IoChoice& choice);

}  // namespace dbb::io
