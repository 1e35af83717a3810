// A password given to dbbackup (in a URI, a conninfo string or PGPASSWORD) never appears in its
// output, in any file of the backup directory, or on the command line of a child process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

constexpr const char* kRole = "dbb_it_secret";
constexpr const char* kPassword = "S3cretPW-9f2c";

// The NUL-separated command line of every process whose parent is `parent`.
void CollectChildCommandLines(pid_t parent, std::set<std::string>* out) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = ReadWholeFile(entry.path().string() + "/stat");
    // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    char state = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid != parent) continue;
    std::string cmdline = ReadWholeFile(entry.path().string() + "/cmdline");
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (!cmdline.empty()) out->insert(cmdline);
  }
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = PgServer::Shared();
    if (pg_ == nullptr) GTEST_SKIP() << PgServer::SkipReason();
    pg_->Psql("postgres", std::string("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE "
                                      "rolname = '") +
                              kRole + "') THEN CREATE ROLE " + kRole +
                              " LOGIN SUPERUSER PASSWORD '" + kPassword + "'; END IF; END $$;");
  }

  std::string SmallDb(const std::string& tag) {
    const std::string db = TestDbName(tag);
    pg_->CreateDatabase(db);
    pg_->Psql(db,
              "CREATE TABLE t (id integer, v text);\n"
              "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
              "CREATE TABLE u (id integer);\n"
              "INSERT INTO u SELECT generate_series(1, 1000);\n");
    return db;
  }

  // Runs dbbackup, sampling its children's command lines while it runs.
  ProcessResult RunWatched(const std::vector<std::string>& args, const EnvList& env,
                           std::set<std::string>* children) {
    std::vector<std::string> argv = {DbbBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess p({.argv = argv, .env = env});
    if (!p.started()) return p.Wait();
    // A child between fork and exec still shows dbbackup's own command line: not a leak.
    std::string own;
    for (const auto& a : argv) own += a + " ";
    std::set<std::string> seen;
    while (!p.Exited()) {
      CollectChildCommandLines(p.pid(), &seen);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (const auto& c : seen) {
      if (c != own) children->insert(c);
    }
    return p.Wait();
  }

  void ExpectNoSecret(const std::string& secret, const std::string& dir, const ProcessResult& r,
                      const std::set<std::string>& children) {
    EXPECT_EQ(r.out.find(secret), std::string::npos) << "stdout:\n" << r.out;
    EXPECT_EQ(r.err.find(secret), std::string::npos) << "stderr:\n" << r.err;
    for (const auto& f : ListFiles(dir)) {
      EXPECT_EQ(ReadWholeFile(dir + "/" + f).find(secret), std::string::npos)
          << "the password is in " << f;
    }
    for (const auto& c : children) {
      EXPECT_EQ(c.find(secret), std::string::npos) << "a child's command line: " << c;
    }
    if (!dir.empty() && std::filesystem::exists(dir + "/manifest.json")) {
      for (const char* flag : {"", "--json"}) {
        std::vector<std::string> args = {"list", dir};
        if (*flag) args.push_back(flag);
        ProcessResult list = RunDbb(args);
        EXPECT_EQ(list.exit_code, 0) << list.Describe();
        EXPECT_EQ(list.out.find(secret), std::string::npos) << "list " << flag << ":\n" << list.out;
      }
    }
  }

  PgServer* pg_ = nullptr;
};

TEST_F(SecretsTest, PasswordInUriIsNeverWritten) {
  const std::string db = SmallDb("db");
  const std::string dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {db, dst});
  TempDir tmp;
  const std::string dir = tmp.file("b");
  const std::string uri = std::string("postgresql://") + kRole + ":" + kPassword +
                          "@127.0.0.1:" + std::to_string(pg_->port()) + "/" + db;
  std::set<std::string> children;
  ProcessResult r = RunWatched({"backup", "single", uri, "--dir", dir, "-j", "2"}, {}, &children);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ExpectNoSecret(kPassword, dir, r, children);
  const nlohmann::json m = ReadManifest(dir);
  ASSERT_TRUE(m.is_object());
  EXPECT_EQ(m.at("database"), db);

  // Restore over TCP with the password in PGPASSWORD; the copy matches.
  std::set<std::string> restore_children;
  ProcessResult rr = RunWatched({"restore", "single", dir, "-d", dst, "--create", "-h", "127.0.0.1",
                                 "-p", std::to_string(pg_->port()), "-U", kRole},
                                {{"PGPASSWORD", kPassword}}, &restore_children);
  ASSERT_EQ(rr.exit_code, 0) << rr.Describe();
  ExpectNoSecret(kPassword, "", rr, restore_children);
  ExpectSameEntries(TableFingerprints(*pg_, db), TableFingerprints(*pg_, dst), "table content");
}

