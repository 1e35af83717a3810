// How a file is written or read: through io_uring or plain pwrite/pread, with O_DIRECT or through
// the page cache. The fastest combination is the default; each fallback is taken when the kernel
// or the file system refuses the faster one, decided once per file system (device number) and
// reported in verbose output.
#pragma once

#include <string>

namespace dbb::io {

enum class IoEngine { kAuto, kUring, kPwrite };
enum class DirectMode { kAuto, kOn, kOff };

const char* IoEngineName(IoEngine engine);

// What was actually used for one file.
struct IoChoice {
  IoEngine engine = IoEngine::kPwrite;  // never kAuto
  bool direct = false;
  std::string reason;  // why a fallback was taken; empty when none was
};

}  // namespace dbb::io
