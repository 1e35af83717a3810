#include "tune/block_device.h"

#include <algorithm>
#include <filesystem>

#include "tune/host_root.h"

namespace dbb::tune {
namespace {

namespace fs = std::filesystem;

// A device's directory in sysfs (symbolic links resolved inside the root), or "" when missing.
fs::path DeviceDir(const std::string& root, const std::string& link) {
  return ResolveUnderRoot(root, link);
}

void Collect(const std::string& root, const fs::path& dir, const std::string& via, int depth,
             std::vector<Disk>* disks) {
  const std::string name = dir.filename();
  std::error_code ec;
  std::vector<std::string> slaves;
  for (fs::directory_iterator it(dir / "slaves", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    slaves.push_back(it->path().filename());
  }
  std::sort(slaves.begin(), slaves.end());
  if (!slaves.empty() && depth < 8) {
    for (const std::string& slave : slaves) {
      const fs::path slave_dir = DeviceDir(root, "/sys/class/block/" + slave);
      if (!slave_dir.empty()) {
        Collect(root, slave_dir, via.empty() ? name : via + " > " + name, depth + 1, disks);
      }
    }
    return;
  }
  if (fs::exists(dir / "partition") && depth < 8) {
    // The disk holding the partition may itself be stacked (a partitioned md array: md126p1).
    Collect(root, dir.parent_path(), via.empty() ? name : via + " > " + name, depth + 1, disks);
    return;
  }
  Disk disk{.name = name, .via = via};
  const bool seen =
      std::any_of(disks->begin(), disks->end(), [&](const Disk& d) { return d.name == disk.name; });
  if (!seen) disks->push_back(std::move(disk));
}

}  // namespace

Result<std::vector<Disk>> ResolveDisks(const std::string& root, const MountEntry& mount) {
  fs::path dir;
  if (mount.dev.rfind("0:", 0) != 0) dir = DeviceDir(root, "/sys/dev/block/" + mount.dev);
  if (dir.empty() && mount.source.rfind("/dev/", 0) == 0) {
    // btrfs and others report an anonymous device number; the source names the device, maybe
    // through a link (/dev/mapper/vg-lv -> ../dm-0).
    const fs::path node = DeviceDir(root, mount.source);
    if (!node.empty()) dir = DeviceDir(root, "/sys/class/block/" + node.filename().string());
  }
  if (!dir.empty()) {
    std::vector<Disk> disks;
    Collect(root, dir, "", 0, &disks);
    if (!disks.empty()) return disks;
  }
  if (mount.source.rfind("/dev/", 0) != 0 && mount.dev.rfind("0:", 0) == 0) {
    return Status(StatusCode::kUnsupported, mount.fs_type + " at " + mount.mount_point +
                                                " has no local block device to tune");
  }
  return Status(StatusCode::kIoError, "cannot find the disk of " + mount.source + " (" + mount.dev +
                                          ", mounted at " + mount.mount_point +
                                          ") under /sys/dev/block or /sys/class/block");
}

}  // namespace dbb::tune
