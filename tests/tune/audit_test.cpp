// The audit against fixture hosts: what an operator sees on a default Debian host, a compliant
// one, NVMe, SATA and device-mapper storage, a local PostgreSQL, and files missing or unreadable.
#include "tune/audit.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tune/fixture_host.h"
#include "tune/recommended.h"

namespace dbb::tune {
namespace {

using testing::FixtureHost;

Row Find(const std::vector<Row>& rows, const std::string& setting) {
  for (const Row& r : rows) {
    if (r.setting == setting) return r;
  }
  ADD_FAILURE() << "no row " << setting;
  return Row{.setting = "<no such row>"};
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The compliant host: the default one with the recommended files installed and applied.
void MakeCompliant(FixtureHost* host) {
  FixtureHost::DefaultDebian(host);
  host->Sysctl("vm.dirty_background_ratio", "5")
      .Sysctl("vm.dirty_ratio", "10")
      .Sysctl("vm.swappiness", "10")
      .File("/etc/sysctl.d/99-dbbackup.conf", std::string(SysctlFile().text))
      .File("/etc/security/limits.d/dbbackup.conf", std::string(LimitsFile().text))
      .File("/etc/udev/rules.d/60-dbbackup.rules", std::string(UdevFile().text))
      .File("/sys/block/sda/queue/scheduler", "[mq-deadline] none\n")
      .File("/sys/block/sda/queue/add_random", "0\n")
      .File("/proc/self/mountinfo",
            "22 1 8:1 / / rw,noatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n");
}

TEST(AuditHost, DefaultDebianHostDiffersWhereExpected) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  const auto rows = AuditHost({.root = host.root(), .dir = "/var/backups", .user = "backup"});
  const Row& swappiness = Find(rows, "vm.swappiness");
  EXPECT_EQ(swappiness.current, "60");
  EXPECT_EQ(swappiness.recommended, "at most 10");
  EXPECT_EQ(swappiness.verdict, Verdict::kDiffers);
  EXPECT_EQ(swappiness.fix.kind, Fix::Kind::kWrite);
  EXPECT_EQ(swappiness.fix.path, "/proc/sys/vm/swappiness");
  EXPECT_EQ(swappiness.fix.value, "10");
  EXPECT_EQ(Find(rows, "vm.dirty_ratio").verdict, Verdict::kDiffers);
  EXPECT_EQ(Find(rows, "vm.overcommit_memory").verdict, Verdict::kOk);

  // The hard limit is what counts: dbbackup raises its soft limit to it.
  const Row& nofile = Find(rows, "nofile (this process)");
  EXPECT_EQ(nofile.current, "soft 1024, hard 524288");
  EXPECT_EQ(nofile.verdict, Verdict::kOk);
  const Row& granted = Find(rows, "nofile (login of backup)");
  EXPECT_EQ(granted.current, "soft 1024 (inherited), hard 524288 (inherited)");
  EXPECT_EQ(granted.verdict, Verdict::kDiffers);
  EXPECT_EQ(granted.fix.path, "/etc/security/limits.d/dbbackup.conf");
  EXPECT_EQ(Find(rows, "nproc (this process)").verdict, Verdict::kOk);

  const Row& scheduler = Find(rows, "sda scheduler");
  EXPECT_EQ(scheduler.current, "none");
  EXPECT_EQ(scheduler.recommended, "mq-deadline");
  EXPECT_EQ(scheduler.verdict, Verdict::kDiffers);
  EXPECT_TRUE(Contains(scheduler.why, "(under sda1)")) << scheduler.why;
  EXPECT_EQ(scheduler.fix.path, "/sys/block/sda/queue/scheduler");
  EXPECT_EQ(Find(rows, "sda add_random").verdict, Verdict::kDiffers);

  const Row& noatime = Find(rows, "noatime");
  EXPECT_EQ(noatime.current, "relatime");
  EXPECT_EQ(noatime.verdict, Verdict::kDiffers);
  EXPECT_EQ(noatime.fix.kind, Fix::Kind::kRemount);
  EXPECT_EQ(noatime.fix.path, "/");
  // data=writeback is a trade-off the operator may choose, never a failure.
  const Row& writeback = Find(rows, "data=writeback");
  EXPECT_EQ(writeback.current, "data=ordered");
  EXPECT_EQ(writeback.verdict, Verdict::kOptional);
  EXPECT_TRUE(Contains(writeback.why, "power loss")) << writeback.why;

  for (const RecommendedFile* f : {&SysctlFile(), &UdevFile()}) {
    const Row& file = Find(rows, std::string(f->install_path));
    EXPECT_EQ(file.current, "missing");
    EXPECT_EQ(file.fix.kind, Fix::Kind::kInstall);
  }
  EXPECT_EQ(Find(rows, "nproc (login of backup)").verdict, Verdict::kOk);  // 63304 inherited
}

TEST(AuditHost, CompliantHostIsAllOk) {
  FixtureHost host;
  MakeCompliant(&host);
  for (const Row& r : AuditHost({.root = host.root(), .dir = "/srv/b", .user = "backup"})) {
    EXPECT_TRUE(r.verdict == Verdict::kOk || r.verdict == Verdict::kOptional)
        << r.setting << ": " << VerdictName(r.verdict) << " " << r.current << " / " << r.why;
  }
}

TEST(AuditHost, LowerThanRecommendedCeilingsAreOk) {
  FixtureHost host;
  MakeCompliant(&host);
  host.Sysctl("vm.swappiness", "1").Sysctl("vm.dirty_background_ratio", "2");
  const auto rows = AuditHost({.root = host.root()});
  EXPECT_EQ(Find(rows, "vm.swappiness").verdict, Verdict::kOk);
  EXPECT_EQ(Find(rows, "vm.dirty_background_ratio").verdict, Verdict::kOk);
}

TEST(AuditHost, NoDirMeansNoDiskOrMountRows) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  for (const Row& r : AuditHost({.root = host.root(), .user = "backup"})) {
    EXPECT_NE(r.group, "disk");
    EXPECT_NE(r.group, "mount");
  }
}

TEST(AuditHost, NvmeWantsNoSchedulerAndNoatimeImpliesNodiratime) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.Disk("nvme0n1", "259:0", "[none] mq-deadline", "0")
      .Partition("nvme0n1", "nvme0n1p1", "259:1")
      .Mount("/var/backups", "259:1", "xfs", "/dev/nvme0n1p1", "rw,noatime", "rw,inode64");
  const auto rows = AuditHost({.root = host.root(), .dir = "/var/backups/nightly"});
  const Row& scheduler = Find(rows, "nvme0n1 scheduler");
  EXPECT_EQ(scheduler.current, "none");
  EXPECT_EQ(scheduler.recommended, "none");
  EXPECT_EQ(scheduler.verdict, Verdict::kOk);
  EXPECT_EQ(Find(rows, "nvme0n1 add_random").verdict, Verdict::kOk);
  EXPECT_EQ(Find(rows, "noatime").verdict, Verdict::kOk);
  const Row& nodiratime = Find(rows, "nodiratime");
  EXPECT_EQ(nodiratime.current, "implied by noatime");
  EXPECT_EQ(nodiratime.verdict, Verdict::kOk);
  for (const Row& r : rows) EXPECT_NE(r.setting, "data=writeback");  // ext4 only
}

