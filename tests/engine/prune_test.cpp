// Retention: the selection rules as a pure function over made-up entries, then on directories of
// synthetic backups (real sealed manifests, journals, mtimes set to chosen ages): what the scan
// finds, and that removal takes exactly what the plan deletes.
#include "engine/prune.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "common/utc_time.h"
#include "engine/cluster_backup.h"
#include "engine/cluster_manifest.h"
#include "engine/journal.h"
#include "support/synthetic_backups.h"
#include "support/test_util.h"

namespace dbb::engine {
namespace {

namespace fs = std::filesystem;
using dbb::testing::DaysAgo;
using dbb::testing::Entries;
using dbb::testing::MakeIncomplete;
using dbb::testing::MakeSingle;
using dbb::testing::Now;
using dbb::testing::SetTreeMtime;
using dbb::testing::TempDir;
using dbb::testing::WriteFile;

constexpr int64_t kNow = 1'795'759'200;  // 2026-11-27T06:00:00Z
constexpr int64_t kDay = 24 * 3600;

ScannedBackup Entry(const std::string& name, BackupState state, int64_t time_s) {
  return {.name = name, .path = "/b/" + name, .state = state, .time_s = time_s};
}
ScannedBackup Complete(const std::string& name, double days_ago) {
  return Entry(name, BackupState::kComplete, kNow - static_cast<int64_t>(days_ago * kDay));
}
ScannedBackup Partial(const std::string& name, double days_ago) {
  ScannedBackup b = Complete(name, days_ago);
  b.kind = BackupKind::kCluster;
  b.state = BackupState::kPartial;
  return b;
}
ScannedBackup Incomplete(const std::string& name, int64_t idle_s) {
  return Entry(name, BackupState::kIncomplete, kNow - idle_s);
}

RetentionPolicy KeepLast(int n) { return {.keep_last = n}; }
RetentionPolicy KeepDays(double days) { return {.keep_days = days}; }

struct Planned {
  BackupScan scan;
  std::vector<PruneDecision> plan;

