// The settings layer on a small command line shaped like dbbackup's: flag > DBBACKUP_* > the
// target's section > [defaults] > built-in default, the configuration file's errors, and
// `backup --target NAME` finding its subcommand.
#include "app/settings.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>

#include "support/test_util.h"

namespace dbb::app {
namespace {

using dbb::testing::TempDir;

struct Cli {
  CLI::App app{"test", "dbbackup"};
  CLI::App* single = nullptr;
  int jobs = 2;
  std::string engine = "isal";
  bool force = false;
  std::string target;
  std::vector<std::string> excluded;
  int keep_last = 0;
  pg::ConnParams conn;

  Cli() {
    AddConfigFlag(app);
    CLI::App* backup = app.add_subcommand("backup");
    single = backup->add_subcommand("single");
    single->add_option("-j,--jobs", jobs)->check(CLI::Range(1, 256));
    single->add_option("--compress-engine", engine);
    single->add_flag("--force", force);
    AddTargetFlag(single, &target);
    CLI::App* cluster = backup->add_subcommand("cluster");
    cluster->add_option("--exclude-database", excluded);
    CLI::App* prune = app.add_subcommand("prune");
    prune->add_option("--keep-last", keep_last)->check(CLI::Range(1, 100));
    BindEnvironment(app);
  }

  // Parses `args` (after the program name) and applies the target; the error message or "".
  std::string Run(std::vector<std::string> args) {
    args.insert(args.begin(), "dbbackup");
    args = InsertTargetKind(args, app);
    std::reverse(args.begin(), args.end());
    args.pop_back();
    app.parse(args);
    auto applied = ApplyTarget(target, single, &conn);
    return applied.ok() ? "" : applied.status().message();
  }
};

class SettingsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    ::unsetenv("DBBACKUP_JOBS");
    ::unsetenv("DBBACKUP_FORCE");
  }
  std::string Config(const std::string& text) {
    const std::string path = tmp_.file("dbbackup.conf");
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
    return path;
  }
  TempDir tmp_;
};

TEST_F(SettingsTest, EnvironmentNames) {
  EXPECT_EQ(EnvNameOf("compress-engine"), "DBBACKUP_COMPRESS_ENGINE");
  EXPECT_EQ(EnvNameOf("jobs"), "DBBACKUP_JOBS");
}

TEST_F(SettingsTest, Precedence) {
  const std::string path = Config(
      "[defaults]\njobs = 3\ncompress-engine = zstd  # why\n[t]\njobs = 4 ; more\n"
      "force = true\n");
  {
    Cli cli;  // the target's section over [defaults]; [defaults] over the built-in default
    EXPECT_EQ(cli.Run({"--config", path, "backup", "single", "--target", "t"}), "");
    EXPECT_EQ(cli.jobs, 4);
    EXPECT_EQ(cli.engine, "zstd");
    EXPECT_TRUE(cli.force);
  }
  ::setenv("DBBACKUP_JOBS", "5", 1);
  {
    Cli cli;  // the environment over the file
    EXPECT_EQ(cli.Run({"--config", path, "backup", "single", "--target", "t"}), "");
    EXPECT_EQ(cli.jobs, 5);
  }
  {
    Cli cli;  // the flag over the environment
    EXPECT_EQ(cli.Run({"--config", path, "backup", "single", "--target", "t", "-j", "6"}), "");
    EXPECT_EQ(cli.jobs, 6);
  }
  {
    Cli cli;  // without a target, the file is not read
    EXPECT_EQ(cli.Run({"backup", "single"}), "");
    EXPECT_EQ(cli.jobs, 5);
    EXPECT_EQ(cli.engine, "isal");
  }
}

// A variable is read for the command that runs only: one that another command's option would
// refuse changes nothing here.
TEST_F(SettingsTest, EnvironmentOfAnotherCommandIsNotRead) {
  ::setenv("DBBACKUP_KEEP_LAST", "0", 1);
  Cli cli;
  EXPECT_EQ(cli.Run({"backup", "single"}), "");
  EXPECT_EQ(cli.keep_last, 0);
  ::unsetenv("DBBACKUP_KEEP_LAST");
}

