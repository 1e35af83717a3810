// `dbbackup prune` end to end on a directory of synthetic backups: --dry-run lists what a real run
// then deletes, and deletes nothing; --json is one JSON object; usage errors exit 2, a DIR that is
// a backup itself 7.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "engine/journal.h"
#include "support/synthetic_backups.h"
#include "support/test_util.h"

namespace dbb::app {
namespace {

namespace fs = std::filesystem;
using dbb::testing::CommandResult;
using dbb::testing::Entries;
using dbb::testing::MakeIncomplete;
using dbb::testing::MakeSingle;
using dbb::testing::RunCommand;
using dbb::testing::TempDir;
using dbb::testing::WriteFile;

constexpr int64_t kDay = 24 * 3600;

CommandResult Prune(const std::string& args) {
  return RunCommand(std::string(DBB_BINARY) + " prune " + args + " 2>&1");
}

// b1..b4 complete (1 to 4 days old), an interrupted backup idle for 3 days, one written to 5
// minutes ago, and a directory that is not a backup.
void MakeBackups(const std::string& d) {
  for (int i = 1; i <= 4; ++i) MakeSingle(d + "/b" + std::to_string(i), i);
  MakeIncomplete(d + "/stale", engine::kJournalName, 3 * kDay);
  MakeIncomplete(d + "/running", engine::kJournalName, 300);
  WriteFile(d + "/notes/todo.txt", "not a backup");
}

bool Has(const std::string& output, const std::string& text) {
  return output.find(text) != std::string::npos;
}

const std::set<std::string> kAll = {"b1", "b2", "b3", "b4", "stale", "running", "notes"};

TEST(PruneCli, DryRunListsWhatItWouldDeleteAndDeletesNothing) {
  TempDir tmp;
  MakeBackups(tmp.path());
  const CommandResult r = Prune("--dir " + tmp.path() + " --keep-last 2 --dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Entries(tmp.path()), kAll);
  for (const char* name : {"b3 ", "b4 ", "stale "}) {
    EXPECT_TRUE(Has(r.output, std::string("  ") + name)) << name << "\n" << r.output;
  }
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 2 + 7 + 1) << r.output;
  EXPECT_TRUE(Has(r.output, "would delete 3 backups")) << r.output;
  EXPECT_TRUE(Has(r.output, "newest complete backup: always kept")) << r.output;
  EXPECT_TRUE(Has(r.output, "may be running (grace 24 h)")) << r.output;
  EXPECT_FALSE(Has(r.output, "DELETED")) << r.output;
}

TEST(PruneCli, RealRunDeletesExactlyWhatTheDryRunListed) {
  TempDir tmp;
  MakeBackups(tmp.path());
  const CommandResult dry = Prune("--dir " + tmp.path() + " --keep-days 2.5 --dry-run --json");
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  std::set<std::string> listed;
  const nlohmann::json plan = nlohmann::json::parse(dry.output);
  for (const auto& b : plan["backups"]) {
    if (b["delete"].get<bool>()) listed.insert(b["name"].get<std::string>());
  }
  EXPECT_EQ(listed, (std::set<std::string>{"b3", "b4", "stale"})) << dry.output;

  const CommandResult r = Prune("--dir " + tmp.path() + " --keep-days 2.5");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Entries(tmp.path()), (std::set<std::string>{"b1", "b2", "running", "notes"}));
  EXPECT_TRUE(Has(r.output, "deleted 3 backups, ")) << r.output;
  EXPECT_TRUE(Has(r.output, " freed")) << r.output;

  const CommandResult again = Prune("--dir " + tmp.path() + " --keep-days 2.5");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(Has(again.output, "nothing to delete")) << again.output;
}

TEST(PruneCli, JsonHoldsEveryDecision) {
  TempDir tmp;
  MakeBackups(tmp.path());
  fs::create_directory_symlink("b4", tmp.file("latest"));
  const CommandResult r = Prune("--dir " + tmp.path() + " --keep-last 2 --grace 30min --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["dir"], tmp.path());
  EXPECT_EQ(j["dry_run"], false);
  EXPECT_EQ(j["policy"]["keep_last"], 2);
  EXPECT_TRUE(j["policy"]["keep_days"].is_null());
  EXPECT_EQ(j["policy"]["grace_s"], 1800);
  EXPECT_EQ(j["latest"], "b4");
  ASSERT_EQ(j["backups"].size(), 8u);
  for (const auto& b : j["backups"]) {
    const std::string name = b["name"];
    EXPECT_EQ(b["deleted"], name == "b3" || name == "stale") << name;
    if (name == "b4") {
      EXPECT_EQ(b["reason"], "pointed to by latest");
    } else if (name == "notes") {
      EXPECT_TRUE(b["kind"].is_null());
    } else if (name == "b1") {
      EXPECT_EQ(b["state"], "complete");
    }
  }
  EXPECT_EQ(j["summary"]["deleted"], 2);
  EXPECT_EQ(j["summary"]["failed"], 0);
  EXPECT_GT(j["summary"]["freed_bytes"].get<uint64_t>(), 1000u);
  EXPECT_EQ(Entries(tmp.path()),
            (std::set<std::string>{"b1", "b2", "b4", "running", "notes", "latest"}));
}

TEST(PruneCli, UsageErrorsChangeNothing) {
  TempDir tmp;
  MakeBackups(tmp.path());
  const std::string dir = " --dir " + tmp.path();
  const struct {
    std::string args;
    std::string message;
  } cases[] = {
      {dir, "give --keep-last N"},
      {dir + " --keep-last 0", "--keep-last 0: the newest complete backup is always kept; use 1"},
      {dir + " --keep-last two", "--keep-last two: give a whole number"},
      {dir + " --keep-days -1", "--keep-days -1: give a number of days"},
      {dir + " --keep-last 1 --grace soon", "--grace: "},
      {dir + " --keep-last 1 --grace 10s", "--grace 10s: use 1min or more"},
      {"--keep-last 1", "dbbackup prune: give --dir DIR (or --target NAME)"},
  };
  for (const auto& c : cases) {
    const CommandResult r = Prune(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_TRUE(Has(r.output, c.message)) << c.args << "\n" << r.output;
  }
  EXPECT_EQ(Entries(tmp.path()), kAll);
}

TEST(PruneCli, ABackupAsDirIsRefusedAndAMissingOneFails) {
  TempDir tmp;
  MakeSingle(tmp.path(), 1);
  const CommandResult r = Prune("--dir " + tmp.path() + " --keep-last 1");
  EXPECT_EQ(r.exit_code, 7) << r.output;
  EXPECT_TRUE(Has(r.output, "give the directory that holds the backups")) << r.output;
  EXPECT_TRUE(fs::exists(tmp.file("manifest.json")));

  const CommandResult missing = Prune("--dir " + tmp.file("nope") + " --keep-last 1");
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_TRUE(
      Has(missing.output, "dbbackup prune: " + tmp.file("nope") + ": No such file or directory"))
      << missing.output;
}

}  // namespace
}  // namespace dbb::app
