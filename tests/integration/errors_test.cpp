// Error paths of the dbbackup executable: each asserts the exit code (app/exit_codes.h) and the
// key words of the message, and that nothing was left behind or changed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitCannotConnect = 6;
constexpr int kExitRefused = 7;

class ErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg_ = PgServer::Shared();
    if (pg_ == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  }

  // A small database with a table, a sequence and a view.
  std::string SmallDb(const std::string& tag) {
    const std::string db = TestDbName(tag);
    pg_->CreateDatabase(db);
    pg_->Psql(db,
              "CREATE TABLE t (id integer PRIMARY KEY, v text);\n"
              "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n"
              "CREATE SEQUENCE s;\n"
              "CREATE VIEW w AS SELECT id FROM t;\n");
    return db;
  }

  PgServer* pg_ = nullptr;
};

void ExpectMessage(const ProcessResult& r, const std::string& words) {
  EXPECT_TRUE(ContainsNoCase(r.err, words))
      << "expected \"" << words << "\" in stderr; got " << r.Describe();
}

TEST_F(ErrorsTest, UnreachableServerCannotConnect) {
  TempDir tmp;
  const int port = FreeTcpPort();  // nothing listens on it
  ASSERT_GT(port, 1) << "no free port";
  ProcessResult r = RunDbb({"backup", "single", "postgres", "--dir", tmp.file("b"), "-h",
                            "127.0.0.1", "-p", std::to_string(port), "-U", "postgres"});
  EXPECT_EQ(r.exit_code, kExitCannotConnect) << r.Describe();
  ExpectMessage(r, "cannot connect");
  EXPECT_FALSE(std::filesystem::exists(tmp.file("b/manifest.json")));

  // A socket directory with no server in it.
  ProcessResult s = RunDbb({"backup", "single", "postgres", "--dir", tmp.file("c"), "-h",
                            tmp.path(), "-p", "5432", "-U", "postgres"});
  EXPECT_EQ(s.exit_code, kExitCannotConnect) << s.Describe();
  ExpectMessage(s, "cannot connect");

  ProcessResult t = RunDbb({"restore", "single", tmp.file("b"), "-d", "x", "--create", "-h",
                            "127.0.0.1", "-p", std::to_string(port), "-U", "postgres"});
  // Either the missing backup or the server is reported first; both are errors, never 0.
  EXPECT_NE(t.exit_code, 0) << t.Describe();
}

TEST_F(ErrorsTest, WrongPasswordAuthenticationFailed) {
  const std::string db = SmallDb("db");
  DropAtEnd drop(*pg_, {db});
  pg_->Psql("postgres",
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dbb_it_pw') THEN "
            "CREATE ROLE dbb_it_pw LOGIN SUPERUSER PASSWORD 'right-password'; END IF; END $$;");
  TempDir tmp;
  const std::vector<std::string> tcp = {"-h", "127.0.0.1", "-p", std::to_string(pg_->port()),
                                        "-U", "dbb_it_pw"};
  std::vector<std::string> args = {"backup", "single", db, "--dir", tmp.file("b")};
  args.insert(args.end(), tcp.begin(), tcp.end());
  ProcessResult r = RunDbb(args, {{"PGPASSWORD", "wrong-password"}});
  EXPECT_EQ(r.exit_code, kExitCannotConnect) << r.Describe();
  ExpectMessage(r, "authentication failed");
  EXPECT_FALSE(std::filesystem::exists(tmp.file("b/manifest.json")));

  // No password at all (and no terminal to ask on): the same category.
  ProcessResult n = RunDbb(args);
  EXPECT_EQ(n.exit_code, kExitCannotConnect) << n.Describe();

  // The right one works over the same path.
  ProcessResult ok = RunDbb(args, {{"PGPASSWORD", "right-password"}});
  EXPECT_EQ(ok.exit_code, 0) << ok.Describe();
}

