// Pre-flight: will the backup fit? An estimate of the bytes a backup will store, from the
// relation sizes the catalog reports, checked against the free space at the destination.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace dbb::engine {

// Compressed COPY data is usually a third to a half of the heap it came from (text, numbers,
// timestamps at gzip level 1); incompressible bytea stays whole. Half is the estimate: it errs
// large for ordinary tables and small for media, so a refusal can be overridden (--force) and a
// full disk mid-run is still caught cleanly.
inline constexpr double kEstimatedCompressionRatio = 0.5;

// The bytes a backup of `source_bytes` (heap + TOAST, large objects) will likely store.
uint64_t EstimateStoredBytes(uint64_t source_bytes);

// Free bytes for an unprivileged writer on the file system holding `dir` (statvfs f_bavail).
Result<uint64_t> FreeBytes(const std::string& dir);

// kNoSpace when the file system holding `dir` has less than `needed_bytes` free:
// "backup dir /b: about 12.4 GiB needed (24.8 GiB of relations, estimated at 50% compressed),
// 3.1 GiB free; free space or choose another directory (--force starts anyway)".
Status CheckFreeSpace(const std::string& dir, uint64_t source_bytes, uint64_t needed_bytes);

}  // namespace dbb::engine