TEST_F(SettingsTest, BackupWithoutSubcommandTakesTheTargetsKind) {
  const std::string path = Config("[s]\njobs = 3\n[c]\nkind = cluster\n");
  Cli cli;
  EXPECT_EQ(
      InsertTargetKind({"dbbackup", "-v", "--config", path, "backup", "--target", "c"}, cli.app)[5],
      "cluster");
  EXPECT_EQ(InsertTargetKind({"dbbackup", "backup", "--target=s", "--config=" + path}, cli.app)[2],
            "single");
  // Already there, or no target: unchanged.
  const std::vector<std::string> given = {"dbbackup", "backup", "cluster", "--target", "s"};
  EXPECT_EQ(InsertTargetKind(given, cli.app), given);
  const std::vector<std::string> none = {"dbbackup", "backup", "--dir", "x"};
  EXPECT_EQ(InsertTargetKind(none, cli.app), none);
}

TEST_F(SettingsTest, FileErrorsNameTheLine) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"jobs = 3\n[t]\n", ":1: jobs outside a section"},
      {"[t]\njobs\n", ":2: expected KEY = VALUE"},
      {"[t\n", ":1: a section is [defaults] or [NAME]"},
      {"[t]\n[t]\n", ":2: [t] again (first at line 1)"},
      {"[t]\njobs = 3\njobs = 4\n", ":3: jobs again (first at "},
      {"[t]\njobs = 0\n", ":2: jobs: --jobs: Value 0 not in range 1 to 256"},
      {"[t]\nkind = database\n", ":2: kind = database: use single"},
      {"[t]\nnope = 1\n", ":2: unknown key nope"},
      {"[u]\n", "no target t in "},
  };
  for (const Case& c : cases) {
    Cli cli;
    const std::string path = Config(c.text);
    const std::string error = cli.Run({"--config", path, "backup", "single", "--target", "t"});
    EXPECT_NE(error.find(c.error), std::string::npos) << c.text << " gave: " << error;
  }
}

TEST_F(SettingsTest, ListsAndOtherCommandsKeys) {
  // exclude-database (a list, backup cluster's) and keep-last (prune's) are known keys that
  // backup single leaves alone.
  const std::string path = Config(
      "[c]\nkind = cluster\nexclude-database = a\nexclude-database = b\nkeep-last = 3\n"
      "[s]\nexclude-database = a\nkeep-last = 3\n");
  Cli cli;
  EXPECT_EQ(cli.Run({"--config", path, "backup", "single", "--target", "s"}), "");
  EXPECT_TRUE(cli.excluded.empty());
  CLI::App* cluster = cli.app.get_subcommand("backup")->get_subcommand("cluster");
  ASSERT_TRUE(ApplyTarget("c", cluster).ok());
  EXPECT_EQ(cli.excluded, (std::vector<std::string>{"a", "b"}));
}

TEST_F(SettingsTest, PasswordOnlyInAPrivateFile) {
  const std::string path = Config("[t]\npassword = \"Secret-1 #x\"\npassfile = /etc/x.pgpass\n");
  {
    Cli cli;
    EXPECT_EQ(cli.Run({"--config", path, "backup", "single", "--target", "t"}), "");
    EXPECT_EQ(cli.conn.password, "Secret-1 #x");
    EXPECT_EQ(cli.conn.passfile, "/etc/x.pgpass");
  }
  ::chmod(path.c_str(), 0640);
  Cli cli;
  const std::string error = cli.Run({"--config", path, "backup", "single", "--target", "t"});
  EXPECT_NE(error.find("holds a password (line 2) but its mode 0640 lets others read it: chmod "
                       "600"),
            std::string::npos)
      << error;
  EXPECT_EQ(error.find("Secret-1"), std::string::npos);
  EXPECT_TRUE(cli.conn.password.empty());
}

}  // namespace
}  // namespace dbb::app