TEST_F(ErrorsTest, MissingDatabaseDoesNotExist) {
  TempDir tmp;
  const std::string missing = TestDbName("missing");
  std::vector<std::string> args = {"backup", "single", missing, "--dir", tmp.file("b")};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, kExitCannotConnect) << r.Describe();
  ExpectMessage(r, "does not exist");
  EXPECT_FALSE(std::filesystem::exists(tmp.file("b/manifest.json")));
}

TEST_F(ErrorsTest, RestoreIntoMissingDatabaseWithoutCreate) {
  const std::string db = SmallDb("db");
  const std::string missing = TestDbName("missing");
  DropAtEnd drop(*pg_, {db, missing});
  TempDir tmp;
  ASSERT_EQ(Backup(*pg_, db, tmp.file("b")).exit_code, 0);
  std::vector<std::string> args = {"restore", "single", tmp.file("b"), "-d", missing};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, kExitCannotConnect) << r.Describe();
  ExpectMessage(r, "does not exist");
}

TEST_F(ErrorsTest, BackupDirNotEmpty) {
  const std::string db = SmallDb("db");
  DropAtEnd drop(*pg_, {db});
  TempDir tmp;
  const std::string dir = tmp.file("b");
  std::filesystem::create_directory(dir);
  { std::ofstream(dir + "/keep.txt") << "precious"; }
  std::vector<std::string> args = {"backup", "single", db, "--dir", dir};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, kExitRefused) << r.Describe();
  ExpectMessage(r, "not empty");
  EXPECT_EQ(ListFiles(dir), std::vector<std::string>{"keep.txt"});
  EXPECT_EQ(ReadWholeFile(dir + "/keep.txt"), "precious");

  // A previous complete backup is not overwritten either.
  const std::string full = tmp.file("full");
  ASSERT_EQ(Backup(*pg_, db, full).exit_code, 0);
  const std::string manifest = ReadWholeFile(full + "/manifest.json");
  args[4] = full;
  ProcessResult again = RunDbb(args);
  EXPECT_EQ(again.exit_code, kExitRefused) << again.Describe();
  ExpectMessage(again, "not empty");
  EXPECT_EQ(ReadWholeFile(full + "/manifest.json"), manifest);
}

// Root bypasses directory permissions, so when the tests run as root dbbackup runs as the
// server's OS user (postgres) against a directory under a 0500 parent owned by that user.
TEST_F(ErrorsTest, BackupDirNotWritable) {
  const std::string db = SmallDb("db");
  DropAtEnd drop(*pg_, {db});
  // The directories must be reachable by that user: under the server's base directory's parent
  // (/tmp normally), not under a root-only $TMPDIR.
  const std::string user = ServerOsUser();
  std::string base = "/tmp/dbbit.XXXXXX";
  ASSERT_NE(::mkdtemp(base.data()), nullptr);
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      ::chmod((path + "/ro").c_str(), 0700);
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } cleanup{base};
  ::chmod(base.c_str(), 0755);
  const std::string parent = base + "/ro";
  ASSERT_EQ(::mkdir(parent.c_str(), 0700), 0);
  if (!user.empty()) {
    ASSERT_EQ(RunProcess({.argv = {"chown", user, parent}}).exit_code, 0);
  }
  ASSERT_EQ(::chmod(parent.c_str(), 0500), 0);

  // The build tree may not be reachable by that user (a build under /root): run a copy.
  std::string binary = DbbBinary();
  if (!user.empty() &&
      RunProcess({.argv = {"test", "-x", binary}, .run_as_user = user}).exit_code != 0) {
    binary = base + "/dbbackup";
    std::filesystem::copy_file(DbbBinary(), binary);
    ::chmod(binary.c_str(), 0755);
  }
  auto run = [&](const std::vector<std::string>& a) {
    std::vector<std::string> argv = {binary};
    argv.insert(argv.end(), a.begin(), a.end());
    return RunProcess({.argv = argv, .run_as_user = user});
  };

  std::vector<std::string> args = {"backup", "single", db, "--dir", parent + "/b"};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  ProcessResult r = run(args);
  EXPECT_EQ(r.exit_code, kExitRefused)
      << "as " << (user.empty() ? "self" : user) << ": " << r.Describe();
  ExpectMessage(r, "permission denied");
  EXPECT_FALSE(std::filesystem::exists(parent + "/b"));

  // An existing empty directory that is not writable.
  ::chmod(parent.c_str(), 0700);
  ASSERT_EQ(::mkdir((parent + "/b").c_str(), 0500), 0);
  if (!user.empty()) {
    ASSERT_EQ(RunProcess({.argv = {"chown", user, parent + "/b"}}).exit_code, 0);
  }
  ProcessResult e = run(args);
  EXPECT_EQ(e.exit_code, kExitRefused) << e.Describe();
  ExpectMessage(e, "permission denied");
  EXPECT_TRUE(ListFiles(parent + "/b").empty());
}

