// `dbbackup tune` end to end against fixture roots: the table and the JSON, the exit codes, and
// --apply followed by --check; --dry-run writes nothing; a real --apply needs root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_util.h"
#include "tune/fixture_host.h"
#include "tune/recommended.h"

namespace dbb::app {
namespace {

using dbb::testing::CommandResult;
using dbb::testing::RunCommand;
using tune::testing::FixtureHost;

CommandResult Tune(const FixtureHost& host, const std::string& args) {
  return RunCommand(std::string(DBB_BINARY) + " tune --root " + host.root() + " --user backup " +
                    args + " 2>&1");
}

TEST(TuneCli, CheckOnADefaultHostPrintsEachRowAndExits4) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  const CommandResult r = Tune(host, "--check --dir /var/backups");
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("differs   vm.swappiness"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("optional  data=writeback"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("run `dbbackup tune --apply --dir /var/backups` as root"),
            std::string::npos)
      << r.output;
}

TEST(TuneCli, JsonRowsCarryStatusAndFix) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  const CommandResult r = RunCommand(std::string(DBB_BINARY) + " tune --root " + host.root() +
                                     " --user backup --check --json --dir /");
  EXPECT_EQ(r.exit_code, 4);
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["exit_code"], 4);
  EXPECT_EQ(j["dir"], "/");
  EXPECT_GT(j["differs"].get<int>(), 0);
  bool saw_scheduler = false;
  for (const auto& row : j["rows"]) {
    ASSERT_TRUE(row.contains("why"));
    if (row["setting"] == "sda scheduler") {
      saw_scheduler = true;
      EXPECT_EQ(row["status"], "differs");
      EXPECT_EQ(row["current"], "none");
      EXPECT_EQ(row["recommended"], "mq-deadline");
      EXPECT_EQ(row["fix"], "apply");
    }
    if (row["setting"] == "noatime") {
      EXPECT_EQ(row["fix"], "remount");
    }
    if (row["status"] == "ok") {
      EXPECT_TRUE(row["fix"].is_null());
    }
  }
  EXPECT_TRUE(saw_scheduler);
}

TEST(TuneCli, CouldNotCheckWithoutDeviationsExits1) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  ASSERT_EQ(Tune(host, "--apply --dir / --remount").exit_code, 0);
  host.Mount("/run/b", "0:60", "tmpfs", "tmpfs", "rw,noatime");
  const CommandResult r = Tune(host, "--check --dir /run/b");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("has no local block device to tune"), std::string::npos) << r.output;
}

TEST(TuneCli, ApplyThenCheckIsAllOkAndASecondApplyChangesNothing) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  CommandResult r = Tune(host, "--apply --dir /var/backups --remount");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("set /proc/sys/vm/swappiness: 60 -> 10"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("install /etc/sysctl.d/99-dbbackup.conf (new file"), std::string::npos);
  EXPECT_NE(r.output.find("run `mount -o remount,noatime,nodiratime /`"), std::string::npos);
  EXPECT_NE(r.output.find("now "), std::string::npos);
  EXPECT_EQ(host.Read("/etc/security/limits.d/dbbackup.conf"), tune::LimitsFile().text);
  EXPECT_EQ(host.Read("/etc/udev/rules.d/60-dbbackup.rules"), tune::UdevFile().text);

  r = Tune(host, "--check --dir /var/backups");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 differ, 0 could not be checked"), std::string::npos) << r.output;

  const std::string before = host.Snapshot();
  r = Tune(host, "--apply --dir /var/backups --remount");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("nothing to change"), std::string::npos) << r.output;
  EXPECT_EQ(host.Snapshot(), before);
}

TEST(TuneCli, ApplyWithoutRemountPrintsTheCommandAndLeavesTheMount) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  const CommandResult r = Tune(host, "--apply --dir /");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("to run yourself, or with --remount: `mount -o "
                          "remount,noatime,nodiratime /`"),
            std::string::npos)
      << r.output;
  EXPECT_NE(host.Read("/proc/self/mountinfo").find("rw,relatime shared"), std::string::npos);
  EXPECT_EQ(Tune(host, "--check --dir /").exit_code, 4);
}

TEST(TuneCli, DryRunShowsTheChangesAndWritesNothing) {
  FixtureHost host;
  FixtureHost::DefaultDebian(&host);
  host.Sysctl("vm.overcommit_memory", "1");
  const std::string before = host.Snapshot();
  const CommandResult r = Tune(host, "--apply --dry-run --dir / --remount");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("tune --apply would make these changes"), std::string::npos);
  EXPECT_NE(r.output.find("    | vm.swappiness = 10"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("set /sys/block/sda/queue/scheduler: none -> mq-deadline"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("left for you: vm.overcommit_memory (1)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("dry run: nothing was changed"), std::string::npos);
  EXPECT_EQ(host.Snapshot(), before);
}

TEST(TuneCli, DryRunAndRemountNeedApply) {
  FixtureHost host;
  EXPECT_EQ(Tune(host, "--check --dry-run").exit_code, 2);
  EXPECT_EQ(Tune(host, "--check --remount").exit_code, 2);
}

// The real host, read-only: --check works for anyone, --apply needs root.
TEST(TuneCli, ApplyOnTheRealHostNeedsRoot) {
  std::string prefix;
  dbb::testing::TempDir bin;
  if (::geteuid() == 0) {
    if (!dbb::testing::HaveProgram("setpriv")) GTEST_SKIP() << "setpriv (util-linux) is missing";
    // A copy that user nobody can reach (the build tree may sit under a private home).
    std::filesystem::copy_file(DBB_BINARY, bin.file("dbbackup"));
    std::filesystem::permissions(
        bin.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                        std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                        std::filesystem::perms::others_exec);
    prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups " + bin.file("dbbackup");
  } else {
    prefix = DBB_BINARY;
  }
  CommandResult r = RunCommand("cd / && " + prefix + " tune --apply 2>&1");
  if (r.exit_code == 0) {  // a host that needs nothing
    EXPECT_NE(r.output.find("nothing to change"), std::string::npos) << r.output;
  } else {
    EXPECT_EQ(r.exit_code, 7) << r.output;
    EXPECT_NE(r.output.find("changing system settings needs root"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("Nothing was changed"), std::string::npos) << r.output;
  }
  r = RunCommand("cd / && " + prefix + " tune --apply --dry-run 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = RunCommand("cd / && " + prefix + " tune --check --json");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 4) << r.output;
  EXPECT_TRUE(nlohmann::json::accept(r.output)) << r.output;
}

}  // namespace
}  // namespace dbb::app