  std::set<std::string> Deleted() const {
    std::set<std::string> out;
    for (size_t i = 0; i < plan.size(); ++i) {
      if (plan[i].remove) out.insert(scan.backups[i].name);
    }
    return out;
  }
  const PruneDecision& Of(const std::string& name) const {
    for (size_t i = 0; i < scan.backups.size(); ++i) {
      if (scan.backups[i].name == name) return plan[i];
    }
    throw std::runtime_error("no entry " + name);
  }
};

Planned Plan(std::vector<ScannedBackup> backups, const RetentionPolicy& policy,
             const std::string& latest = "", bool run_active = false) {
  Planned p{
      .scan = {
          .dir = "/b", .backups = std::move(backups), .latest = latest, .run_active = run_active}};
  p.plan = PlanPrune(p.scan, policy, kNow);
  EXPECT_EQ(p.plan.size(), p.scan.backups.size());
  return p;
}

std::vector<ScannedBackup> Daily(int count) {
  std::vector<ScannedBackup> out;
  for (int i = 1; i <= count; ++i) out.push_back(Complete("d" + std::to_string(i), i));
  return out;
}

TEST(PrunePlan, KeepLastKeepsTheNewestN) {
  const Planned p = Plan(Daily(10), KeepLast(3));
  EXPECT_EQ(p.Deleted(), (std::set<std::string>{"d4", "d5", "d6", "d7", "d8", "d9", "d10"}));
  EXPECT_EQ(p.Of("d1").reason, "newest complete backup: always kept");
  EXPECT_EQ(p.Of("d3").reason, "one of the newest 3");
  EXPECT_EQ(p.Of("d4").reason, "not one of the newest 3");
}

TEST(PrunePlan, KeepLastOneLeavesOnlyTheNewest) {
  const Planned p = Plan(Daily(6), KeepLast(1));
  EXPECT_EQ(p.Deleted(), (std::set<std::string>{"d2", "d3", "d4", "d5", "d6"}));
}

TEST(PrunePlan, KeepDaysKeepsTheYoungOnes) {
  const Planned p = Plan({Complete("a", 0.5), Complete("b", 3), Complete("c", 6.9),
                          Complete("d", 7.1), Complete("e", 20)},
                         KeepDays(7));
  EXPECT_EQ(p.Deleted(), (std::set<std::string>{"d", "e"}));
  EXPECT_EQ(p.Of("c").reason, "younger than 7 days");
  EXPECT_EQ(p.Of("e").reason, "older than 7 days");
}

TEST(PrunePlan, KeepDaysWithNothingYoungStillKeepsTheNewest) {
  const Planned p = Plan({Complete("old", 30), Complete("older", 40)}, KeepDays(7));
  EXPECT_EQ(p.Deleted(), (std::set<std::string>{"older"}));
  EXPECT_EQ(p.Of("old").reason, "newest complete backup: always kept");
  EXPECT_EQ(Plan({Complete("only", 400)}, KeepDays(0)).Deleted(), std::set<std::string>{});
}

TEST(PrunePlan, EitherRuleKeeps) {
  RetentionPolicy policy{.keep_last = 2, .keep_days = 7};
  const Planned p = Plan(
      {Complete("a", 1), Complete("b", 2), Complete("c", 3), Complete("d", 10), Complete("e", 20)},
      policy);
  EXPECT_EQ(p.Deleted(), (std::set<std::string>{"d", "e"}));
  EXPECT_EQ(p.Of("c").reason, "younger than 7 days");
  EXPECT_EQ(p.Of("d").reason, "not one of the newest 2, older than 7 days");
  EXPECT_EQ(Plan({Complete("x", 0.1), Complete("y", 0.2)}, KeepDays(1.5)).Of("y").reason,
            "younger than 1.5 days");
}

TEST(PrunePlan, WhatLatestPointsToIsKept) {
  const Planned p = Plan({Complete("new", 1), Complete("mid", 5), Complete("old", 9)}, KeepLast(1),
                         /*latest=*/"old");
  EXPECT_EQ(p.Deleted(), (std::set<std::string>{"mid"}));
  EXPECT_EQ(p.Of("old").reason, "pointed to by latest");
}

TEST(PrunePlan, PartialKeptWhenNotOlderThanTheOldestCompleteKept) {
  // Kept: c1 (1 day) and c3 (3 days); the oldest kept started 3 days ago.
  const Planned p =
      Plan({Complete("c1", 1), Complete("c3", 3), Complete("c5", 5), Partial("p-newest", 0.5),
            Partial("p2", 2), Partial("p3", 3), Partial("p4", 4)},
           KeepLast(2));
  EXPECT_EQ(p.Deleted(), (std::set<std::string>{"c5", "p4"}));
  EXPECT_EQ(p.Of("p2").reason, "partial, not older than the oldest complete backup kept");
  EXPECT_EQ(p.Of("p4").reason, "partial, older than the oldest complete backup kept");
  // A partial backup is never the "newest complete" one: it does not count for keep_last.
  EXPECT_EQ(Plan({Partial("p", 0.1), Complete("a", 1), Complete("b", 2)}, KeepLast(1)).Deleted(),
            (std::set<std::string>{"b"}));
}

TEST(PrunePlan, IncompleteKeptWithinTheGracePeriod) {
  const Planned p =
      Plan({Complete("c", 1), Incomplete("running", 180), Incomplete("stale", 2 * kDay),
            Incomplete("edge", kDay), Incomplete("future", -3600)},
           KeepLast(1));
  EXPECT_EQ(p.Deleted(), (std::set<std::string>{"stale", "edge"}));
  EXPECT_EQ(p.Of("running").reason, "incomplete, active 3 min ago: may be running (grace 24 h)");
  EXPECT_EQ(p.Of("stale").reason, "incomplete, idle for 2 days (grace 24 h): interrupted");
  EXPECT_FALSE(p.Of("future").remove);

  RetentionPolicy short_grace = KeepLast(1);
  short_grace.grace_s = 60;
  EXPECT_EQ(Plan({Complete("c", 1), Incomplete("i", 180)}, short_grace).Deleted(),
            (std::set<std::string>{"i"}));
}

TEST(PrunePlan, NoIncompleteDeletedWhileABackupRunHoldsTheLock) {
  const Planned p = Plan({Complete("c", 1), Incomplete("stale", 30 * kDay)}, KeepLast(1), "",
                         /*run_active=*/true);
  EXPECT_TRUE(p.Deleted().empty());
  EXPECT_EQ(p.Of("stale").reason, "incomplete, and a backup run holds the directory's lock");
}

TEST(PrunePlan, DamagedAndForeignEntriesAreNeverDeleted) {
  ScannedBackup damaged = Entry("damaged", BackupState::kDamaged, kNow - 100 * kDay);
  damaged.problem = "/b/damaged/manifest.json: checksum mismatch";
  ScannedBackup foreign = Entry("notes", BackupState::kNotABackup, kNow - 100 * kDay);
  foreign.problem = "no manifest.json, cluster.json or journal";
  const Planned p = Plan({Complete("c", 1), Complete("c2", 2), damaged, foreign}, KeepLast(1));
  EXPECT_EQ(p.Deleted(), (std::set<std::string>{"c2"}));
  EXPECT_EQ(p.Of("damaged").reason,
            "damaged: /b/damaged/manifest.json: checksum mismatch: never deleted");
  EXPECT_EQ(p.Of("notes").reason,
            "not a backup (no manifest.json, cluster.json or journal): never touched");
}

TEST(PrunePlan, WithoutAnyCompleteBackupNothingIsDeleted) {
  const Planned p = Plan({Partial("p", 50), Incomplete("i", 50 * kDay)}, KeepLast(1));
  EXPECT_TRUE(p.Deleted().empty());
  EXPECT_EQ(p.Of("i").reason, "no complete backup in the directory: nothing is deleted");
}

TEST(PrunePlan, TiesInStartedAtAreBrokenByName) {
  std::vector<ScannedBackup> same = {Complete("b", 2), Complete("c", 2), Complete("a", 2)};
  EXPECT_EQ(Plan(same, KeepLast(1)).Deleted(), (std::set<std::string>{"a", "b"}));
  std::reverse(same.begin(), same.end());
  EXPECT_EQ(Plan(same, KeepLast(2)).Deleted(), (std::set<std::string>{"a"}));
}

TEST(PruneTime, ParsesAndFormatsUtc) {
  EXPECT_EQ(ParseUtcTime("2026-11-27T06:00:00Z"), kNow);
  EXPECT_EQ(ParseUtcTime("2026-11-27T06:00:00.123456Z"), kNow);
  EXPECT_EQ(ParseUtcTime("1970-01-01T00:00:00Z"), 0);
  for (const char* bad : {"", "2026-11-27 06:00:00Z", "2026-11-27T06:00:00", "2026-13-01T00:00:00Z",
                          "2026-11-27T06:00:00+01:00", "2026-11-27T06:00:00.Z",
                          "+026-11-27T06:00:00Z", "2026-11-27T24:00:00Z"}) {
    EXPECT_FALSE(ParseUtcTime(bad)) << bad;
  }
  EXPECT_EQ(FormatUtcTime(kNow), "2026-11-27T06:00:00Z");
  EXPECT_EQ(FormatAge(45), "45 s");
  EXPECT_EQ(FormatAge(180), "3 min");
  EXPECT_EQ(FormatAge(5 * 3600), "5 h");
  EXPECT_EQ(FormatAge(kDay), "24 h");
  EXPECT_EQ(FormatAge(3 * kDay + 5), "3 days");
}

// --- Directories of synthetic backups --------------------------------------------------------

// A cluster backup in `dir` whose manifest started `days` ago; `partial`: one of its databases
// timed out.
void MakeCluster(const std::string& dir, double days, bool partial) {
  WriteFile(dir + "/" + kGlobalsName, "CREATE ROLE app;\n");
  ClusterManifest m;
  m.started_at = DaysAgo(days);
  m.finished_at = m.started_at;
  m.databases.push_back(
      {.name = "shop", .status = DatabaseStatus::kComplete, .dir = "databases/0001.shop"});
  if (partial) m.databases.push_back({.name = "slow", .status = DatabaseStatus::kTimedOut});
  ASSERT_TRUE(WriteClusterManifest(dir, m).ok());
}

const ScannedBackup& Find(const BackupScan& scan, const std::string& name) {
  for (const ScannedBackup& b : scan.backups) {
    if (b.name == name) return b;
  }
  throw std::runtime_error("no entry " + name);
}

TEST(PruneScan, ClassifiesEveryEntryByWhatItHolds) {
  TempDir tmp;
  const std::string d = tmp.path();
  MakeSingle(d + "/single", 2);
  MakeCluster(d + "/cluster", 3, /*partial=*/false);
  MakeCluster(d + "/partial", 4, /*partial=*/true);
  MakeIncomplete(d + "/inc-single", kJournalName, 600);
  MakeIncomplete(d + "/inc-cluster", kClusterJournalName, 7200);
  WriteFile(d + "/damaged/manifest.json", "{\"format_version\": 5, \"complete\": tr");
  WriteFile(d + "/photos/cat.jpg", "meow");
  WriteFile(d + "/prune.log", "a plain file: not listed");
  fs::create_directory_symlink("single", d + "/latest");

  auto scan = ScanBackups(d + "/");
  ASSERT_TRUE(scan.ok()) << scan.status().message();
  EXPECT_EQ(scan->dir, d);
  EXPECT_EQ(scan->latest, "single");
  EXPECT_FALSE(scan->run_active);
  std::vector<std::string> names;
  for (const ScannedBackup& b : scan->backups) names.push_back(b.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cluster", "damaged", "inc-cluster", "inc-single",
                                             "latest", "partial", "photos", "single"}));