// A path under a regular file cannot be created, as root too.
TEST_F(ErrorsTest, BackupDirUnderAFile) {
  const std::string db = SmallDb("db");
  DropAtEnd drop(*pg_, {db});
  TempDir tmp;
  { std::ofstream(tmp.file("file")) << "x"; }
  std::vector<std::string> args = {"backup", "single", db, "--dir", tmp.file("file/b")};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, kExitRefused) << r.Describe();
  ExpectMessage(r, "not a directory");
  EXPECT_EQ(ReadWholeFile(tmp.file("file")), "x");

  // --dir naming the file itself.
  args[4] = tmp.file("file");
  ProcessResult f = RunDbb(args);
  EXPECT_EQ(f.exit_code, kExitRefused) << f.Describe();
  ExpectMessage(f, "not a directory");
  EXPECT_EQ(ReadWholeFile(tmp.file("file")), "x");
}

TEST_F(ErrorsTest, RestoreIntoNonEmptyDatabaseIsRefused) {
  const std::string db = SmallDb("db");
  const std::string target = TestDbName("target");
  DropAtEnd drop(*pg_, {db, target});
  TempDir tmp;
  ASSERT_EQ(Backup(*pg_, db, tmp.file("b")).exit_code, 0);
  pg_->CreateDatabase(target);
  pg_->Psql(target,
            "CREATE TABLE mine (id integer);\n"
            "INSERT INTO mine VALUES (1), (2);\n"
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n");
  const DbSnapshot before = TakeSnapshot(*pg_, target);

  std::vector<std::string> args = {"restore", "single", tmp.file("b"), "-d", target};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, kExitRefused) << r.Describe();
  ExpectMessage(r, "not empty");
  ExpectSameDatabase(before, TakeSnapshot(*pg_, target));

  // A database holding only a function (no table) is not empty either.
  pg_->Psql(target, "DROP TABLE mine;");
  const DbSnapshot only_function = TakeSnapshot(*pg_, target);
  ProcessResult f = RunDbb(args);
  EXPECT_EQ(f.exit_code, kExitRefused) << f.Describe();
  ExpectMessage(f, "not empty");
  ExpectSameText(only_function.schema, SchemaDump(*pg_, target), "target schema");

  // --create on an existing database does not touch it either.
  args.push_back("--create");
  ProcessResult c = RunDbb(args);
  EXPECT_NE(c.exit_code, 0) << c.Describe();
  ExpectSameText(only_function.schema, SchemaDump(*pg_, target), "target schema");
}

TEST_F(ErrorsTest, RestoreWithoutManifestIsIncomplete) {
  const std::string db = SmallDb("db");
  const std::string target = TestDbName("target");
  DropAtEnd drop(*pg_, {db, target});
  TempDir tmp;
  const std::string dir = tmp.file("b");
  ASSERT_EQ(Backup(*pg_, db, dir).exit_code, 0);
  std::filesystem::remove(dir + "/manifest.json");

  std::vector<std::string> args = {"restore", "single", dir, "-d", target, "--create"};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, kExitFailed) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "incomplete") || ContainsNoCase(r.err, "no manifest") ||
              ContainsNoCase(r.err, "not a complete backup"))
      << r.Describe();
  EXPECT_EQ(pg_->Psql("postgres",
                      "SELECT count(*) FROM pg_database WHERE datname = " + QuoteLiteral(target)),
            "0\n")
      << "the target database was created for a backup that cannot be restored";

  ProcessResult list = RunDbb({"list", dir});
  EXPECT_EQ(list.exit_code, kExitFailed) << list.Describe();

  // A directory that does not exist.
  args[2] = tmp.file("nothing-here");
  ProcessResult none = RunDbb(args);
  EXPECT_EQ(none.exit_code, kExitFailed) << none.Describe();
}

