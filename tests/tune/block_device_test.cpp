#include "tune/block_device.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tune/fixture_host.h"

namespace dbb::tune {
namespace {

using testing::FixtureHost;

std::string Names(Result<std::vector<Disk>> disks) {
  if (!disks.ok()) return disks.status().message();
  std::string out;
  for (const Disk& d : disks.value()) {
    out += (out.empty() ? "" : " ") + d.name + (d.via.empty() ? "" : "(" + d.via + ")");
  }
  return out;
}

TEST(ResolveDisks, WholeDiskAndPartition) {
  FixtureHost host;
  host.Disk("sdb", "8:16", "[mq-deadline] none").Disk("nvme0n1", "259:0", "[none] mq-deadline");
  host.Partition("nvme0n1", "nvme0n1p2", "259:2");
  EXPECT_EQ(Names(ResolveDisks(host.root(), {.dev = "8:16"})), "sdb");
  EXPECT_EQ(Names(ResolveDisks(host.root(), {.dev = "259:2"})), "nvme0n1(nvme0n1p2)");
}

TEST(ResolveDisks, DeviceMapperOverPartitionsOfTwoDisksAndMdUnderIt) {
  FixtureHost host;
  host.Disk("sda", "8:0", "[mq-deadline] none").Partition("sda", "sda2", "8:2");
  host.Disk("sdb", "8:16", "[mq-deadline] none").Partition("sdb", "sdb1", "8:17");
  host.Disk("sdc", "8:32", "[mq-deadline] none").Partition("sdc", "sdc1", "8:33");
  host.Stacked("md0", "9:0", {"sdb1", "sdc1"});
  host.Stacked("dm-0", "253:0", {"sda2", "md0"});
  EXPECT_EQ(Names(ResolveDisks(host.root(), {.dev = "253:0"})),
            "sdb(dm-0 > md0 > sdb1) sdc(dm-0 > md0 > sdc1) sda(dm-0 > sda2)");
}

TEST(ResolveDisks, PartitionOfAnMdArrayLeadsToTheArraysDisks) {
  FixtureHost host;
  host.Disk("sda", "8:0", "[mq-deadline] none").Disk("sdb", "8:16", "[mq-deadline] none");
  host.Stacked("md126", "9:126", {"sda", "sdb"}).Partition("md126", "md126p1", "259:7");
  EXPECT_EQ(Names(ResolveDisks(host.root(), {.dev = "259:7"})),
            "sda(md126p1 > md126) sdb(md126p1 > md126)");
}

TEST(ResolveDisks, ALinkOutOfAFixtureRootIsNotFollowed) {
  FixtureHost host;
  host.File("/sys/dev/block/.placeholder", "");
  std::filesystem::create_symlink("/sys/dev/block/8:0", host.root() + "/sys/dev/block/8:0");
  EXPECT_FALSE(ResolveDisks(host.root(), {.dev = "8:0", .source = "/dev/sda"}).ok());
}

TEST(ResolveDisks, AnonymousDeviceNumberFallsBackToTheSource) {
  FixtureHost host;
  host.Disk("nvme1n1", "259:5", "[none]");
  host.File("/dev/.placeholder", "");
  std::filesystem::create_symlink("../sys/block/nvme1n1", host.root() + "/dev/nvme1n1");
  EXPECT_EQ(Names(ResolveDisks(host.root(), {.dev = "0:48", .source = "/dev/nvme1n1"})), "nvme1n1");
}

TEST(ResolveDisks, NoBlockDeviceOrNoSysfsEntryIsAnError) {
  FixtureHost host;
  Result<std::vector<Disk>> tmpfs = ResolveDisks(
      host.root(), {.dev = "0:50", .mount_point = "/tmp", .fs_type = "tmpfs", .source = "tmpfs"});
  ASSERT_FALSE(tmpfs.ok());
  EXPECT_EQ(tmpfs.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(tmpfs.status().message(), "tmpfs at /tmp has no local block device to tune");
  Result<std::vector<Disk>> gone =
      ResolveDisks(host.root(), {.dev = "8:1", .mount_point = "/", .source = "/dev/sda1"});
  ASSERT_FALSE(gone.ok());
  EXPECT_NE(gone.status().message().find("cannot find the disk of /dev/sda1"), std::string::npos);
}

}  // namespace
}  // namespace dbb::tune