  const ScannedBackup& single = Find(*scan, "single");
  EXPECT_EQ(single.state, BackupState::kComplete);
  EXPECT_EQ(single.kind, BackupKind::kSingle);
  EXPECT_EQ(single.path, d + "/single");
  EXPECT_EQ(ParseUtcTime(single.started_at), single.time_s);
  EXPECT_LE(std::abs(single.time_s - (Now() - 2 * kDay)), 5)
      << "the manifest's time, not the mtimes";
  EXPECT_GT(single.bytes, 1000u);
  EXPECT_EQ(Find(*scan, "cluster").state, BackupState::kComplete);
  EXPECT_EQ(Find(*scan, "cluster").kind, BackupKind::kCluster);
  EXPECT_EQ(Find(*scan, "partial").state, BackupState::kPartial);
  const ScannedBackup& inc = Find(*scan, "inc-single");
  EXPECT_EQ(inc.state, BackupState::kIncomplete);
  EXPECT_EQ(inc.kind, BackupKind::kSingle);
  EXPECT_LE(std::abs(inc.time_s - (Now() - 600)), 5) << "the last activity";
  EXPECT_EQ(inc.bytes, 500u + 15u);
  EXPECT_EQ(Find(*scan, "inc-cluster").kind, BackupKind::kCluster);
  EXPECT_EQ(Find(*scan, "damaged").state, BackupState::kDamaged);
  EXPECT_NE(Find(*scan, "damaged").problem.find("manifest.json"), std::string::npos);
  EXPECT_EQ(Find(*scan, "photos").state, BackupState::kNotABackup);
  EXPECT_EQ(Find(*scan, "latest").state, BackupState::kNotABackup);
  EXPECT_EQ(Find(*scan, "latest").problem, "a symbolic link");
}

