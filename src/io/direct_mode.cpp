// The O_DIRECT decision, made once per file system for the whole process.
//
// The file is opened without O_DIRECT and it is turned on with fcntl: a refusing file system
// (ramfs) answers EINVAL there exactly as open would, and falling back needs no second open.
#include <fcntl.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include "common/log.h"
#include "io/open_file.h"

namespace dbb::io {

namespace {

// 0 when O_DIRECT is now on for fd, else the errno.
int EnableDirect(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return errno;
  return ::fcntl(fd, F_SETFL, flags | O_DIRECT) == 0 ? 0 : errno;
}

std::string DeviceName(dev_t dev) {
  return std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
}

std::string Refusal(int err) {
  return "O_DIRECT refused (" + std::string(std::strerror(err)) + ")";
}

// Turns O_DIRECT on for fd unless its file system refused it before. Returns "" when on, else
// why not. Each refusal is logged once per device: the first, or a later one where a new mount
// reuses the device number of a file system that had accepted O_DIRECT.
std::string EnableDirectOncePerDevice(int fd, dev_t dev, const std::string& path) {
  static std::mutex mutex;
  static std::map<dev_t, std::string> verdicts;  // by device: why refused, "" = accepted
  std::lock_guard lock(mutex);
  const auto known = verdicts.find(dev);
  if (known != verdicts.end() && !known->second.empty()) return known->second;
  const int err = EnableDirect(fd);
  if (err == 0) {
    verdicts.emplace(dev, "");
    return "";
  }
  std::string refusal = Refusal(err);
  verdicts[dev] = refusal;
  log::Verbose("io: " + path + " (device " + DeviceName(dev) + "): " + refusal +
               "; using buffered I/O");
  return refusal;
}

}  // namespace

Status ChooseDirect(DirectMode mode, int fd, dev_t dev, const std::string& path, IoChoice& choice) {
  if (mode == DirectMode::kOff) return Status::Ok();
  if (mode == DirectMode::kOn) {
    // Forced: try this file itself, whatever other files on the device did.
    const int err = EnableDirect(fd);
    if (err != 0) {
      return Status(
          StatusCode::kUnsupported,
          path + ": " + Refusal(err) + " by its file system; drop the option that forces O_DIRECT",
          err);
    }
    choice.direct = true;
    return Status::Ok();
  }
  const std::string refusal = EnableDirectOncePerDevice(fd, dev, path);
  if (refusal.empty()) {
    choice.direct = true;
  } else {
    AddReason(choice, refusal);
  }
  return Status::Ok();
}

}  // namespace dbb::io
