// The engine decision: explicit option, else DBB_IO_ENGINE, else io_uring when the kernel allows.
#include <liburing.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "common/log.h"
#include "io/open_file.h"

namespace dbb::io {

namespace {

Result<IoEngine> EngineFromEnvironment() {
  const char* value = std::getenv("DBB_IO_ENGINE");
  const std::string_view name = value == nullptr ? "" : value;
  if (name.empty() || name == "auto") return IoEngine::kAuto;
  if (name == "uring") return IoEngine::kUring;
  if (name == "pwrite") return IoEngine::kPwrite;
  return Status(StatusCode::kInvalidArgument,
                "DBB_IO_ENGINE=" + std::string(name) + " is not valid: use uring, pwrite or auto");
}

// Why io_uring cannot be used in this process, or "" when it can. Probed once: the answer comes
// from kernel policy (kernel.io_uring_disabled, seccomp, kernel version) or RLIMIT_MEMLOCK, which
// the ring's own memory counts against; neither changes while we run. Other setup errors
// (EMFILE) are left to each file's own ring.
const std::string& UringRefusal() {
  static const std::string refusal = [] {
    io_uring ring;
    const int rc = io_uring_queue_init(1, &ring, 0);
    if (rc == 0) io_uring_queue_exit(&ring);
    if (rc != -EPERM && rc != -EACCES && rc != -ENOSYS && rc != -ENOMEM) return std::string();
    std::string why = "io_uring unavailable (" + std::string(std::strerror(-rc)) + ")";
    if (rc == -EPERM || rc == -EACCES) why += ", see sysctl kernel.io_uring_disabled";
    if (rc == -ENOMEM) why += ", raise ulimit -l";
    log::Verbose("io: " + why + "; using pwrite/pread");
    return why;
  }();
  return refusal;
}

}  // namespace

const char* IoEngineName(IoEngine engine) {
  switch (engine) {
    case IoEngine::kAuto:
      return "auto";
    case IoEngine::kUring:
      return "io_uring";
    case IoEngine::kPwrite:
      return "pwrite";
  }
  return "unknown";
}

void AddReason(IoChoice& choice, const std::string& reason) {
  if (!choice.reason.empty()) choice.reason += "; ";
  choice.reason += reason;
}

Result<IoEngine> ChooseEngine(IoEngine requested, const std::string& path, IoChoice& choice) {
  IoEngine engine = requested;
  if (engine == IoEngine::kAuto) {
    Result<IoEngine> from_env = EngineFromEnvironment();
    if (!from_env.ok()) return from_env.status();
    engine = *from_env;
  }
  if (engine == IoEngine::kPwrite) return IoEngine::kPwrite;
  const std::string& refusal = UringRefusal();
  if (refusal.empty()) return IoEngine::kUring;
  if (engine == IoEngine::kUring) {
    return Status(
        StatusCode::kUnsupported,
        path + ": " + refusal + "; drop the option that forces io_uring (or DBB_IO_ENGINE=uring)");
  }
  AddReason(choice, refusal);
  return IoEngine::kPwrite;
}

}  // namespace dbb::io
