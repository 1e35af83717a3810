// How a file is written or read: through io_uring or plain pwrite/pread, with O_DIRECT or through
// the page cache. The fastest combination is the default; each fallback is taken when the kernel
// or the file system refuses the faster one, and reported once in verbose output:
//   - io_uring: used unless io_uring_setup is refused (EPERM, e.g. kernel.io_uring_disabled or a
//     seccomp filter; ENOSYS on old kernels; ENOMEM when RLIMIT_MEMLOCK cannot hold even a small
//     ring), probed once per process; then pwrite/pread.
//   - registered buffers: when io_uring refuses to register them (ENOMEM: RLIMIT_MEMLOCK), plain
//     io_uring requests.
//   - O_DIRECT: used unless the file system refuses it (EINVAL, e.g. ramfs), decided once per
//     file system (the device number holding the file) for the whole process; then buffered I/O.
//     A device number reused by a later mount keeps a refusal (buffered I/O, still correct).
//
// IoEngine::kUring/kPwrite and DirectMode::kOn/kOff force a choice; forcing one the kernel
// refuses is an error (kUnsupported) that names the path and says to drop the forcing option.
//
// The environment variable DBB_IO_ENGINE=uring|pwrite|auto stands in for IoEngine::kAuto, so a
// whole run (or the test suite) can be forced onto pwrite; an explicit engine option wins over it.
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
  std::string reason;  // why a fallback was taken ("; "-separated); empty when none was
};

}  // namespace dbb::io