TEST(AuditHost, NvmeWithMqDeadlineDiffers) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.Disk("nvme0n1", "259:0", "none [mq-deadline]", "0")
      .Mount("/b", "259:0", "ext4", "/dev/nvme0n1", "rw,noatime", "rw,data=writeback");
  const auto rows = AuditHost({.root = host.root(), .dir = "/b"});
  const Row& scheduler = Find(rows, "nvme0n1 scheduler");
  EXPECT_EQ(scheduler.verdict, Verdict::kDiffers);
  EXPECT_EQ(scheduler.fix.value, "none");
  EXPECT_EQ(Find(rows, "data=writeback").verdict, Verdict::kOk);
}

TEST(AuditHost, DeviceMapperIsAuditedThroughToEachDisk) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.Disk("sdb", "8:16", "[mq-deadline] none", "0").Partition("sdb", "sdb1", "8:17");
  host.Disk("nvme0n1", "259:0", "[none] mq-deadline", "0");
  host.Stacked("dm-0", "253:0", {"sdb1", "nvme0n1"})
      .Mount("/srv/backup", "253:0", "xfs", "/dev/mapper/vg-backup", "rw,noatime", "rw");
  const auto rows = AuditHost({.root = host.root(), .dir = "/srv/backup"});
  EXPECT_EQ(Find(rows, "sdb scheduler").verdict, Verdict::kOk);
  EXPECT_TRUE(Contains(Find(rows, "sdb scheduler").why, "under dm-0 > sdb1"));
  EXPECT_EQ(Find(rows, "nvme0n1 scheduler").verdict, Verdict::kOk);
  for (const Row& r : rows) EXPECT_EQ(r.setting.find("dm-0"), std::string::npos) << r.setting;
}

