// Backups of a configured target (`backup --target NAME`): the settings' precedence (flag > env >
// config file > default) seen in what the backup recorded, the time-stamped directories, the
// `latest` link (moved only by a complete backup), and one run at a time per target.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

namespace fs = std::filesystem;

class TargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = PgServer::Shared();
    if (pg_ == nullptr) GTEST_SKIP() << PgServer::SkipReason();
    db_ = TestDbName("db");
    pg_->CreateDatabase(db_);
    pg_->Psql(db_,
              "CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v "
              "FROM generate_series(1, 5000) g;");
    series_ = tmp_.file("series");
  }
  void TearDown() override {
    if (pg_ != nullptr) pg_->DropDatabase(db_);
  }

  // A config file with target `t` (the test database, into series_) plus `extra` lines in it.
  std::string WriteConfig(const std::string& extra, const std::string& dbname = "") {
    const std::string path = tmp_.file("dbbackup.conf");
    std::ofstream(path) << "# test config\n[defaults]\njobs = 2\ncompress-engine = libdeflate\n\n"
                        << "[t]\nhost = " << pg_->socket_dir() << "\nport = " << pg_->port()
                        << "\nusername = postgres\ndbname = " << (dbname.empty() ? db_ : dbname)
                        << "\ndir = " << series_ << "\n"
                        << extra;
    return path;
  }

  ProcessResult RunTarget(const std::vector<std::string>& extra, const EnvList& env = {}) {
    std::vector<std::string> args = {"--config", tmp_.file("dbbackup.conf"), "backup", "--target",
                                     "t"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunDbb(args, env);
  }

  // The backups in series_ (not `latest`), oldest first.
  std::vector<std::string> Backups() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(series_)) {
      if (!e.is_symlink()) names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string Latest() const {
    std::error_code ec;
    return fs::read_symlink(series_ + "/latest", ec).string();
  }

  int LevelOf(const std::string& backup) {
    const nlohmann::json m = ReadManifest(series_ + "/" + backup);
    return m.is_object() ? m.at("compression").at("level").get<int>() : -1;
  }

  PgServer* pg_ = nullptr;
  TempDir tmp_;
  std::string db_;
  std::string series_;
};

TEST_F(TargetTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  WriteConfig("");
  // Default: libdeflate's level 6 (the engine comes from [defaults]).
  ProcessResult r = RunTarget({});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // The file.
  WriteConfig("compress-level = 9\n");
  r = RunTarget({});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // The environment over the file.
  r = RunTarget({}, {{"DBBACKUP_COMPRESS_LEVEL", "4"}});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // The flag over both.
  r = RunTarget({"--compress-level", "2"}, {{"DBBACKUP_COMPRESS_LEVEL", "4"}});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  const std::vector<std::string> backups = Backups();
  ASSERT_EQ(backups.size(), 4u);
  EXPECT_EQ(LevelOf(backups[0]), 6);
  EXPECT_EQ(LevelOf(backups[1]), 9);
  EXPECT_EQ(LevelOf(backups[2]), 4);
  EXPECT_EQ(LevelOf(backups[3]), 2);
  const nlohmann::json m = ReadManifest(series_ + "/" + backups[3]);
  EXPECT_EQ(m.at("compression").at("engine"), "libdeflate");
  EXPECT_EQ(m.at("database"), db_);
}

TEST_F(TargetTest, TimeStampedDirectoriesAndLatest) {
  WriteConfig("");
  ProcessResult first = RunTarget({});
  ASSERT_EQ(first.exit_code, 0) << first.Describe();
  ProcessResult second = RunTarget({});
  ASSERT_EQ(second.exit_code, 0) << second.Describe();
  const std::vector<std::string> backups = Backups();
  ASSERT_EQ(backups.size(), 2u);
  // 20261128T054016Z, and -2 when two runs start in the same second.
  EXPECT_TRUE(std::regex_match(backups[0], std::regex(R"(\d{8}T\d{6}Z(-\d+)?)"))) << backups[0];
  EXPECT_EQ(Latest(), backups[1]);
  EXPECT_NE(second.err.find(series_ + "/" + backups[1]), std::string::npos) << second.err;

  // A failed run (the database is gone) leaves latest where it was and no new backup.
  pg_->DropDatabase(db_);
  ProcessResult failed = RunTarget({});
  EXPECT_EQ(failed.exit_code, 6) << failed.Describe();
  EXPECT_EQ(Backups(), backups);
  EXPECT_EQ(Latest(), backups[1]);

  // latest restores like the directory it names.
  pg_->CreateDatabase(db_);
  const std::string copy = TestDbName("copy");
  DropAtEnd drop(*pg_, {copy});
  ProcessResult restore = Restore(*pg_, series_ + "/latest", copy, {"--create"});
  EXPECT_EQ(restore.exit_code, 0) << restore.Describe();
}

