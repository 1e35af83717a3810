#include "tune/mountinfo.h"

#include <gtest/gtest.h>

#include "tune/fixture_host.h"

namespace dbb::tune {
namespace {

using testing::FixtureHost;

TEST(ReadMountInfo, FieldsAroundOptionalFieldsAndEscapes) {
  FixtureHost host;
  host.File("/proc/self/mountinfo",
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
            "40 22 253:0 / /srv/backup\\040dir rw,noatime shared:5 master:2 - xfs "
            "/dev/mapper/vg-backup rw,attr2,inode64\n"
            "41 22 0:50 / /tmp rw,nosuid - tmpfs tmpfs rw,size=1024k\n");
  Result<std::vector<MountEntry>> mounts = ReadMountInfo(host.root());
  ASSERT_TRUE(mounts.ok()) << mounts.status().message();
  ASSERT_EQ(mounts->size(), 3u);
  const MountEntry& m = (*mounts)[1];
  EXPECT_EQ(m.dev, "253:0");
  EXPECT_EQ(m.mount_point, "/srv/backup dir");
  EXPECT_EQ(m.options, "rw,noatime");
  EXPECT_EQ(m.fs_type, "xfs");
  EXPECT_EQ(m.source, "/dev/mapper/vg-backup");
  EXPECT_EQ(m.super_options, "rw,attr2,inode64");
  EXPECT_EQ(m.line, 2u);
}

TEST(ReadMountInfo, EmptySourceParsesAndABrokenLineIsSkipped) {
  FixtureHost host;
  host.File("/proc/self/mountinfo",
            "22 1 8:1 / / rw,relatime shared:1 ext4 /dev/sda1\n"
            "23 22 0:51 / /mnt/x rw,relatime shared:2 - tmpfs  rw,size=64k\n");
  Result<std::vector<MountEntry>> mounts = ReadMountInfo(host.root());
  ASSERT_TRUE(mounts.ok()) << mounts.status().message();
  ASSERT_EQ(mounts->size(), 1u);
  EXPECT_EQ((*mounts)[0].mount_point, "/mnt/x");
  EXPECT_EQ((*mounts)[0].source, "");
  EXPECT_EQ((*mounts)[0].super_options, "rw,size=64k");
  EXPECT_EQ((*mounts)[0].line, 2u);
}

TEST(FindMount, LongestMountPointThatIsAParentAndLastOfEqualOnes) {
  const std::vector<MountEntry> mounts = {{.mount_point = "/", .line = 1},
                                          {.mount_point = "/var", .line = 2},
                                          {.mount_point = "/var/backups", .line = 3},
                                          {.mount_point = "/var/backups", .line = 4}};
  EXPECT_EQ(FindMount(mounts, "/var/backups/db1")->line, 4u);
  EXPECT_EQ(FindMount(mounts, "/var/backups")->line, 4u);
  EXPECT_EQ(FindMount(mounts, "/var/backupsX")->line, 2u);
  EXPECT_EQ(FindMount(mounts, "/home")->line, 1u);
  EXPECT_EQ(FindMount({}, "/home"), nullptr);
}

TEST(HasOption, WholeOptionsOnly) {
  EXPECT_TRUE(HasOption("rw,noatime", "noatime"));
  EXPECT_FALSE(HasOption("rw,relatime", "atime"));
  EXPECT_TRUE(HasOption("rw,data=writeback", "data=writeback"));
}

TEST(AddMountOptionsInFixture, RewritesOnlyThatLine) {
  FixtureHost host;
  host.Mount("/", "8:1", "ext4", "/dev/sda1", "rw,relatime")
      .Mount("/b", "8:2", "xfs", "/dev/sdb", "rw");
  ASSERT_TRUE(AddMountOptionsInFixture(host.root(), 2, "noatime").ok());
  Result<std::vector<MountEntry>> mounts = ReadMountInfo(host.root());
  ASSERT_TRUE(mounts.ok());
  EXPECT_EQ((*mounts)[0].options, "rw,relatime");
  EXPECT_EQ((*mounts)[1].options, "rw,noatime");
}

}  // namespace
}  // namespace dbb::tune
