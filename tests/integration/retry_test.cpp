// Lost connections in the middle of a backup: a data connection ended by pg_terminate_backend
// mid-COPY is replaced and its file copied again under the same snapshot (the restored database
// equals the source); with retries used up, or none allowed, the backup fails naming the lost
// connection; a lost coordinator stops the backup because its snapshot is gone. Never a
// manifest.json after a failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

using Clock = std::chrono::steady_clock;

class RetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = PgServer::Shared();
    if (pg_ == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  }

  // A backup of `db` into `dir` that takes seconds: zstd level 19 on one thread (a few MB/s
  // whatever the machine) holds every COPY back; two connections; 8MB chunks unless `extra`
  // says otherwise.
  std::unique_ptr<Subprocess> StartSlowBackup(const std::string& db, const std::string& dir,
                                              const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {DbbBinary(), "backup", "single", db, "--dir", dir};
    for (const auto& a : pg_->ConnArgs()) argv.push_back(a);
    argv.insert(argv.end(), {"-j", "2", "--compress-engine", "zstd", "--compress-level", "19",
                             "--compress-threads", "1"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (std::find(extra.begin(), extra.end(), "--chunk-size") == extra.end()) {
      argv.insert(argv.end(), {"--chunk-size", "8MB"});
    }
    auto p = std::make_unique<Subprocess>(ProcessOptions{.argv = argv});
    EXPECT_TRUE(p->started()) << p->start_error();
    return p;
  }

  // The backup's sessions on `db` (dbbackup's own, not pg_dump's) matching `where`, one pid a
  // line.
  std::string BackupSessions(const std::string& db, const std::string& where) {
    ProcessResult r = pg_->TryPsql(
        "postgres", "SELECT pid FROM pg_stat_activity WHERE datname = " + QuoteLiteral(db) +
                        " AND application_name = 'dbbackup' AND " + where + " ORDER BY pid");
    return r.exit_code == 0 ? r.out : "";
  }
  std::string ActiveCopies(const std::string& db) {
    return BackupSessions(db, "state = 'active' AND query LIKE 'COPY%'");
  }

  // Polls `done` every 20 ms until it holds, the process ends or 60 s pass.
  bool WaitFor(Subprocess& p, const std::function<bool()>& done) {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline && !p.Exited()) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Terminates every session in `pids` (one a line); how many the server terminated.
  int Terminate(const std::string& pids) {
    int n = 0;
    for (const std::string& pid : Lines(pids)) {
      if (pid.empty()) continue;
      n += pg_->Psql("postgres", "SELECT pg_terminate_backend(" + pid + ")") == "t\n" ? 1 : 0;
    }
    return n;
  }

  std::string SessionsLeft(const std::string& db) { return SessionsLeftAfterWait(*pg_, db); }

  // What a failed backup leaves: no manifest, no partial file, no session.
  void ExpectFailedCleanly(const std::string& db, const std::string& dir) {
    EXPECT_FALSE(std::filesystem::exists(dir + "/manifest.json"));
    for (const auto& f : ListFiles(dir)) {
      EXPECT_EQ(f.find(".partial"), std::string::npos) << f << " left behind";
    }
    EXPECT_EQ(SessionsLeft(db), "0\n") << "sessions of the failed backup still connected";
  }

  // Terminates the backup's running COPYs as they appear, until it exits (at most 60 s).
  void TerminateCopiesUntilExit(Subprocess& p, const std::string& db) {
    int terminated = 0;
    WaitFor(p, [&] {
      terminated += Terminate(ActiveCopies(db));
      return false;
    });
    EXPECT_GT(terminated, 0) << "no COPY of the backup was seen running";
  }

  PgServer* pg_ = nullptr;
};

TEST_F(RetryTest, TerminatedDataConnectionIsReplacedAndItsChunkCopiedAgain) {
  const std::string db = TestDbName("src");
  const std::string target = TestDbName("target");
  DropAtEnd drop(*pg_, {db, target});
  CreateLargeDb(*pg_, db, 24);
  TempDir tmp;
  const std::string dir = tmp.file("b");
  auto p = StartSlowBackup(db, dir, {});
  ASSERT_TRUE(p->started());

  std::string copies;
  ASSERT_TRUE(WaitFor(*p, [&] { return !(copies = ActiveCopies(db)).empty(); }))
      << "no COPY of the backup seen running: " << p->Wait().Describe();
  // One of them: the other connection goes on undisturbed.
  ASSERT_EQ(Terminate(Lines(copies).front()), 1);
  const ProcessResult r = p->Wait();

  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "data connection lost while copying table \"app\".\"big\""))
      << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "reconnecting in 1 s (retry 1 of 3)")) << r.Describe();
  EXPECT_TRUE(std::filesystem::exists(dir + "/manifest.json"));
  // The summary and the manifest's metrics count it as an error recovered from.
  EXPECT_NE(r.out.find("1 error (see the warnings above)"), std::string::npos) << r.out;
  EXPECT_EQ(ReadManifest(dir)["metrics"]["errors"], 1);
  for (const auto& f : ListFiles(dir)) {
    EXPECT_EQ(f.find(".partial"), std::string::npos) << f << " left behind";
  }
  ASSERT_EQ(Restore(*pg_, dir, target, {"--create"}).exit_code, 0);
  ExpectSameDatabase(TakeSnapshot(*pg_, db), TakeSnapshot(*pg_, target));
}