TEST(AuditHost, SchedulerTheKernelDoesNotOfferSaysHowToLoadIt) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.File("/sys/block/sda/queue/scheduler", "[none] kyber\n");
  const Row& row = Find(AuditHost({.root = host.root(), .dir = "/"}), "sda scheduler");
  EXPECT_EQ(row.verdict, Verdict::kDiffers);
  EXPECT_EQ(row.fix.kind, Fix::Kind::kNone);
  EXPECT_TRUE(Contains(row.why, "modprobe mq-deadline")) << row.why;
}

TEST(AuditHost, TmpfsHasNoDiskToTune) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.Mount("/run/b", "0:60", "tmpfs", "tmpfs", "rw,nosuid", "rw,size=1024k");
  const auto rows = AuditHost({.root = host.root(), .dir = "/run/b"});
  const Row& row = Find(rows, "tmpfs");
  EXPECT_EQ(row.verdict, Verdict::kUnknown);
  EXPECT_EQ(row.why, "tmpfs at /run/b has no local block device to tune");
}

TEST(AuditHost, LocalPostgresWantsStrictOvercommit) {
  FixtureHost host;
  MakeCompliant(&host);
  host.Process(812, "postgres", 1,
               {"/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main"})
      .Process(813, "postgres", 812, {"postgres: checkpointer"});
  Row row = Find(AuditHost({.root = host.root()}), "vm.overcommit_memory");
  EXPECT_EQ(row.current, "0");
  EXPECT_EQ(row.recommended, "2 (a PostgreSQL server runs here)");
  EXPECT_EQ(row.verdict, Verdict::kOptional);  // the kernel's default: advised against, not a fault
  EXPECT_TRUE(Contains(row.why, "pid 812, /var/lib/postgresql/15/main")) << row.why;
  EXPECT_TRUE(Contains(row.why, "PostgreSQL documentation")) << row.why;

  host.Sysctl("vm.overcommit_memory", "1");
  row = Find(AuditHost({.root = host.root()}), "vm.overcommit_memory");
  EXPECT_EQ(row.verdict, Verdict::kDiffers);
  EXPECT_EQ(row.fix.kind, Fix::Kind::kNone);
  EXPECT_TRUE(Contains(row.why, "OOM killer")) << row.why;

  host.Sysctl("vm.overcommit_memory", "2");
  EXPECT_EQ(Find(AuditHost({.root = host.root()}), "vm.overcommit_memory").verdict, Verdict::kOk);
}

TEST(AuditHost, OvercommitAlwaysWithoutPostgresDiffers) {
  FixtureHost host;
  MakeCompliant(&host);
  host.Sysctl("vm.overcommit_memory", "1");
  const Row& row = Find(AuditHost({.root = host.root()}), "vm.overcommit_memory");
  EXPECT_EQ(row.recommended, "0 or 2");
  EXPECT_EQ(row.verdict, Verdict::kDiffers);
}

TEST(AuditHost, DirtyBytesAreJudgedByTheirShareOfRam) {
  FixtureHost host;
  MakeCompliant(&host);
  // 16384000 kB of RAM: 838860800 bytes is 5.0 %, 3355443200 is 20.0 %.
  host.Sysctl("vm.dirty_background_ratio", "0").Sysctl("vm.dirty_background_bytes", "838860800");
  host.Sysctl("vm.dirty_ratio", "0").Sysctl("vm.dirty_bytes", "3355443200");
  const auto rows = AuditHost({.root = host.root()});
  const Row& background = Find(rows, "vm.dirty_background_ratio");
  EXPECT_EQ(background.current, "0 (vm.dirty_background_bytes = 838860800, 5.0% of RAM)");
  EXPECT_EQ(background.verdict, Verdict::kOk);
  EXPECT_EQ(Find(rows, "vm.dirty_ratio").verdict, Verdict::kDiffers);
}

