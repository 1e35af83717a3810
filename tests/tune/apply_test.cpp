#include "tune/apply.h"

#include <gtest/gtest.h>

#include "tune/fixture_host.h"
#include "tune/recommended.h"

namespace dbb::tune {
namespace {

using testing::FixtureHost;

TEST(PlanApply, MergesChangesToTheSameThingAndKeepsTheOperatorsShare) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.Sysctl("vm.overcommit_memory", "1");
  const ApplyPlan plan =
      PlanApply(host.root(), AuditHost({.root = host.root(), .dir = "/", .user = "backup"}));
  int installs_of_limits = 0;
  for (const Change& c : plan.changes) {
    if (c.fix.path == LimitsFile().install_path) {
      ++installs_of_limits;
      EXPECT_EQ(c.before, "missing");
      EXPECT_EQ(c.settings, (std::vector<std::string>{"nofile (login of backup)"}));
    }
    if (c.fix.kind == Fix::Kind::kRemount) {
      EXPECT_EQ(c.fix.value, "noatime,nodiratime");
      EXPECT_EQ(RemountCommand(c),
                (std::vector<std::string>{"mount", "-o", "remount,noatime,nodiratime", "/"}));
    }
  }
  EXPECT_EQ(installs_of_limits, 1);
  ASSERT_EQ(plan.manual.size(), 1u);
  EXPECT_EQ(plan.manual[0].setting, "vm.overcommit_memory");
}

TEST(MakeChange, ApplyingThePlanLeavesNothingToApply) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  const AuditOptions options{.root = host.root(), .dir = "/", .user = "backup"};
  for (const Change& c : PlanApply(host.root(), AuditHost(options)).changes) {
    ASSERT_TRUE(MakeChange(host.root(), c).ok()) << c.fix.path;
  }
  EXPECT_EQ(host.Read("/proc/sys/vm/swappiness"), "10\n");
  EXPECT_EQ(host.Read("/sys/block/sda/queue/scheduler"), "mq-deadline\n");
  EXPECT_EQ(host.Read("/etc/sysctl.d/99-dbbackup.conf"), SysctlFile().text);
  EXPECT_NE(host.Read("/proc/self/mountinfo").find("rw,relatime,noatime,nodiratime"),
            std::string::npos);
  const ApplyPlan again = PlanApply(host.root(), AuditHost(options));
  EXPECT_TRUE(again.changes.empty());
  EXPECT_TRUE(again.manual.empty());
}

TEST(MakeChange, AWriteToAMissingSettingFailsNamingIt) {
  FixtureHost host;
  const Status st = MakeChange(
      host.root(), {.fix = {.kind = Fix::Kind::kWrite, .path = "/proc/sys/vm/x", .value = "1"}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "write /proc/sys/vm/x: No such file or directory");
}

}  // namespace
}  // namespace dbb::tune
