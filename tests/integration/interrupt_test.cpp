// SIGINT / SIGTERM in the middle of a backup (and of a restore): dbbackup stops promptly with
// 128 + signal, says "interrupted", leaves no manifest.json and no *.partial file, and closes its
// server sessions.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool HasEntries(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_directory(dir, ec) && !std::filesystem::is_empty(dir, ec);
}

class InterruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = PgServer::Shared();
    if (pg_ == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  }

  std::string SessionsLeft(const std::string& db) { return SessionsLeftAfterWait(*pg_, db); }

  void InterruptBackup(int sig) {
    const std::string db = TestDbName("big");
    DropAtEnd drop(*pg_, {db});
    CreateLargeDb(*pg_, db, 24);
    TempDir tmp;
    const std::string dir = tmp.file("b");
    std::vector<std::string> argv = {DbbBinary(), "backup", "single", db, "--dir", dir};
    for (const auto& a : pg_->ConnArgs()) argv.push_back(a);
    // zstd level 19 on one thread (a few MB/s whatever the machine): the copy lasts seconds.
    argv.insert(argv.end(), {"-j", "2", "--compress-engine", "zstd", "--compress-level", "19",
                             "--compress-threads", "1"});
    Subprocess p({.argv = argv});
    ASSERT_TRUE(p.started()) << p.start_error();

    // Signal once the data phase has begun (a file under data/), and a little after.
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!HasEntries(dir + "/data") && !p.Exited() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(p.Exited()) << "the backup ended before it could be interrupted: "
                             << p.Wait().Describe();
    ASSERT_TRUE(HasEntries(dir + "/data")) << "no data file after 30 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto signalled = Clock::now();
    p.Signal(sig);
    const ProcessResult r = p.Wait();
    const double seconds = std::chrono::duration<double>(Clock::now() - signalled).count();

    EXPECT_EQ(r.exit_code, 128 + sig) << r.Describe();
    EXPECT_EQ(r.term_signal, 0) << "killed by the signal instead of handling it";
    EXPECT_TRUE(ContainsNoCase(r.err, "interrupted")) << r.Describe();
    // Not a speed check (the machines are noisy): a stop that waits for the whole copy to end
    // instead of cancelling it would take minutes here.
    EXPECT_LT(seconds, 60.0) << "the stop did not cancel the running copy";
    EXPECT_FALSE(std::filesystem::exists(dir + "/manifest.json"));
    for (const auto& f : ListFiles(dir)) {
      EXPECT_EQ(f.find(".partial"), std::string::npos) << f << " left behind";
    }
    EXPECT_EQ(SessionsLeft(db), "0\n") << "sessions of the interrupted backup still connected";

    // What is left is not a backup.
    const std::string target = TestDbName("target");
    DropAtEnd drop_target(*pg_, {target});
    std::vector<std::string> restore = {"restore", "single", dir, "-d", target, "--create"};
    for (const auto& a : pg_->ConnArgs()) restore.push_back(a);
    ProcessResult rr = RunDbb(restore);
    EXPECT_EQ(rr.exit_code, 1) << rr.Describe();
  }

  PgServer* pg_ = nullptr;
};

TEST_F(InterruptTest, SigintMidBackup) { InterruptBackup(SIGINT); }

TEST_F(InterruptTest, SigtermMidBackup) { InterruptBackup(SIGTERM); }