TEST(AuditHost, ALaterSysctlFileThatUndoesOursAtBootIsNamed) {
  FixtureHost host;
  MakeCompliant(&host);
  host.File("/etc/sysctl.conf", "vm.swappiness = 60\n");
  const Row& row = Find(AuditHost({.root = host.root()}), "vm.swappiness");
  EXPECT_EQ(row.verdict, Verdict::kDiffers);
  EXPECT_EQ(row.fix.kind, Fix::Kind::kNone);
  EXPECT_TRUE(Contains(row.why, "/etc/sysctl.conf sets vm.swappiness = 60 at boot")) << row.why;
  // A file read before ours does not matter.
  host.File("/etc/sysctl.conf", "").File("/usr/lib/sysctl.d/50-default.conf", "vm.swappiness=60\n");
  EXPECT_EQ(Find(AuditHost({.root = host.root()}), "vm.swappiness").verdict, Verdict::kOk);
}

TEST(AuditHost, LimitsResolveAsPamLimitsDoes) {
  FixtureHost host;
  MakeCompliant(&host);
  host.File("/etc/passwd",
            "root:x:0:0::/root:/bin/sh\nbackup:x:34:34::/:/bin/sh\n"
            "alice:x:1000:1000::/home/alice:/bin/sh\n")
      .File("/etc/group", "backup:x:34:\nalice:x:1000:\ndba:x:2000:alice\n");
  // A user line beats "*" wherever it is read; a group line applies to members.
  host.File("/etc/security/limits.conf", "alice soft nofile 4096\n@dba hard nofile 8192\n");
  auto rows = AuditHost({.root = host.root(), .user = "alice"});
  const Row& alice = Find(rows, "nofile (login of alice)");
  EXPECT_EQ(alice.verdict, Verdict::kDiffers);
  EXPECT_EQ(alice.current,
            "soft 4096 (/etc/security/limits.conf), hard 8192 "
            "(/etc/security/limits.conf)");
  EXPECT_EQ(alice.fix.kind, Fix::Kind::kNone);  // ours is installed: the other file is to change
  EXPECT_TRUE(Contains(alice.why, "/etc/security/limits.conf grants less")) << alice.why;
  EXPECT_EQ(
      Find(AuditHost({.root = host.root(), .user = "backup"}), "nofile (login of backup)").verdict,
      Verdict::kOk);
  // "*" does not apply to root: root gets its own lines, and no nproc (root is not limited).
  rows = AuditHost({.root = host.root(), .user = "root"});
  EXPECT_EQ(Find(rows, "nofile (login of root)").verdict, Verdict::kOk);
  for (const Row& r : rows) EXPECT_NE(r.setting, "nproc (login of root)");
}

TEST(AuditHost, LimitsAreNeverLoweredByInstallingOurs) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.ProcessLimits("1024", "1048576", "63304", "63304");
  const Row row =
      Find(AuditHost({.root = host.root(), .user = "backup"}), "nofile (login of backup)");
  EXPECT_EQ(row.verdict, Verdict::kDiffers);  // soft 1024 inherited
  EXPECT_EQ(row.fix.kind, Fix::Kind::kNone);
  EXPECT_TRUE(Contains(row.why, "would lower hard nofile from 1048576 to 524288")) << row.why;
}

TEST(AuditHost, ALimitThatWouldStillWinAfterInstallingOursIsTheOperatorsToChange) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.File("/etc/security/limits.conf", "backup hard nofile 4096\n");
  const Row row =
      Find(AuditHost({.root = host.root(), .user = "backup"}), "nofile (login of backup)");
  EXPECT_EQ(row.verdict, Verdict::kDiffers);
  EXPECT_EQ(row.fix.kind, Fix::Kind::kNone);
  EXPECT_TRUE(Contains(row.why, "/etc/security/limits.conf grants less and takes precedence"))
      << row.why;
}

TEST(AuditHost, UnknownUserIsNamed) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  const Row row =
      Find(AuditHost({.root = host.root(), .user = "nosuch"}), "nofile (login of nosuch)");
  EXPECT_EQ(row.verdict, Verdict::kUnknown);
  EXPECT_EQ(row.why, "no user nosuch in /etc/passwd: give the user that runs backups with --user");
}

