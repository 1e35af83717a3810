// Backups that do not finish in one run: killed (SIGKILL, no chance to clean up), stopped
// (SIGTERM), out of disk space (a small tmpfs as the destination), then completed with
// `--resume`; the pre-flight space check; and a cluster backup killed and resumed. Each resumed
// backup restores to a database equal to the source (which does not change between the runs, so
// the two snapshots hold the same rows), and its manifest says it is not one point in time.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

std::vector<std::string> WithConn(const PgServer& pg, std::vector<std::string> args) {
  for (const auto& a : pg.ConnArgs()) args.push_back(a);
  return args;
}

// The journal's finished files ("done" lines).
std::vector<std::string> FinishedFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::ifstream in(dir + "/backup.journal");
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"done\"") == std::string::npos) continue;
    try {
      files.push_back(json::parse(line).at("done").at("file").get<std::string>());
    } catch (const json::exception&) {  // a line being written
    }
  }
  return files;
}

// A tmpfs of `size` mounted on a new directory; unmounted at the end. ok() is false when this
// kernel or container does not let the tests mount (not root, no CAP_SYS_ADMIN).
class SmallFileSystem {
 public:
  explicit SmallFileSystem(const std::string& size) : path_(tmp_.file("fs")) {
    fs::create_directories(path_);
    const std::string opts = "size=" + size + ",mode=0755";
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool ok() const { return mounted_; }
  const std::string& path() const { return path_; }
  bool Resize(const std::string& size) {
    const std::string opts = "size=" + size;
    return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) == 0;
  }

 private:
  TempDir tmp_;
  std::string path_;
  bool mounted_ = false;
};

class ResumeTest : public ServerTest {
 protected:
  // A table of 200k narrow rows (about 20 MiB of heap: 20 chunks of 1 MB) and a small one.
  void CreateHeapDb(const std::string& db) {
    pg_->Psql("postgres", "CREATE DATABASE " + db);
    pg_->Psql(db,
              "CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS h "
              "FROM generate_series(1, 200000) g;\n"
              "CREATE TABLE small AS SELECT g FROM generate_series(1, 1000) g;");
  }

  // zstd level 19 on one thread (a few MB/s whatever the machine) and 1 MB chunks: the copy of
  // the 20 MiB table lasts seconds, in many files.
  std::vector<std::string> SlowBackup(const std::string& db, const std::string& dir,
                                      const std::string& level = "19") {
    return WithConn(
        *pg_, {"backup", "single", db, "--dir", dir, "-j", "2", "--chunk-size", "1MB",
               "--compress-engine", "zstd", "--compress-level", level, "--compress-threads", "1"});
  }