// The restore refreshes a materialized view that sleeps (its source table says how long, set
// after it was populated): the signal arrives while the server runs that statement, which
// dbbackup must cancel rather than leave running.
TEST_F(InterruptTest, SigintMidRestoreCancelsTheServerStatement) {
  const std::string db = TestDbName("src");
  const std::string target = TestDbName("target");
  DropAtEnd drop(*pg_, {db, target});
  pg_->CreateDatabase(db);
  pg_->Psql(db,
            "CREATE TABLE t (id integer PRIMARY KEY, v text);\n"
            "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 10000) g;\n"
            "CREATE TABLE nap (seconds float8);\n"
            "INSERT INTO nap VALUES (0);\n"
            "CREATE MATERIALIZED VIEW slow AS SELECT seconds, pg_sleep(seconds)::text AS slept "
            "FROM nap;\n"
            "UPDATE nap SET seconds = 60;\n");
  TempDir tmp;
  const std::string dir = tmp.file("b");
  ASSERT_EQ(Backup(*pg_, db, dir).exit_code, 0);

  std::vector<std::string> argv = {DbbBinary(), "restore", "single", dir, "-d", target, "--create"};
  for (const auto& a : pg_->ConnArgs()) argv.push_back(a);
  Subprocess p({.argv = argv});
  ASSERT_TRUE(p.started()) << p.start_error();
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  bool sleeping = false;
  while (!sleeping && !p.Exited() && Clock::now() < deadline) {
    ProcessResult q =
        pg_->TryPsql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = " +
                                     QuoteLiteral(target) + " AND wait_event = 'PgSleep'");
    sleeping = q.exit_code == 0 && q.out != "0\n";
    if (!sleeping) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(p.Exited()) << "the restore ended before it could be interrupted: "
                           << p.Wait().Describe();
  ASSERT_TRUE(sleeping) << "the refresh of the sleeping view did not start within 30 s";
  p.Signal(SIGINT);
  const auto signalled = Clock::now();
  const ProcessResult r = p.Wait();
  const double seconds = std::chrono::duration<double>(Clock::now() - signalled).count();
  EXPECT_EQ(r.exit_code, 130) << r.Describe();
  EXPECT_EQ(r.term_signal, 0) << "killed by the signal instead of handling it";
  EXPECT_TRUE(ContainsNoCase(r.err, "interrupted")) << r.Describe();
  EXPECT_LT(seconds, 60.0) << "the stop did not cancel what was running";
  EXPECT_EQ(SessionsLeft(target), "0\n")
      << "the server still runs a statement of the interrupted restore";
  EXPECT_TRUE(std::filesystem::exists(dir + "/manifest.json")) << "restore changed the backup";
}

// A backup waiting for a table lock that another session holds stops on SIGINT at once.
TEST_F(InterruptTest, SigintWhileWaitingForATableLock) {
  const std::string db = TestDbName("src");
  DropAtEnd drop(*pg_, {db});
  pg_->CreateDatabase(db);
  pg_->Psql(db, "CREATE TABLE locked (id integer); INSERT INTO locked VALUES (1);");
  LockHolder holder(*pg_, db, "locked");
  ASSERT_TRUE(holder.ok());

  TempDir tmp;
  const std::string dir = tmp.file("b");
  const std::unique_ptr<Subprocess> backup = StartBackupBlockedOnLock(*pg_, db, dir);
  ASSERT_NE(backup, nullptr);
  Subprocess& p = *backup;
  p.Signal(SIGINT);
  const auto signalled = Clock::now();
  const ProcessResult r = p.Wait();
  const double seconds = std::chrono::duration<double>(Clock::now() - signalled).count();
  EXPECT_EQ(r.exit_code, 130) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "interrupted")) << r.Describe();
  EXPECT_LT(seconds, 60.0) << "the stop did not cancel what was running";
  EXPECT_FALSE(std::filesystem::exists(dir + "/manifest.json"));
  for (const auto& f : ListFiles(dir)) {
    EXPECT_EQ(f.find(".partial"), std::string::npos) << f << " left behind";
  }
  // Only the lock holder is left.
  std::string left;
  for (int i = 0; i < 100; ++i) {
    left = pg_->Psql("postgres",
                     "SELECT count(*) FROM pg_stat_activity WHERE datname = " + QuoteLiteral(db));
    if (left == "1\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(left, "1\n") << "sessions of the interrupted backup still connected";
}

}  // namespace
}  // namespace dbb::testing
