#include "tune/host_root.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace dbb::tune
