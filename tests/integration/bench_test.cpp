// `dbbackup bench --dbname DB` against the test server: COPY BINARY is read with 1 and 2
// connections (--max-jobs 2) from the generated database's largest tables, -j is recommended from
// those rates, and every session is gone afterwards; an empty database and one whose table is
// held ACCESS EXCLUSIVE by another session are notes, not failures, and the other phases still
// run; a database that does not exist fails before anything is written (exit 6).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kExitCannotConnect = 6;

class BenchTest : public ServerTest {
 protected:
  // `bench --seconds 2 --json --dir DIR -d DB --max-jobs 2` with the server's connection flags.
  ProcessResult Bench(const std::string& dir, const std::string& db) {
    std::vector<std::string> args = {"bench", "--seconds",  "2", "--json", "--dir",
                                     dir,     "--max-jobs", "2", "-d",     db};
    for (const std::string& a : pg_->ConnArgs()) args.push_back(a);
    return RunDbb(args);
  }
};

bool HasNote(const json& j, const std::string& words) {
  for (const auto& note : j["notes"]) {
    if (note.get<std::string>().find(words) != std::string::npos) return true;
  }
  return false;
}

TEST_F(BenchTest, CopyIsMeasuredWithOneAndTwoConnections) {
  const std::string db = TestDbName("src");
  CreateGeneratedDb(*pg_, db, Volume::kSmall);
  DropAtEnd drop(*pg_, {db});
  TempDir tmp;
  const ProcessResult r = Bench(tmp.path(), db);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const json j = json::parse(r.out);
  ASSERT_EQ(j["copy"].size(), 2u) << r.out;
  EXPECT_EQ(j["copy"][0]["connections"], 1);
  EXPECT_EQ(j["copy"][1]["connections"], 2);
  for (const auto& row : j["copy"]) {
    EXPECT_GT(row["bytes"].get<uint64_t>(), 0u) << row;
    EXPECT_GT(row["mb_per_s"].get<double>(), 0) << row;
  }
  ASSERT_FALSE(j["copy_tables"].empty());
  EXPECT_GT(j["copy_tables"][0]["bytes"].get<uint64_t>(), 0u);
  EXPECT_NE(j["copy_source"].get<std::string>().find("database \"" + db + "\""), std::string::npos);
  const int jobs = j["recommended"]["jobs"].get<int>();
  EXPECT_TRUE(jobs == 1 || jobs == 2) << jobs;
  EXPECT_NE(j["recommended"]["reasons"]["jobs"].get<std::string>().find("COPY rate"),
            std::string::npos)
      << j["recommended"];
  EXPECT_FALSE(j["disk"].empty());
  EXPECT_FALSE(j["compression"].empty());
  EXPECT_TRUE(fs::is_empty(tmp.path()));
  EXPECT_EQ(SessionsLeftAfterWait(*pg_, db), "0\n");
}

TEST_F(BenchTest, ReportNamesTheTablesAndTheRates) {
  const std::string db = TestDbName("src");
  CreateGeneratedDb(*pg_, db, Volume::kSmall);
  DropAtEnd drop(*pg_, {db});
  TempDir tmp;
  std::vector<std::string> args = {"bench", "--seconds", "1",          "--dir", tmp.path(),
                                   "-d",    db,          "--max-jobs", "1"};
  for (const std::string& a : pg_->ConnArgs()) args.push_back(a);
  const ProcessResult r = RunDbb(args);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_NE(r.out.find("\ncopy: COPY BINARY from database \"" + db + "\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("  -j 1: the best COPY rate measured (1: "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("bench: copy: database \"" + db + "\""), std::string::npos) << r.err;
}

TEST_F(BenchTest, AnEmptyDatabaseHasNothingToRead) {
  const std::string db = TestDbName("empty");
  pg_->CreateDatabase(db);
  DropAtEnd drop(*pg_, {db});
  pg_->Psql(db, "CREATE TABLE nothing_here (id integer);");
  TempDir tmp;
  const ProcessResult r = Bench(tmp.path(), db);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const json j = json::parse(r.out);
  EXPECT_TRUE(j["copy"].empty());
  EXPECT_TRUE(j["copy_tables"].empty());
  EXPECT_TRUE(HasNote(j, "nothing to read: database \"" + db + "\"")) << j["notes"];
  EXPECT_NE(j["recommended"]["reasons"]["jobs"].get<std::string>().find("see the notes"),
            std::string::npos);
  EXPECT_FALSE(j["compression"].empty());
}

TEST_F(BenchTest, ALockedTableIsANoteNotAWait) {
  const std::string db = TestDbName("locked");
  pg_->CreateDatabase(db);
  DropAtEnd drop(*pg_, {db});
  pg_->Psql(db, "CREATE TABLE busy AS SELECT g AS id FROM generate_series(1, 1000) AS g;");
  LockHolder lock(*pg_, db, "busy");
  ASSERT_TRUE(lock.ok());
  TempDir tmp;
  const ProcessResult r = Bench(tmp.path(), db);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const json j = json::parse(r.out);
  EXPECT_TRUE(j["copy"].empty());
  EXPECT_TRUE(HasNote(j, "COPY not measured: another session holds a table locked")) << j["notes"];
}

TEST_F(BenchTest, AMissingDatabaseFailsBeforeWriting) {
  TempDir tmp;
  std::vector<std::string> args = {"bench", "--dir", tmp.path(), "-d",
                                   "no_such_database_for_bench"};
  for (const std::string& a : pg_->ConnArgs()) args.push_back(a);
  const ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, kExitCannotConnect) << r.Describe();
  EXPECT_NE(r.err.find("database \"no_such_database_for_bench\" does not exist"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("bench: disk:"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

}  // namespace
}  // namespace dbb::testing