TEST_F(RetryTest, WithoutRetriesALostDataConnectionFailsTheBackup) {
  const std::string db = TestDbName("src");
  DropAtEnd drop(*pg_, {db});
  CreateLargeDb(*pg_, db, 24);
  TempDir tmp;
  const std::string dir = tmp.file("b");
  auto p = StartSlowBackup(db, dir, {"--retries", "0"});
  ASSERT_TRUE(p->started());
  TerminateCopiesUntilExit(*p, db);
  const ProcessResult r = p->Wait();

  EXPECT_EQ(r.exit_code, 6) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "data connection lost while copying table \"app\".\"big\""))
      << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "not retried (--retries 0)")) << r.Describe();
  EXPECT_FALSE(ContainsNoCase(r.err, "reconnecting")) << r.Describe();
  ExpectFailedCleanly(db, dir);
}

TEST_F(RetryTest, RetriesUsedUpFailTheBackup) {
  const std::string db = TestDbName("src");
  DropAtEnd drop(*pg_, {db});
  CreateLargeDb(*pg_, db, 24);
  TempDir tmp;
  const std::string dir = tmp.file("b");
  auto p = StartSlowBackup(db, dir, {"--retries", "1"});
  ASSERT_TRUE(p->started());
  TerminateCopiesUntilExit(*p, db);
  const ProcessResult r = p->Wait();

  EXPECT_EQ(r.exit_code, 6) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "(retry 1 of 1)")) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "gave up after 1 retry (--retries 1)")) << r.Describe();
  ExpectFailedCleanly(db, dir);
}

TEST_F(RetryTest, LostCoordinatorStopsTheBackupBecauseTheSnapshotIsGone) {
  const std::string db = TestDbName("src");
  DropAtEnd drop(*pg_, {db});
  CreateLargeDb(*pg_, db, 24);
  TempDir tmp;
  const std::string dir = tmp.file("b");
  auto p = StartSlowBackup(db, dir, {});
  ASSERT_TRUE(p->started());

  // In the data phase, once pg_dump is done with the server (it imports the snapshot too, and
  // would fail first if it had not yet).
  ASSERT_TRUE(WaitFor(
      *p,
      [&] {
        std::error_code ec;
        const uintmax_t schema_bytes = std::filesystem::file_size(dir + "/schema.dump", ec);
        return !ActiveCopies(db).empty() && !ec && schema_bytes > 0 &&
               Trimmed(pg_->Psql(
                   "postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = " +
                                   QuoteLiteral(db) + " AND application_name = 'pg_dump'")) == "0";
      }))
      << "the data phase was not seen: " << p->Wait().Describe();
  // The coordinator connected first, and holds its snapshot idle in its transaction.
  const std::string coordinator = Trimmed(pg_->Psql(
      "postgres", "SELECT pid FROM pg_stat_activity WHERE datname = " + QuoteLiteral(db) +
                      " AND application_name = 'dbbackup' AND state = 'idle in transaction' "
                      "AND backend_start = (SELECT min(backend_start) FROM pg_stat_activity "
                      "WHERE datname = " +
                      QuoteLiteral(db) + " AND application_name = 'dbbackup')"));
  ASSERT_FALSE(coordinator.empty()) << "no coordinator session found";
  ASSERT_EQ(Terminate(coordinator), 1);
  const ProcessResult r = p->Wait();

  EXPECT_EQ(r.exit_code, 6) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "the coordinator connection was lost")) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "the snapshot it exported")) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "run the backup again")) << r.Describe();
  ExpectFailedCleanly(db, dir);
}

