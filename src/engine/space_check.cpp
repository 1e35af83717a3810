#include "engine/space_check.h"

#include <sys/statvfs.h>

#include <cerrno>

#include "common/units.h"

namespace dbb::engine {

uint64_t EstimateStoredBytes(uint64_t source_bytes) {
  return static_cast<uint64_t>(static_cast<double>(source_bytes) * kEstimatedCompressionRatio);
}

Result<uint64_t> FreeBytes(const std::string& dir) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return Status::FromErrno(errno, "statvfs " + dir);
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

Status CheckFreeSpace(const std::string& dir, uint64_t source_bytes, uint64_t needed_bytes) {
  auto free_bytes = FreeBytes(dir);
  if (!free_bytes.ok()) return free_bytes.status();
  if (free_bytes.value() >= needed_bytes) return Status::Ok();
  return Status(StatusCode::kNoSpace,
                "backup dir " + dir + ": about " + FormatBytes(needed_bytes) + " needed (" +
                    FormatBytes(source_bytes) + " of relations and large objects, estimated at " +
                    std::to_string(static_cast<int>(kEstimatedCompressionRatio * 100)) +
                    "% once compressed), " + FormatBytes(free_bytes.value()) +
                    " free; free space or choose another directory (--force starts anyway)");
}

}  // namespace dbb::engine
