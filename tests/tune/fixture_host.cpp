#include "tune/fixture_host.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dbb::tune::testing {
namespace {

namespace fs = std::filesystem;

void Link(const fs::path& link, const fs::path& target) {
  fs::create_directories(link.parent_path());
  fs::create_symlink(fs::relative(target, link.parent_path()), link);
}

}  // namespace

FixtureHost& FixtureHost::File(const std::string& path, const std::string& content) {
  const fs::path p = root() + path;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
  return *this;
}

std::string FixtureHost::Read(const std::string& path) const {
  std::ifstream in(root() + path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool FixtureHost::Exists(const std::string& path) const { return fs::exists(root() + path); }

FixtureHost& FixtureHost::Sysctl(const std::string& key, const std::string& value) {
  std::string rel = key;
  std::replace(rel.begin(), rel.end(), '.', '/');
  return File("/proc/sys/" + rel, value + "\n");
}

FixtureHost& FixtureHost::Disk(const std::string& name, const std::string& dev,
                               const std::string& scheduler, const std::string& add_random) {
  const fs::path dir = root() + "/sys/devices/pci0000:00/block/" + name;
  fs::create_directories(dir / "queue");
  std::ofstream(dir / "queue/scheduler") << scheduler << "\n";
  std::ofstream(dir / "queue/add_random") << add_random << "\n";
  std::ofstream(dir / "dev") << dev << "\n";
  Link(root() + "/sys/block/" + name, dir);
  Link(root() + "/sys/class/block/" + name, dir);
  Link(root() + "/sys/dev/block/" + dev, dir);
  return *this;
}

FixtureHost& FixtureHost::Partition(const std::string& disk, const std::string& name,
                                    const std::string& dev) {
  const fs::path dir = fs::canonical(root() + "/sys/block/" + disk) / name;
  fs::create_directories(dir);
  std::ofstream(dir / "partition") << "1\n";
  Link(root() + "/sys/class/block/" + name, dir);
  Link(root() + "/sys/dev/block/" + dev, dir);
  return *this;
}

FixtureHost& FixtureHost::Stacked(const std::string& name, const std::string& dev,
                                  const std::vector<std::string>& slaves) {
  const fs::path dir = root() + "/sys/devices/virtual/block/" + name;
  fs::create_directories(dir / "queue");
  std::ofstream(dir / "queue/scheduler") << "none\n";
  std::ofstream(dir / "queue/add_random") << "0\n";
  for (const std::string& slave : slaves) {
    Link(dir / "slaves" / slave, fs::canonical(root() + "/sys/class/block/" + slave));
  }
  Link(root() + "/sys/block/" + name, dir);
  Link(root() + "/sys/class/block/" + name, dir);
  Link(root() + "/sys/dev/block/" + dev, dir);
  return *this;
}

FixtureHost& FixtureHost::Mount(const std::string& mount_point, const std::string& dev,
                                const std::string& fs_type, const std::string& source,
                                const std::string& options, const std::string& super_options) {
  const int id = next_mount_id_++;
  mountinfo_ += std::to_string(id) + " 1 " + dev + " / " + mount_point + " " + options +
                " shared:" + std::to_string(id) + " - " + fs_type + " " + source + " " +
                super_options + "\n";
  return File("/proc/self/mountinfo", mountinfo_);
}

FixtureHost& FixtureHost::Process(int pid, const std::string& comm, int ppid,
                                  const std::vector<std::string>& argv) {
  const std::string dir = "/proc/" + std::to_string(pid);
  std::string cmdline;
  for (const std::string& a : argv) cmdline += a + '\0';
  File(dir + "/comm", comm + "\n");
  File(dir + "/status", "Name:\t" + comm + "\nPid:\t" + std::to_string(pid) + "\nPPid:\t" +
                            std::to_string(ppid) + "\n");
  return File(dir + "/cmdline", cmdline);
}

FixtureHost& FixtureHost::ProcessLimits(const std::string& nofile_soft,
                                        const std::string& nofile_hard,
                                        const std::string& nproc_soft,
                                        const std::string& nproc_hard) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "Limit                     Soft Limit           Hard Limit           Units     \n"
                "Max cpu time              unlimited            unlimited            seconds   \n"
                "Max processes             %-20s %-20s processes \n"
                "Max open files            %-20s %-20s files     \n"
                "Max locked memory         8388608              8388608              bytes     \n",
                nproc_soft.c_str(), nproc_hard.c_str(), nofile_soft.c_str(), nofile_hard.c_str());
  return File("/proc/self/limits", buf);
}

void FixtureHost::DefaultDebian(FixtureHost* host) {
  host->Sysctl("vm.dirty_background_ratio", "10")
      .Sysctl("vm.dirty_ratio", "20")
      .Sysctl("vm.dirty_background_bytes", "0")
      .Sysctl("vm.dirty_bytes", "0")
      .Sysctl("vm.swappiness", "60")
      .Sysctl("vm.overcommit_memory", "0")
      .File("/proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         8000000 kB\n")
      .ProcessLimits("1024", "524288", "63304", "63304")
      .File("/proc/1/comm", "systemd\n")
      .File("/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\n"
            "backup:x:34:34:backup:/var/backups:/usr/sbin/nologin\n")
      .File("/etc/group", "root:x:0:\nbackup:x:34:\n")
      .File("/etc/security/limits.conf", "# /etc/security/limits.conf\n#*  soft  core  0\n")
      .File("/etc/sysctl.conf", "#kernel.domainname = example.com\n#vm.swappiness=10\n")
      .Disk("sda", "8:0", "mq-deadline [none]", "1")
      .Partition("sda", "sda1", "8:1")
      .Mount("/", "8:1", "ext4", "/dev/sda1", "rw,relatime", "rw,errors=remount-ro")
      .Mount("/proc", "0:22", "proc", "proc", "rw,nosuid,nodev,noexec,relatime", "rw");
  // Debian's link for the old file, read as a drop-in.
  Link(host->root() + "/etc/sysctl.d/99-sysctl.conf", host->root() + "/etc/sysctl.conf");
}

std::string FixtureHost::Snapshot() const {
  std::string out;
  std::vector<std::string> paths;
  for (const auto& e : fs::recursive_directory_iterator(root())) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const std::string& p : paths) {
    out += p + (fs::is_symlink(p) ? " -> " + fs::read_symlink(p).string() : "") + "\n";
    if (fs::is_regular_file(fs::symlink_status(p))) {
      std::ifstream in(p, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      out += ss.str() + "\n";
    }
  }
  return out;
}

}  // namespace dbb::tune::testing
