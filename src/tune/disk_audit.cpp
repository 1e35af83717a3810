// The rows for the backup directory's storage: each disk's I/O scheduler and add_random (what
// the first matching rule of udev/60-dbbackup.rules sets), and the file system's mount options.
#include <algorithm>
#include <filesystem>
#include <sstream>

#include "tune/audit.h"
#include "tune/block_device.h"
#include "tune/conf_files.h"
#include "tune/host_root.h"
#include "tune/mountinfo.h"
#include "tune/recommended.h"

namespace dbb::tune {
namespace {

namespace fs = std::filesystem;

// The directory as the host sees it: on the real root, symbolic links resolved (a directory that
// does not exist yet is judged by its nearest existing parent); in a fixture, only normalized.
std::string HostPath(const std::string& root, const std::string& dir) {
  if (IsRealRoot(root)) {
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::absolute(dir), ec);
    if (!ec) return p.string();
  }
  std::string p = fs::path("/" + dir).lexically_normal().string();
  if (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// "none [mq-deadline] kyber" -> current "mq-deadline", available all three. A file holding one
// bare word (a fixture after a write) is that word.
struct Scheduler {
  std::string current;
  std::vector<std::string> available;
};
Scheduler ParseScheduler(const std::string& text) {
  Scheduler s;
  std::istringstream in(text);
  for (std::string w; in >> w;) {
    if (w.size() > 2 && w.front() == '[' && w.back() == ']') {
      w = w.substr(1, w.size() - 2);
      s.current = w;
    }
    s.available.push_back(w);
  }
  if (s.current.empty() && s.available.size() == 1) s.current = s.available[0];
  return s;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

Row SchedulerRow(const std::string& root, const Disk& disk, const UdevRule* rule) {
  const std::string path = "/sys/block/" + disk.name + "/queue/scheduler";
  const std::string under = disk.via.empty() ? "" : " (under " + disk.via + ")";
  Row row{.group = "disk", .setting = disk.name + " scheduler"};
  Result<std::string> text = ReadHostValue(root, path);
  if (!text.ok()) {
    row.current = "?";
    row.why = "cannot read " + text.status().message();
    return row;
  }
  const Scheduler s = ParseScheduler(text.value());
  row.current = s.current;
  if (rule == nullptr || !rule->attrs.contains("queue/scheduler")) {
    row.recommended = "-";
    row.why = "no recommendation for " + disk.name + under + " (" +
              std::string(UdevFile().repo_path) + " covers NVMe, virtio/Xen and SATA/SAS disks)";
    return row;
  }
  std::string wanted = rule->attrs.at("queue/scheduler");
  // Kernels before 5.0 also had single-queue devices, whose deadline scheduler is "deadline".
  if (wanted == "mq-deadline" && !Has(s.available, wanted) && Has(s.available, "deadline")) {
    wanted = "deadline";
  }
  if (wanted == "none" && !Has(s.available, wanted) && Has(s.available, "noop")) wanted = "noop";
  row.recommended = wanted;
  if (s.current == wanted) {
    row.verdict = Verdict::kOk;
    row.why = wanted == "none" ? disk.name + under +
                                     ": no kernel scheduler, the device orders "
                                     "requests itself"
                               : disk.name + under +
                                     ": every request's wait is bounded, reads "
                                     "are not starved by the backup stream";
    return row;
  }
  row.verdict = Verdict::kDiffers;
  if (!Has(s.available, wanted) && s.available.size() > 1) {
    row.why = disk.name + under + " does not offer " + wanted + " (" + text.value() + ")" +
              (wanted == "none"
                   ? std::string()
                   : ": modprobe " + wanted + " and add it to /etc/modules-load.d, then --apply");
    return row;
  }
  row.why = disk.name + under +
            (wanted == "none" ? ": NVMe and virtual disks need no kernel "
                                "scheduler, it only adds latency"
                              : ": mq-deadline bounds every request's wait "
                                "so reads are not starved by the backup "
                                "stream") +
            "; `dbbackup tune --apply` sets it (the udev rule keeps it)";
  row.fix = {.kind = Fix::Kind::kWrite, .path = path, .value = wanted};
  return row;
}

Row AddRandomRow(const std::string& root, const Disk& disk, const UdevRule* rule) {
  const std::string path = "/sys/block/" + disk.name + "/queue/add_random";
  const std::string setting = disk.name + " add_random";
  Result<std::string> text = ReadHostValue(root, path);
  if (!text.ok()) {
    return {.group = "disk",
            .setting = setting,
            .current = "?",
            .why = "cannot read " + text.status().message()};
  }
  if (rule == nullptr || !rule->attrs.contains("queue/add_random")) {
    return {.group = "disk",
            .setting = setting,
            .current = text.value(),
            .recommended = "-",
            .why = "no recommendation for " + disk.name};
  }
  Row row{.group = "disk",
          .setting = setting,
          .current = text.value(),
          .recommended = rule->attrs.at("queue/add_random"),
          .verdict = Verdict::kOk,
          .why =
              "feeding the entropy pool from every I/O completion costs time for nothing "
              "on a disk"};
  if (row.current != row.recommended) {
    row.verdict = Verdict::kDiffers;
    row.why += "; `dbbackup tune --apply` sets it (the udev rule keeps it)";
    row.fix = {.kind = Fix::Kind::kWrite, .path = path, .value = row.recommended};
  }
  return row;
}

std::vector<Row> MountRows(const MountEntry& m) {
  const std::string where = m.mount_point + " (" + m.fs_type + ")";
  const std::string remount = "mount -o remount,noatime,nodiratime " + m.mount_point;
  const std::string persist =
      "; to keep it, add it to the options of " + m.mount_point + " in /etc/fstab";
  std::vector<Row> rows;
  Row noatime{.group = "mount", .setting = "noatime", .recommended = "noatime"};
  noatime.current = HasOption(m.options, "noatime")       ? "noatime"
                    : HasOption(m.options, "strictatime") ? "strictatime"
                    : HasOption(m.options, "relatime")    ? "relatime"
                                                          : "atime";
  noatime.why = where + ": reading a backup file (verify, restore) must not write its access time";
  Row nodiratime{.group = "mount", .setting = "nodiratime", .recommended = "nodiratime"};
  nodiratime.current = HasOption(m.options, "nodiratime") ? "nodiratime"
                       : HasOption(m.options, "noatime")  ? "implied by noatime"
                                                          : "diratime";
  nodiratime.why = where + ": listing a backup directory must not write its access time";
  for (Row* row : {&noatime, &nodiratime}) {
    const bool ok = HasOption(m.options, row->setting) || HasOption(m.options, "noatime");
    row->verdict = ok ? Verdict::kOk : Verdict::kDiffers;
    if (!ok) {
      row->why += "; `dbbackup tune --apply --remount` runs `" + remount + "`" + persist;
      row->fix = {.kind = Fix::Kind::kRemount, .path = m.mount_point, .value = row->setting};
    }
    rows.push_back(std::move(*row));
  }
  if (m.fs_type == "ext4") {
    Row data{.group = "mount", .setting = "data=writeback", .recommended = "optional"};
    data.current = HasOption(m.super_options, "data=writeback") ? "data=writeback"
                   : HasOption(m.super_options, "data=journal") ? "data=journal"
                                                                : "data=ordered";
    if (data.current == "data=writeback") {
      data.verdict = Verdict::kOk;
      data.why = where +
                 ": chosen; after a power loss, files written just before it may hold "
                 "stale blocks (dbbackup fsyncs each backup before its manifest)";
    } else {
      data.verdict = Verdict::kOptional;
      data.why = where +
                 ": a trade-off, not a fix: faster writes, but after a power loss files "
                 "written just before it may hold stale blocks; set it in /etc/fstab "
                 "(it cannot be changed by a remount)";
    }
    rows.push_back(std::move(data));
  }
  return rows;
}

}  // namespace

std::vector<Row> AuditDisk(const std::string& root, const std::string& dir) {
  if (dir.empty()) return {};
  const std::string path = HostPath(root, dir);
  Result<std::vector<MountEntry>> mounts = ReadMountInfo(root);
  const MountEntry* mount = mounts.ok() ? FindMount(mounts.value(), path) : nullptr;
  if (mount == nullptr) {
    return {Row{.group = "mount",
                .setting = path,
                .current = "?",
                .recommended = "-",
                .why = mounts.ok() ? "no mount in /proc/self/mountinfo holds " + path
                                   : "cannot read " + mounts.status().message()}};
  }
  std::vector<Row> rows;
  Result<std::vector<Disk>> disks = ResolveDisks(root, *mount);
  if (!disks.ok()) {
    rows.push_back(Row{.group = "disk",
                       .setting = mount->source,
                       .current = "?",
                       .recommended = "-",
                       .why = disks.status().message()});
  } else {
    const std::vector<UdevRule> rules = ParseUdevRules(UdevFile().text);
    for (const Disk& disk : disks.value()) {
      const UdevRule* rule = MatchUdevRule(rules, disk.name);
      rows.push_back(SchedulerRow(root, disk, rule));
      rows.push_back(AddRandomRow(root, disk, rule));
    }
  }
  for (Row& row : MountRows(*mount)) rows.push_back(std::move(row));
  return rows;
}

}  // namespace dbb::tune