// External large objects: a unit redone after its connection was lost finds the contents it
// stored before in place; they are counted once, as stored, not as saved by deduplication.
TEST_F(RetryTest, LargeObjectUnitsAreRedoneWithExternalContentsCountedOnce) {
  const std::string db = TestDbName("src");
  const std::string target = TestDbName("target");
  DropAtEnd drop(*pg_, {db, target});
  pg_->CreateDatabase(db);
  // 48 objects of 300 KiB of hex text (over the small-object size: each goes through its own
  // compressed file), 24 distinct contents: object i and i + 24 hold the same. 4MB units: the
  // first three units store the 24 contents, the last three find them all.
  pg_->Psql(db,
            "SELECT count(lo_from_bytea(1000 + i, convert_to((SELECT string_agg(md5(((i % 24) * "
            "100000 + k)::text), '') FROM generate_series(1, 9600) k), 'UTF8'))) FROM "
            "generate_series(1, 48) i");
  const std::string want = pg_->Psql(
      db,
      "WITH c AS (SELECT lo_get(oid) AS b FROM pg_largeobject_metadata) SELECT count(DISTINCT "
      "b), (SELECT sum(length(b)) FROM c) - (SELECT sum(length(b)) FROM (SELECT DISTINCT b FROM "
      "c) d) FROM c");
  ASSERT_EQ(Lines(want).size(), 1u) << want;
  TempDir tmp;
  const std::string dir = tmp.file("b");
  auto p = StartSlowBackup(db, dir, {"--blob-mode", "external", "--chunk-size", "4MB"});
  ASSERT_TRUE(p->started());

  // Once a content is stored, both data connections are ended mid-unit.
  auto stored_contents = [&] {
    size_t n = 0;
    for (const auto& f : ListFiles(dir + "/blobs")) n += f.find("incoming") == std::string::npos;
    return n;
  };
  ASSERT_TRUE(WaitFor(*p, [&] { return stored_contents() > 0; }))
      << "no content stored: " << p->Wait().Describe();
  EXPECT_GT(Terminate(BackupSessions(db, "query LIKE '%lo_get(%'")), 0);
  const ProcessResult r = p->Wait();

  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "data connection lost while copying large objects"))
      << r.Describe();
  const nlohmann::json m = ReadManifest(dir);
  ASSERT_TRUE(m.is_object() && m.contains("large_objects"));
  const nlohmann::json& lo = m.at("large_objects");
  const std::vector<std::string> fields = [&] {
    std::string row = Lines(want)[0];
    std::replace(row.begin(), row.end(), '|', '\n');
    return Lines(row);
  }();
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(std::to_string(lo.value("distinct", uint64_t{0})), fields[0]);
  EXPECT_EQ(std::to_string(lo.value("saved_bytes", uint64_t{0})), fields[1]);
  uint64_t content_bytes = 0;
  for (const auto& f : ListFiles(dir + "/blobs")) {
    EXPECT_EQ(f.find("incoming"), std::string::npos) << f << " left behind";
    content_bytes += std::filesystem::file_size(dir + "/blobs/" + f);
  }
  EXPECT_EQ(std::to_string(stored_contents()), fields[0]);
  EXPECT_EQ(lo.value("content_stored_bytes", uint64_t{0}), content_bytes);

  ASSERT_EQ(Restore(*pg_, dir, target, {"--create"}).exit_code, 0);
  const std::string objects =
      "SELECT oid, md5(lo_get(oid)) FROM pg_largeobject_metadata ORDER BY oid";
  EXPECT_EQ(pg_->Psql(target, objects), pg_->Psql(db, objects));
}

}  // namespace
}  // namespace dbb::testing