TEST_F(TargetTest, PruneTakesTheTargetsRetention) {
  const std::string config = WriteConfig("");
  ASSERT_EQ(RunTarget({}).exit_code, 0);
  ASSERT_EQ(RunTarget({}).exit_code, 0);
  ASSERT_EQ(RunTarget({}).exit_code, 0);
  // No retention in the target: a no-op, as the scheduled prune after each backup.
  ProcessResult none = RunDbb({"--config", config, "prune", "--target", "t"});
  EXPECT_EQ(none.exit_code, 0) << none.Describe();
  EXPECT_NE(none.err.find("target t sets neither keep-last nor keep-days"), std::string::npos)
      << none.err;
  EXPECT_EQ(Backups().size(), 3u);

  WriteConfig("keep-last = 2\n");
  ProcessResult dry = RunDbb({"--config", config, "prune", "--target", "t", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.Describe();
  EXPECT_EQ(Backups().size(), 3u);
  const std::vector<std::string> before = Backups();
  // The flag over the file.
  ProcessResult pruned = RunDbb({"--config", config, "prune", "--target", "t", "--keep-last", "1"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.Describe();
  EXPECT_EQ(Backups(), std::vector<std::string>{before[2]});
  EXPECT_EQ(Latest(), before[2]);
}

TEST_F(TargetTest, OneRunAtATimePerTarget) {
  WriteConfig("");
  fs::create_directories(series_);
  const int fd = ::open(series_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);  // as a running backup of the target holds it
  ProcessResult r = RunTarget({});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 7) << r.Describe();
  EXPECT_NE(r.err.find("a backup or prune of this target is running in " + series_),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(Backups().empty());

  // A `latest` that is not a link is refused before the backup, not after it.
  fs::create_directories(series_ + "/latest");
  r = RunTarget({});
  EXPECT_EQ(r.exit_code, 7) << r.Describe();
  EXPECT_NE(r.err.find(series_ + "/latest is not a symbolic link: move it away"), std::string::npos)
      << r.err;
}

TEST_F(TargetTest, ConfigErrorsNameTheFileAndLine) {
  const std::string path = WriteConfig("jbos = 4\n");
  ProcessResult r = RunTarget({});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find(path + ":12: unknown key jbos"), std::string::npos) << r.err;

  WriteConfig("compress-level = 99\n");
  r = RunTarget({});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("compression level 99 is out of range"), std::string::npos) << r.err;

  WriteConfig("kind = cluster\n");
  r = RunDbb({"--config", path, "backup", "single", "--target", "t"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("target t is a cluster target"), std::string::npos) << r.err;

  r = RunDbb({"--config", path, "backup", "--target", "nope"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("no target nope in " + path + " (targets there: t)"), std::string::npos)
      << r.err;

  r = RunDbb({"--config", tmp_.file("missing.conf"), "backup", "--target", "t"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("missing.conf does not exist"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(series_));
}

TEST_F(TargetTest, ClusterTarget) {
  WriteConfig("kind = cluster\nexclude-database = it_*\n", "postgres");
  ProcessResult r = RunTarget({});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::vector<std::string> backups = Backups();
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_TRUE(fs::exists(series_ + "/" + backups[0] + "/cluster.json"));
  EXPECT_EQ(Latest(), backups[0]);
}

}  // namespace
}  // namespace dbb::testing