// A manifest that is not JSON, or of a newer format version: list and restore fail (exit 1)
// without creating the target database; a data file the manifest names is missing: the same.
TEST_F(ErrorsTest, BadManifestOrMissingFile) {
  const std::string db = SmallDb("db");
  const std::string target = TestDbName("target");
  DropAtEnd drop(*pg_, {db, target});
  TempDir tmp;
  const std::string dir = tmp.file("b");
  ASSERT_EQ(Backup(*pg_, db, dir).exit_code, 0);
  const std::string manifest = ReadWholeFile(dir + "/manifest.json");
  auto write = [&](const std::string& path, const std::string& text) {
    WriteFileBytes(path, std::vector<std::byte>(
                             reinterpret_cast<const std::byte*>(text.data()),
                             reinterpret_cast<const std::byte*>(text.data()) + text.size()));
  };
  std::vector<std::string> restore = {"restore", "single", dir, "-d", target, "--create"};
  for (const auto& a : pg_->ConnArgs()) restore.push_back(a);
  auto target_exists = [&] {
    return pg_->Psql("postgres", "SELECT count(*) FROM pg_database WHERE datname = " +
                                     QuoteLiteral(target)) != "0\n";
  };

  write(dir + "/manifest.json", manifest.substr(0, manifest.size() / 2));
  ProcessResult list = RunDbb({"list", dir});
  EXPECT_EQ(list.exit_code, kExitFailed) << list.Describe();
  ProcessResult r = RunDbb(restore);
  EXPECT_EQ(r.exit_code, kExitFailed) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "manifest")) << r.Describe();
  EXPECT_FALSE(target_exists());

  nlohmann::json newer = nlohmann::json::parse(manifest);
  newer["format_version"] = 99;
  write(dir + "/manifest.json", newer.dump());
  ProcessResult v = RunDbb(restore);
  EXPECT_EQ(v.exit_code, kExitFailed) << v.Describe();
  EXPECT_TRUE(ContainsNoCase(v.err, "version")) << v.Describe();
  EXPECT_FALSE(target_exists());

  write(dir + "/manifest.json", manifest);
  const nlohmann::json m = nlohmann::json::parse(manifest);
  const std::string file = m.at("tables").at(0).at("files").at(0).at("file").get<std::string>();
  std::filesystem::remove(dir + "/" + file);
  ProcessResult missing = RunDbb(restore);
  EXPECT_EQ(missing.exit_code, kExitFailed) << missing.Describe();
  EXPECT_NE(missing.err.find(file.substr(file.find('/') + 1)), std::string::npos)
      << "the message names the missing file: " << missing.Describe();
  EXPECT_FALSE(target_exists()) << "created the target for a backup that misses a file";
}

// A damaged data file: restore fails (exit 1), naming the file; a truncated one too.
TEST_F(ErrorsTest, RestoreOfCorruptDataFileFails) {
  const std::string db = SmallDb("db");
  const std::string t1 = TestDbName("t1"), t2 = TestDbName("t2");
  DropAtEnd drop(*pg_, {db, t1, t2});
  TempDir tmp;
  const std::string dir = tmp.file("b");
  ASSERT_EQ(Backup(*pg_, db, dir).exit_code, 0);
  const nlohmann::json m = ReadManifest(dir);
  ASSERT_TRUE(m.is_object());
  std::string file;
  for (const auto& t : m.at("tables")) {
    if (t.at("name") == "t") file = t.at("files").at(0).at("file").get<std::string>();
  }
  ASSERT_FALSE(file.empty());
  const std::string path = dir + "/" + file;
  std::string bytes = ReadWholeFile(path);
  ASSERT_GT(bytes.size(), 100u);
  const std::string original = bytes;

  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x55);
  WriteFileBytes(path, std::vector<std::byte>(
                           reinterpret_cast<const std::byte*>(bytes.data()),
                           reinterpret_cast<const std::byte*>(bytes.data()) + bytes.size()));
  std::vector<std::string> args = {"restore", "single", dir, "-d", t1, "--create"};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, kExitFailed) << r.Describe();
  EXPECT_NE(r.err.find(file.substr(file.find('/') + 1)), std::string::npos)
      << "the message names the damaged file: " << r.Describe();

  const std::string truncated = original.substr(0, original.size() - 7);
  WriteFileBytes(path, std::vector<std::byte>(reinterpret_cast<const std::byte*>(truncated.data()),
                                              reinterpret_cast<const std::byte*>(truncated.data()) +
                                                  truncated.size()));
  args[4] = t2;
  ProcessResult t = RunDbb(args);
  EXPECT_EQ(t.exit_code, kExitFailed) << t.Describe();
}