TEST(PruneScan, TheLastActivityIsTheNewestMtimeAnywhereInTheTree) {
  TempDir tmp;
  MakeIncomplete(tmp.file("i"), kJournalName, 5 * kDay);
  const timespec recent[2] = {{.tv_sec = Now() - 60}, {.tv_sec = Now() - 60}};
  ASSERT_EQ(::utimensat(AT_FDCWD, tmp.file("i/data/00001.public.t.gz.partial").c_str(), recent, 0),
            0);
  auto scan = ScanBackups(tmp.path());
  ASSERT_TRUE(scan.ok());
  EXPECT_LE(std::abs(Find(*scan, "i").time_s - (Now() - 60)), 5);
}

TEST(PruneScan, RefusesABackupAndAMissingDirectory) {
  TempDir tmp;
  MakeSingle(tmp.path(), 1);
  auto scan = ScanBackups(tmp.path());
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(scan.status().code(), StatusCode::kRefused);
  EXPECT_EQ(scan.status().message(), tmp.path() +
                                         " is a backup itself (it holds manifest.json): give the "
                                         "directory that holds the backups");
  TempDir running;
  MakeIncomplete(running.path(), kClusterJournalName, 10);
  EXPECT_EQ(ScanBackups(running.path()).status().code(), StatusCode::kRefused);

  auto missing = ScanBackups(tmp.file("nope"));
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  EXPECT_EQ(missing.status().message(), tmp.file("nope") + ": No such file or directory");
}

TEST(PruneRemove, RemovesExactlyWhatThePlanDeletes) {
  TempDir tmp;
  const std::string d = tmp.path();
  for (int i = 1; i <= 5; ++i) MakeSingle(d + "/b" + std::to_string(i), i);
  MakeCluster(d + "/p35", 3.5, /*partial=*/true);  // newer than b4, the oldest kept: kept
  MakeCluster(d + "/p45", 4.5, /*partial=*/true);  // older than b4: deleted
  MakeIncomplete(d + "/stale", kJournalName, 3 * kDay);
  MakeIncomplete(d + "/running", kJournalName, 300);
  WriteFile(d + "/damaged/cluster.json", "{}");
  SetTreeMtime(d + "/damaged", Now() - 90 * kDay);
  WriteFile(d + "/other/readme.txt", "not a backup");
  fs::create_directory_symlink(d + "/b4", d + "/latest");  // an older one, by absolute path

  auto scan = ScanBackups(d);
  ASSERT_TRUE(scan.ok()) << scan.status().message();
  EXPECT_EQ(scan->latest, "b4");
  const std::vector<PruneDecision> plan = PlanPrune(*scan, KeepLast(2), Now());
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan[i].remove) {
      ASSERT_TRUE(RemoveBackup(scan->backups[i]).ok()) << scan->backups[i].name;
    }
  }
  EXPECT_EQ(Entries(d), (std::set<std::string>{"b1", "b2", "b4", "p35", "running", "damaged",
                                               "other", "latest"}));
  EXPECT_TRUE(fs::exists(d + "/latest/manifest.json"));
}

