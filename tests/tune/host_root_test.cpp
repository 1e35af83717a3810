#include "tune/host_root.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/test_util.h"

namespace dbb::tune {
namespace {

// A fixture tree stands in for /: <root>/proc/sys/vm/swappiness.
TEST(ReadSysctl, ReadsFromTheGivenRootAndTrims) {
  dbb::testing::TempDir root;
  std::filesystem::create_directories(root.file("proc/sys/vm"));
  std::ofstream(root.file("proc/sys/vm/swappiness")) << "60\n";
  EXPECT_EQ(ReadSysctl(root.path(), "vm.swappiness"), "60");
}

TEST(ReadSysctl, MissingSettingIsNullopt) {
  dbb::testing::TempDir root;
  EXPECT_EQ(ReadSysctl(root.path(), "vm.dirty_bytes"), std::nullopt);
}

TEST(UnderRoot, RealRootLeavesThePathAlone) {
  EXPECT_EQ(UnderRoot("/", "/proc/meminfo"), "/proc/meminfo");
  EXPECT_EQ(UnderRoot("/tmp/fx/", "/proc/meminfo"), "/tmp/fx/proc/meminfo");
}

TEST(ReadHostFile, ErrorsNameTheHostPathNotTheFixturePath) {
  dbb::testing::TempDir root;
  Result<std::string> r = ReadHostFile(root.path(), "/etc/sysctl.conf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "/etc/sysctl.conf: No such file or directory");
  std::filesystem::create_directories(root.file("etc/sysctl.conf"));
  EXPECT_NE(ReadHostFile(root.path(), "/etc/sysctl.conf").status().message().find("directory"),
            std::string::npos);
}

TEST(ReadHostNumberAfter, DigitsAfterTheKeyOrEmpty) {
  dbb::testing::TempDir root;
  std::filesystem::create_directories(root.file("proc/7"));
  std::ofstream(root.file("proc/7/status")) << "Name:\tpostgres\nPid:\t7\nPPid:\t1\n";
  std::ofstream(root.file("proc/meminfo")) << "MemTotal:       16384000 kB\n";
  EXPECT_EQ(ReadHostNumberAfter(root.path(), "/proc/7/status", "\nPPid:"), "1");
  EXPECT_EQ(ReadHostNumberAfter(root.path(), "/proc/meminfo", "MemTotal:"), "16384000");
  EXPECT_EQ(ReadHostNumberAfter(root.path(), "/proc/meminfo", "MemFree:"), "");
  EXPECT_EQ(ReadHostNumberAfter(root.path(), "/proc/8/status", "\nPPid:"), "");
}

TEST(WriteHostValue, WritesAnExistingFileOnly) {
  dbb::testing::TempDir root;
  EXPECT_FALSE(WriteHostValue(root.path(), "/proc/sys/vm/swappiness", "10").ok());
  std::filesystem::create_directories(root.file("proc/sys/vm"));
  std::ofstream(root.file("proc/sys/vm/swappiness")) << "60\n";
  ASSERT_TRUE(WriteHostValue(root.path(), "/proc/sys/vm/swappiness", "10").ok());
  EXPECT_EQ(ReadSysctl(root.path(), "vm.swappiness"), "10");
}

// An image tree whose /proc/sys is an absolute link must not lead to the real host's settings.
TEST(WriteHostValue, RefusesAPathThatLeavesTheFixtureRoot) {
  dbb::testing::TempDir root;
  dbb::testing::TempDir outside;
  std::filesystem::create_directories(outside.file("vm"));
  std::ofstream(outside.file("vm/swappiness")) << "60\n";
  std::filesystem::create_directories(root.file("proc"));
  std::filesystem::create_symlink(outside.path(), root.file("proc/sys"));
  const Status st = WriteHostValue(root.path(), "/proc/sys/vm/swappiness", "10");
  EXPECT_EQ(st.code(), StatusCode::kRefused);
  EXPECT_NE(st.message().find("/proc/sys/vm/swappiness leads outside"), std::string::npos)
      << st.message();
  EXPECT_EQ(InstallHostFile(root.path(), "/proc/sys/vm/new.conf", "x").code(),
            StatusCode::kRefused);
  std::ifstream in(outside.file("vm/swappiness"));
  std::string value;
  in >> value;
  EXPECT_EQ(value, "60");
  EXPECT_EQ(ResolveUnderRoot(root.path(), "/proc/sys/vm/swappiness"), "");
}

TEST(InstallHostFile, CreatesParentsReplacesWholeAndIsWorldReadable) {
  dbb::testing::TempDir root;
  ASSERT_TRUE(InstallHostFile(root.path(), "/etc/sysctl.d/99-x.conf", "a = 1\n").ok());
  ASSERT_TRUE(InstallHostFile(root.path(), "/etc/sysctl.d/99-x.conf", "b = 2\n").ok());
  EXPECT_EQ(ReadHostFile(root.path(), "/etc/sysctl.d/99-x.conf").value(), "b = 2\n");
  struct stat st {};
  ASSERT_EQ(::stat(root.file("etc/sysctl.d/99-x.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(root.file("etc/sysctl.d")),
                          std::filesystem::directory_iterator()),
            1);  // no temporary file left
}

}  // namespace
}  // namespace dbb::tune