TEST_F(SecretsTest, PasswordInConninfoIsNeverWritten) {
  const std::string db = SmallDb("db");
  DropAtEnd drop(*pg_, {db});
  TempDir tmp;
  const std::string dir = tmp.file("b");
  const std::string conninfo = std::string("host=127.0.0.1 port=") + std::to_string(pg_->port()) +
                               " user=" + kRole + " password=" + kPassword + " dbname=" + db;
  std::set<std::string> children;
  ProcessResult r = RunWatched({"backup", "single", conninfo, "--dir", dir}, {}, &children);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ExpectNoSecret(kPassword, dir, r, children);
}

TEST_F(SecretsTest, WrongPasswordIsNotEchoed) {
  const std::string db = SmallDb("db");
  DropAtEnd drop(*pg_, {db});
  TempDir tmp;
  const std::string dir = tmp.file("b");
  const std::string wrong = "WrongPW-77aa";
  const std::string uri = std::string("postgresql://") + kRole + ":" + wrong +
                          "@127.0.0.1:" + std::to_string(pg_->port()) + "/" + db;
  std::set<std::string> children;
  ProcessResult r = RunWatched({"backup", "single", uri, "--dir", dir}, {}, &children);
  EXPECT_EQ(r.exit_code, 6) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "authentication failed")) << r.Describe();
  ExpectNoSecret(wrong, dir, r, children);
}

// A target's password from the configuration file (mode 0600), and from a passfile it names.
TEST_F(SecretsTest, PasswordInConfigFileIsNeverWritten) {
  const std::string db = SmallDb("db");
  DropAtEnd drop(*pg_, {db});
  TempDir tmp;
  const std::string config = tmp.file("dbbackup.conf");
  const std::string passfile = tmp.file("pgpass");
  const std::string target = "[defaults]\nhost = 127.0.0.1\nport = " + std::to_string(pg_->port()) +
                             "\nusername = " + kRole + "\ndbname = " + db + "\n";
  std::ofstream(config) << target + "[t]\ndir = " + tmp.file("t") + "\npassword = " + kPassword +
                               "\n[p]\ndir = " + tmp.file("p") + "\npassfile = " + passfile + "\n";
  std::ofstream(passfile) << "127.0.0.1:*:*:" << kRole << ":" << kPassword << "\n";
  ::chmod(passfile.c_str(), 0600);

  // Others may read the file: refused, without a word of the password.
  ::chmod(config.c_str(), 0640);
  ProcessResult refused = RunDbb({"--config", config, "backup", "--target", "t"});
  EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
  EXPECT_NE(refused.err.find("holds a password (line 8) but its mode 0640 lets others read it"),
            std::string::npos)
      << refused.err;
  ExpectNoSecret(kPassword, "", refused, {});

  ::chmod(config.c_str(), 0600);
  for (const char* name : {"t", "p"}) {
    std::set<std::string> children;
    ProcessResult r =
        RunWatched({"-v", "--config", config, "backup", "--target", name}, {}, &children);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.Describe();
    ExpectNoSecret(kPassword, tmp.file(name) + "/latest", r, children);
  }
}

}  // namespace
}  // namespace dbb::testing
