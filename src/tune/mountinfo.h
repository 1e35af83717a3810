// /proc/self/mountinfo (proc(5)): which file system holds a path, with its options.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace dbb::tune {

struct MountEntry {
  std::string dev;            // "8:1": major:minor of the device (0:N for tmpfs, btrfs, overlay)
  std::string mount_point;    // "/var/backups" (octal escapes such as \040 decoded)
  std::string options;        // per-mount options: "rw,noatime"
  std::string fs_type;        // "ext4"
  std::string source;         // "/dev/sda1", "tmpfs"
  std::string super_options;  // per-file-system options: "rw,errors=remount-ro,data=writeback"
  size_t line = 0;            // its line in mountinfo, 1-based
};

// Every mount of <root>/proc/self/mountinfo, in order; kIoError when it cannot be read. A line
// that does not parse is skipped: one odd mount must not hide the one that holds the backups.
Result<std::vector<MountEntry>> ReadMountInfo(const std::string& root);

// The mount that holds `path` (absolute, normalized): the longest mount point that is `path` or
// a parent of it; of equal ones the last, which hides the others. Null when none matches.
const MountEntry* FindMount(const std::vector<MountEntry>& mounts, const std::string& path);

// Whether a comma-separated option list holds `option` exactly ("noatime", "data=writeback").
bool HasOption(const std::string& options, const std::string& option);

// Rewrites the per-mount options of the entry at `line` in <root>/proc/self/mountinfo, adding
// `added` (comma-separated). For fixture roots, where it stands in for `mount -o remount`.
Status AddMountOptionsInFixture(const std::string& root, size_t line, const std::string& added);

}  // namespace dbb::tune