TEST(AuditHost, OurSysctlFileIsNotInstalledOverLowerValuesTheHostSetsAtBoot) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.File("/etc/sysctl.d/10-site.conf",
            "vm.swappiness = 1\nvm.dirty_ratio = 5\nvm.dirty_background_ratio = 2\n")
      .Sysctl("vm.swappiness", "1")
      .Sysctl("vm.dirty_ratio", "5")
      .Sysctl("vm.dirty_background_ratio", "2");
  Row row = Find(AuditHost({.root = host.root()}), "/etc/sysctl.d/99-dbbackup.conf");
  EXPECT_EQ(row.verdict, Verdict::kOk);
  EXPECT_EQ(row.fix.kind, Fix::Kind::kNone);
  EXPECT_TRUE(Contains(row.why,
                       "not needed: the host's own files set these at boot "
                       "(/etc/sysctl.d/10-site.conf sets vm.dirty_background_ratio = 2"))
      << row.why;
  // A live value that differs is set live, but the file that keeps it is the host's.
  host.Sysctl("vm.dirty_ratio", "20");
  row = Find(AuditHost({.root = host.root()}), "/etc/sysctl.d/99-dbbackup.conf");
  EXPECT_EQ(row.verdict, Verdict::kDiffers);
  EXPECT_EQ(row.fix.kind, Fix::Kind::kNone);
  EXPECT_TRUE(Contains(row.why, "set the values that differ in that file instead")) << row.why;
}

TEST(AuditHost, OurRatiosAreNotInstalledOverDirtyBytesSetAtBoot) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.File("/etc/sysctl.d/60-writeback.conf", "vm.dirty_bytes = 268435456\n");
  const Row row = Find(AuditHost({.root = host.root()}), "/etc/sysctl.d/99-dbbackup.conf");
  EXPECT_EQ(row.verdict, Verdict::kDiffers);
  EXPECT_EQ(row.fix.kind, Fix::Kind::kNone);
  EXPECT_TRUE(Contains(row.why, "60-writeback.conf sets vm.dirty_bytes = 268435456")) << row.why;
}

TEST(AuditHost, LowHardLimitOfThisProcessSaysHowToRaiseIt) {
  FixtureHost host;
  MakeCompliant(&host);
  host.ProcessLimits("1024", "4096", "63304", "63304");
  const Row& row = Find(AuditHost({.root = host.root()}), "nofile (this process)");
  EXPECT_EQ(row.verdict, Verdict::kDiffers);
  EXPECT_TRUE(Contains(row.why, "LimitNOFILE=65536")) << row.why;
}

TEST(AuditHost, MissingOrUnreadableFilesAreUnknownNotOk) {
  FixtureHost host;
  MakeCompliant(&host);
  std::filesystem::remove(host.root() + "/proc/sys/vm/swappiness");
  std::filesystem::remove(host.root() + "/proc/self/limits");
  std::filesystem::remove(host.root() + "/sys/block/sda/queue/add_random");
  // A directory where a file should be cannot be read, even by root.
  std::filesystem::remove(host.root() + "/etc/udev/rules.d/60-dbbackup.rules");
  std::filesystem::create_directories(host.root() + "/etc/udev/rules.d/60-dbbackup.rules");
  const auto rows = AuditHost({.root = host.root(), .dir = "/"});
  const Row& swappiness = Find(rows, "vm.swappiness");
  EXPECT_EQ(swappiness.verdict, Verdict::kUnknown);
  EXPECT_EQ(swappiness.why, "cannot read /proc/sys/vm/swappiness: No such file or directory");
  EXPECT_EQ(Find(rows, "nofile (this process)").verdict, Verdict::kUnknown);
  EXPECT_EQ(Find(rows, "sda add_random").verdict, Verdict::kUnknown);
  const Row& rule = Find(rows, "/etc/udev/rules.d/60-dbbackup.rules");
  EXPECT_EQ(rule.verdict, Verdict::kUnknown);
  EXPECT_TRUE(Contains(rule.why, "Is a directory")) << rule.why;

  std::filesystem::remove(host.root() + "/proc/self/mountinfo");
  const Row& mount = Find(AuditHost({.root = host.root(), .dir = "/b"}), "/b");
  EXPECT_EQ(mount.verdict, Verdict::kUnknown);
  EXPECT_EQ(mount.why, "cannot read /proc/self/mountinfo: No such file or directory");
}

}  // namespace
}  // namespace dbb::tune