TEST(PruneRemove, TheManifestGoesFirst) {
  TempDir tmp;
  MakeSingle(tmp.file("s"), 3);
  MakeCluster(tmp.file("c"), 3, /*partial=*/false);
  auto scan = ScanBackups(tmp.path());
  ASSERT_TRUE(scan.ok());
  for (const ScannedBackup& b : scan->backups) ASSERT_TRUE(UnmarkBackup(b).ok()) << b.name;
  // Interrupted here: what is left is never taken for a complete backup, and a later prune
  // finishes it once it has been idle for the grace period.
  EXPECT_TRUE(fs::exists(tmp.file("s/data/00001.public.t.gz")));
  EXPECT_TRUE(fs::exists(tmp.file("c/globals.sql")));
  auto again = ScanBackups(tmp.path());
  ASSERT_TRUE(again.ok());
  for (const ScannedBackup& b : again->backups) {
    EXPECT_EQ(b.state, BackupState::kIncomplete) << b.name;
    EXPECT_EQ(b.problem, "a removal that was cut short") << b.name;
  }
  // (With a complete backup beside them: without one, prune deletes nothing.)
  MakeSingle(tmp.file("z"), 1);
  auto with_complete = ScanBackups(tmp.path());
  ASSERT_TRUE(with_complete.ok());
  const RetentionPolicy policy{.keep_last = 1, .keep_days = std::nullopt, .grace_s = 60};
  const int64_t later = again->backups[0].time_s + 3600;
  const std::vector<PruneDecision> plan = PlanPrune(*with_complete, policy, later);
  for (size_t i = 0; i < plan.size(); ++i) {
    const ScannedBackup& b = with_complete->backups[i];
    EXPECT_EQ(plan[i].remove, b.name != "z") << b.name << ": " << plan[i].reason;
    if (plan[i].remove) {
      ASSERT_TRUE(RemoveBackup(b).ok()) << b.name;
    }
  }
  EXPECT_FALSE(fs::exists(tmp.file("s")));
  EXPECT_FALSE(fs::exists(tmp.file("c")));
  EXPECT_TRUE(fs::exists(tmp.file("z")));
}

TEST(PruneScan, RefusesTheDatabasesOfAClusterBackup) {
  TempDir tmp;
  MakeCluster(tmp.file("c"), 3, /*partial=*/false);
  fs::create_directories(tmp.file("c/databases"));
  auto scan = ScanBackups(tmp.file("c/databases"));
  ASSERT_FALSE(scan.ok());
  EXPECT_NE(scan.status().message().find("is inside the cluster backup"), std::string::npos)
      << scan.status().message();
}

TEST(PruneRemove, NeverFollowsSymbolicLinksOutOfTheBackup) {
  TempDir tmp;
  TempDir outside;
  WriteFile(outside.file("precious/keep.txt"), std::string(100000, 'k'));
  MakeSingle(tmp.file("s"), 3);
  fs::create_directory_symlink(outside.file("precious"), tmp.file("s/link"));
  auto scan = ScanBackups(tmp.path());
  ASSERT_TRUE(scan.ok());
  EXPECT_LT(Find(*scan, "s").bytes, 10000u) << "the link's target is not counted";
  ASSERT_TRUE(RemoveBackup(Find(*scan, "s")).ok());
  EXPECT_FALSE(fs::exists(tmp.file("s")));
  EXPECT_TRUE(fs::exists(outside.file("precious/keep.txt")));
}

TEST(PruneRemove, AnIncompleteBackupActiveAgainIsKept) {
  TempDir tmp;
  MakeIncomplete(tmp.file("i"), kJournalName, 3 * kDay);
  auto scan = ScanBackups(tmp.path());
  ASSERT_TRUE(scan.ok());
  // A resumed run writes a file after the scan.
  WriteFile(tmp.file("i/data/00002.public.u.gz.partial"), "new");
  const Status st = RemoveBackup(Find(*scan, "i"));
  EXPECT_EQ(st.code(), StatusCode::kRefused) << st.message();
  EXPECT_NE(st.message().find("active again"), std::string::npos) << st.message();
  EXPECT_TRUE(fs::exists(tmp.file("i/backup.journal")));
}

}  // namespace
}  // namespace dbb::engine