  // Starts the slow backup and sends `sig` once the journal in dir() (where the backup writes,
  // known once it has started) records `files` finished files.
  void Interrupt(const std::vector<std::string>& args, const std::function<std::string()>& dir,
                 size_t files, int sig) {
    std::vector<std::string> argv = {DbbBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess p({.argv = argv});
    ASSERT_TRUE(p.started()) << p.start_error();
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (FinishedFiles(dir()).size() < files && !p.Exited() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(p.Exited()) << "the backup ended before it could be interrupted: "
                             << p.Wait().Describe();
    ASSERT_GE(FinishedFiles(dir()).size(), files) << "no finished file after 60 s";
    p.Signal(sig);
    const ProcessResult r = p.Wait();
    if (sig == SIGKILL) {
      EXPECT_EQ(r.term_signal, SIGKILL) << r.Describe();
    } else {
      EXPECT_EQ(r.exit_code, 128 + sig) << r.Describe();
      EXPECT_TRUE(ContainsNoCase(r.err, "--resume")) << r.Describe();
      for (const std::string& f : ListFiles(dir())) {
        EXPECT_EQ(f.find(".partial"), std::string::npos) << f << " left behind";
      }
    }
    EXPECT_FALSE(fs::exists(dir() + "/manifest.json"));
  }

  // Restores `dir` and compares it with `db`; the manifest says which snapshots it holds.
  void ExpectResumedBackupEquals(const std::string& db, const std::string& dir) {
    const json m = ReadManifest(dir);
    EXPECT_EQ(m.value("consistent", true), false);
    ASSERT_TRUE(m.contains("snapshots"));
    EXPECT_EQ(m["snapshots"].size(), 2u) << m["snapshots"].dump();
    EXPECT_FALSE(fs::exists(dir + "/backup.journal")) << "the journal outlived the manifest";
    ProcessResult v = RunDbb({"verify", dir});
    EXPECT_EQ(v.exit_code, 0) << v.Describe();
    const std::string target = TestDbName("restored");
    DropAtEnd drop(*pg_, {target});
    Restore(*pg_, dir, target, {"--create"});
    ExpectSameDatabase(TakeSnapshot(*pg_, db), TakeSnapshot(*pg_, target));
  }

  void KillThenResume(int sig) {
    const std::string db = TestDbName("src");
    DropAtEnd drop(*pg_, {db});
    CreateHeapDb(db);
    TempDir tmp;
    const std::string dir = tmp.file("b");
    Interrupt(
        SlowBackup(db, dir), [&] { return dir; }, 2, sig);

    // Without --resume the directory is refused, and the message says what to do.
    ProcessResult again = RunDbb(SlowBackup(db, dir));
    EXPECT_EQ(again.exit_code, 7) << again.Describe();
    EXPECT_TRUE(ContainsNoCase(again.err, "--resume")) << again.Describe();
    // Other options than the first run's are refused too.
    std::vector<std::string> other = SlowBackup(db, dir, "3");
    other.push_back("--resume");
    ProcessResult refused = RunDbb(other);
    EXPECT_EQ(refused.exit_code, 2) << refused.Describe();
    EXPECT_TRUE(ContainsNoCase(refused.err, "level 19 then")) << refused.Describe();

    // A finished file damaged since: copied again, not kept.
    const std::vector<std::string> finished = FinishedFiles(dir);
    ASSERT_FALSE(finished.empty());
    std::vector<std::byte> bytes = ReadFileBytes(dir + "/" + finished.front());
    ASSERT_FALSE(bytes.empty());
    bytes[bytes.size() / 2] ^= std::byte{0x01};
    WriteFileBytes(dir + "/" + finished.front(), bytes);

    std::vector<std::string> resume = SlowBackup(db, dir);
    resume.push_back("--resume");
    ProcessResult r = RunDbb(resume);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    EXPECT_TRUE(ContainsNoCase(r.err, "resuming the interrupted backup")) << r.Describe();
    EXPECT_TRUE(ContainsNoCase(r.err, finished.front() + ": copied again")) << r.Describe();
    ExpectResumedBackupEquals(db, dir);

    // Resuming a complete backup is refused.
    ProcessResult done = RunDbb(resume);
    EXPECT_EQ(done.exit_code, 7) << done.Describe();
    EXPECT_TRUE(ContainsNoCase(done.err, "nothing to resume")) << done.Describe();
  }
};

TEST_F(ResumeTest, KilledBackupIsCompletedByResume) { KillThenResume(SIGKILL); }

TEST_F(ResumeTest, StoppedBackupKeepsFinishedFilesForResume) { KillThenResume(SIGTERM); }

// A tmpfs too small for the backup: the pre-flight estimate refuses it (nothing is left); with
// --force the backup starts, runs out of space, names the file and what is missing, leaves no
// manifest; once the file system is grown, --resume completes it.
// A target's backup stopped by SIGTERM is completed in its own time-stamped directory by
// `backup --target NAME --resume`, and only then does `latest` point to it.
TEST_F(ResumeTest, TargetResumesItsInterruptedBackup) {
  const std::string db = TestDbName("src");
  DropAtEnd drop(*pg_, {db});
  CreateHeapDb(db);
  TempDir tmp;
  const std::string series = tmp.file("series");
  const std::string config = tmp.file("dbbackup.conf");
  std::ofstream(config) << "[t]\nhost = " << pg_->socket_dir() << "\nport = " << pg_->port()
                        << "\nusername = postgres\ndbname = " << db << "\ndir = " << series
                        << "\njobs = 2\nchunk-size = 1MB\ncompress-engine = zstd\n"
                        << "compress-level = 19\ncompress-threads = 1\n";
  // The one directory the run writes in (empty until it exists).
  auto written = [&]() -> std::string {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(series, ec)) {
      if (!e.is_symlink() && e.is_directory()) return e.path().string();
    }
    return tmp.file("none");
  };
  Interrupt({"--config", config, "backup", "--target", "t"}, written, 2, SIGTERM);
  const std::string dir = written();
  EXPECT_FALSE(fs::exists(series + "/latest"));

  ProcessResult r = RunDbb({"--config", config, "backup", "--target", "t", "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(ContainsNoCase(r.err, "resuming the interrupted backup " + dir)) << r.Describe();
  EXPECT_EQ(written(), dir);
  EXPECT_EQ(fs::read_symlink(series + "/latest"), fs::path(dir).filename());
  ExpectResumedBackupEquals(db, dir);
}

TEST_F(ResumeTest, DiskFullThenResumeAfterGrowing) {
  SmallFileSystem small("3m");
  if (!small.ok()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << strerror(errno);
  const std::string db = TestDbName("src");
  DropAtEnd drop(*pg_, {db});
  CreateGeneratedDb(*pg_, db, Volume::kBulk);
  const std::string dir = small.path() + "/b";

  ProcessResult preflight = RunDbb(WithConn(*pg_, {"backup", "single", db, "--dir", dir}));
  EXPECT_EQ(preflight.exit_code, 1) << preflight.Describe();
  EXPECT_TRUE(ContainsNoCase(preflight.err, "needed")) << preflight.Describe();
  EXPECT_TRUE(ContainsNoCase(preflight.err, "free")) << preflight.Describe();
  EXPECT_TRUE(ContainsNoCase(preflight.err, "--force")) << preflight.Describe();
  EXPECT_FALSE(fs::exists(dir)) << "the refused backup left its directory";

  const std::vector<std::string> args = WithConn(
      *pg_, {"backup", "single", db, "--dir", dir, "--force", "-j", "2", "--chunk-size", "1MB"});
  ProcessResult full = RunDbb(args);
  EXPECT_EQ(full.exit_code, 1) << full.Describe();
  EXPECT_TRUE(ContainsNoCase(full.err, "no space left")) << full.Describe();
  EXPECT_TRUE(ContainsNoCase(full.err, dir + "/data/")) << "names the file: " << full.Describe();
  EXPECT_TRUE(ContainsNoCase(full.err, "more is needed")) << full.Describe();
  EXPECT_TRUE(ContainsNoCase(full.err, "--resume")) << full.Describe();
  EXPECT_FALSE(fs::exists(dir + "/manifest.json"));
  for (const std::string& f : ListFiles(dir)) {
    EXPECT_EQ(f.find(".partial"), std::string::npos) << f << " left behind";
  }

  ASSERT_TRUE(small.Resize("256m")) << strerror(errno);
  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  ProcessResult r = RunDbb(resume);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const json m = ReadManifest(dir);
  ProcessResult v = RunDbb({"verify", dir});
  EXPECT_EQ(v.exit_code, 0) << v.Describe();
  const std::string target = TestDbName("restored");
  DropAtEnd drop_target(*pg_, {target});
  Restore(*pg_, dir, target, {"--create"});
  ExpectSameDatabase(TakeSnapshot(*pg_, db), TakeSnapshot(*pg_, target));
}

// A cluster backup killed while its databases run: --resume keeps what they finished and
// completes them; each database then restores equal to its source.
TEST_F(ResumeTest, KilledClusterBackupIsCompletedByResume) {
  const std::string big = TestDbName("big");
  const std::string small = TestDbName("small");
  DropAtEnd drop(*pg_, {big, small});
  CreateHeapDb(big);
  pg_->Psql("postgres", "CREATE DATABASE " + small);
  pg_->Psql(small, "CREATE TABLE t AS SELECT g, md5(g::text) AS h FROM generate_series(1, 5000) g");
  TempDir tmp;
  const std::string dir = tmp.file("c");
  const std::vector<std::string> args = WithConn(
      *pg_, {"backup", "cluster", "--dir", dir, "-j", "2", "--chunk-size", "1MB",
             "--compress-engine", "zstd", "--compress-level", "19", "--compress-threads", "1"});
  {
    std::vector<std::string> argv = {DbbBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess p({.argv = argv});
    ASSERT_TRUE(p.started()) << p.start_error();
    auto finished = [&] {
      size_t n = 0;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir + "/databases", ec)) {
        n += FinishedFiles(e.path().string()).size();
      }
      return n;
    };
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (finished() < 2 && !p.Exited() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(p.Exited()) << p.Wait().Describe();
    p.Signal(SIGKILL);
    p.Wait();
  }
  EXPECT_FALSE(fs::exists(dir + "/cluster.json"));
  ProcessResult again = RunDbb(args);
  EXPECT_EQ(again.exit_code, 7) << again.Describe();
  EXPECT_TRUE(ContainsNoCase(again.err, "--resume")) << again.Describe();

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  ProcessResult r = RunDbb(resume);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ProcessResult v = RunDbb({"verify", dir});
  EXPECT_EQ(v.exit_code, 0) << v.Describe();
  const json cluster = json::parse(ReadWholeFile(dir + "/cluster.json"));
  for (const json& d : cluster.at("databases")) {
    const std::string name = d.at("name").get<std::string>();
    if (name != big && name != small) continue;
    EXPECT_EQ(d.at("status").get<std::string>(), "complete") << d.dump();
    const std::string target = TestDbName("r_" + name.substr(name.size() - 3));
    DropAtEnd drop_target(*pg_, {target});
    Restore(*pg_, dir + "/" + d.at("dir").get<std::string>(), target, {"--create"});
    ExpectSameDatabase(TakeSnapshot(*pg_, name), TakeSnapshot(*pg_, target));
  }
}

}  // namespace
}  // namespace dbb::testing