// --lock-wait-timeout: a table locked by another session fails the backup after that time.
TEST_F(ErrorsTest, LockWaitTimeoutExpires) {
  const std::string db = SmallDb("db");
  DropAtEnd drop(*pg_, {db});
  LockHolder holder(*pg_, db, "t");
  ASSERT_TRUE(holder.ok());
  TempDir tmp;
  const std::string dir = tmp.file("b");
  std::vector<std::string> args = {"backup", "single", db, "--dir", dir, "--lock-wait-timeout",
                                   "1s"};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  const auto start = std::chrono::steady_clock::now();
  ProcessResult r = RunDbb(args);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.exit_code, kExitFailed) << r.Describe();
  ExpectMessage(r, "lock");
  EXPECT_LT(seconds, 60.0)
      << "a hang detector, not a speed check: without the timeout it waits forever";
  EXPECT_FALSE(std::filesystem::exists(dir + "/manifest.json"));
  for (const auto& f : ListFiles(dir)) {
    EXPECT_EQ(f.find(".partial"), std::string::npos) << f << " left behind";
  }
}

TEST_F(ErrorsTest, UsageErrors) {
  TempDir tmp;
  // No --dir.
  ProcessResult a = RunDbb({"backup", "single", "postgres"});
  EXPECT_EQ(a.exit_code, kExitUsage) << a.Describe();
  // Unknown option.
  ProcessResult b = RunDbb({"backup", "single", "postgres", "--dir", tmp.file("x"), "--bogus"});
  EXPECT_EQ(b.exit_code, kExitUsage) << b.Describe();
  // Unknown engine.
  ProcessResult c =
      RunDbb({"backup", "single", "postgres", "--dir", tmp.file("x"), "--compress-engine", "lzma"});
  EXPECT_EQ(c.exit_code, kExitUsage) << c.Describe();
  // Levels and page sizes out of range, against a reachable server and database so that the
  // option is the only thing wrong.
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"--compress-engine", "isal", "--compress-level", "4"},
           {"--compress-engine", "libdeflate", "--compress-level", "13"},
           {"--compress-engine", "zstd", "--compress-level", "20"},
           {"--page-size", "4KiB"},
           {"--page-size", "100000"},
           {"--page-size", "64MiB"},
           {"-j", "0"}}) {
    std::vector<std::string> args = {"backup", "single", "postgres", "--dir", tmp.file("y")};
    for (const auto& flag : pg_->ConnArgs()) args.push_back(flag);
    args.insert(args.end(), bad.begin(), bad.end());
    ProcessResult r = RunDbb(args);
    EXPECT_EQ(r.exit_code, kExitUsage) << bad[0] << " " << bad.back() << ": " << r.Describe();
    EXPECT_FALSE(std::filesystem::exists(tmp.file("y/manifest.json")));
  }
  // Restore without -d.
  ProcessResult d = RunDbb({"restore", "single", tmp.path()});
  EXPECT_EQ(d.exit_code, kExitUsage) << d.Describe();
  EXPECT_FALSE(std::filesystem::exists(tmp.file("x")));
}

}  // namespace
}  // namespace dbb::testing
