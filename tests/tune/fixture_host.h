// A fixture tree that stands in for a host's / in the tune tests (`dbbackup tune --root`): the
// files tune reads (proc, sys, etc) laid out as on a real Debian host, with sysfs's symbolic links.
#pragma once

#include <string>
#include <vector>

#include "support/test_util.h"

namespace dbb::tune::testing {

class FixtureHost {
 public:
  FixtureHost() = default;
  const std::string& root() const { return dir_.path(); }

  // Any file under the root, parents created ("/etc/sysctl.conf").
  FixtureHost& File(const std::string& path, const std::string& content);
  std::string Read(const std::string& path) const;
  bool Exists(const std::string& path) const;
  FixtureHost& Sysctl(const std::string& key, const std::string& value);

  // A whole disk: /sys/devices/<bus>/block/<name> with queue/scheduler and queue/add_random,
  // linked from /sys/block, /sys/class/block and /sys/dev/block/<dev>.
  FixtureHost& Disk(const std::string& name, const std::string& dev, const std::string& scheduler,
                    const std::string& add_random = "1");
  FixtureHost& Partition(const std::string& disk, const std::string& name, const std::string& dev);
  // A device-mapper or md device (/sys/devices/virtual/block/<name>) over `slaves`.
  FixtureHost& Stacked(const std::string& name, const std::string& dev,
                       const std::vector<std::string>& slaves);
  // A line of /proc/self/mountinfo.
  FixtureHost& Mount(const std::string& mount_point, const std::string& dev,
                     const std::string& fs_type, const std::string& source,
                     const std::string& options, const std::string& super_options = "rw");
  // /proc/<pid>/comm, status (PPid) and cmdline (arguments separated by NUL).
  FixtureHost& Process(int pid, const std::string& comm, int ppid,
                       const std::vector<std::string>& argv);
  // /proc/self/limits with these open-file and process limits ("unlimited" allowed).
  FixtureHost& ProcessLimits(const std::string& nofile_soft, const std::string& nofile_hard,
                             const std::string& nproc_soft, const std::string& nproc_hard);

  // A default Debian 12 host: kernel defaults (dirty 10/20, swappiness 60, overcommit 0), soft
  // nofile 1024 / hard 524288, users root and backup, empty limits.conf, /etc/sysctl.conf with
  // comments only, and one SATA disk sda whose partition sda1 is / (ext4, relatime), with
  // mq-deadline not selected.
  static void DefaultDebian(FixtureHost* host);

  // Every path under the root with its contents, for "nothing was written" comparisons.
  std::string Snapshot() const;

 private:
  std::string mountinfo_;
  int next_mount_id_ = 20;
  dbb::testing::TempDir dir_;
};

}  // namespace dbb::tune::testing
