// From a mounted file system to the disks whose queues serve it: /sys/dev/block/<major:minor>,
// then a partition to its disk, and device-mapper (LVM, LUKS) or md RAID to every device in its
// slaves/, recursively. The scheduler of a dm or md device itself does nothing; the disks'
// queues are the ones to tune.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "tune/mountinfo.h"

namespace dbb::tune {

struct Disk {
  std::string name;  // "sda", "nvme0n1": its queue is /sys/block/<name>/queue
  std::string via;   // how it was reached from the mount: "sda1", "dm-0 > sda2", "" when direct
};

// The disks under `mount`, each once. kUnsupported when the file system has no local block
// device (tmpfs, overlay, NFS); kIoError when sysfs under the root does not lead to one.
Result<std::vector<Disk>> ResolveDisks(const std::string& root, const MountEntry& mount);

}  // namespace dbb::tune
