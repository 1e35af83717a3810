#include "common/subprocess.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace dbb {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SubprocessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/dbb-subprocess-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(SubprocessTest, StdoutToPrivateFile) {
  const std::string out = dir_ + "/out";
  Result<ProcessResult> r =
      RunProcess({.argv = {"/bin/echo", "hello", "world"}, .stdout_path = out});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->term_signal, 0);
  EXPECT_EQ(ReadFile(out), "hello world\n");
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SubprocessTest, ExistingFileIsTruncatedAndMadePrivate) {
  const std::string out = dir_ + "/out";
  std::ofstream(out) << "old contents that are longer";
  ::chmod(out.c_str(), 0644);
  Result<ProcessResult> r = RunProcess({.argv = {"printf", "new"}, .stdout_path = out});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadFile(out), "new");
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SubprocessTest, NonZeroExitAndStderrAreReported) {
  Result<ProcessResult> r =
      RunProcess({.argv = {"/bin/sh", "-c", "echo to-out; echo oops >&2; exit 3"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stderr_text, "oops\n");
}

TEST_F(SubprocessTest, StderrKeepsTheLast64KiB) {
  // 200,000 bytes of stderr: more than a pipe holds, so reading must go on while it runs.
  Result<ProcessResult> r = RunProcess(
      {.argv = {"/bin/sh", "-c", "head -c 199999 /dev/zero | tr '\\0' a >&2; echo -n Z >&2"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 0);
  ASSERT_EQ(r->stderr_text.size(), 64u * 1024);
  EXPECT_EQ(r->stderr_text.back(), 'Z');
  EXPECT_EQ(r->stderr_text.front(), 'a');
}

// All of stderr, not only a tail: 200,000 bytes, more than the 64 KiB kept in stderr_text.
TEST_F(SubprocessTest, StderrToPrivateFileKeepsAllOfIt) {
  const std::string out = dir_ + "/out";
  const std::string err = dir_ + "/err";
  std::ofstream(err) << "old contents";
  ::chmod(err.c_str(), 0644);
  Result<ProcessResult> r =
      RunProcess({.argv = {"/bin/sh", "-c",
                           "echo to-out; echo -n A >&2; head -c 199998 /dev/zero | tr '\\0' a >&2; "
                           "echo -n Z >&2; exit 2"},
                  .stdout_path = out,
                  .stderr_path = err});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_EQ(r->stderr_text, "");
  EXPECT_EQ(ReadFile(out), "to-out\n");
  const std::string text = ReadFile(err);
  ASSERT_EQ(text.size(), 200000u);
  EXPECT_EQ(text.front(), 'A');
  EXPECT_EQ(text[1], 'a');
  EXPECT_EQ(text.back(), 'Z');
  struct stat st {};
  ASSERT_EQ(::stat(err.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SubprocessTest, UnwritableStderrIsAnError) {
  Result<ProcessResult> r =
      RunProcess({.argv = {"/bin/true"}, .stderr_path = dir_ + "/missing/err"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_EQ(r.status().message(), "create " + dir_ + "/missing/err: No such file or directory");
}

TEST_F(SubprocessTest, EnvironmentIsAddedAndReplaced) {
  const std::string out = dir_ + "/out";
  ::setenv("DBB_TEST_KEEP", "kept", 1);
  ::setenv("DBB_TEST_REPLACE", "old", 1);
  Result<ProcessResult> r =
      RunProcess({.argv = {"/bin/sh", "-c", "echo $DBB_TEST_KEEP $DBB_TEST_REPLACE $DBB_TEST_NEW"},
                  .env = {{"DBB_TEST_REPLACE", "new"}, {"DBB_TEST_NEW", "added"}},
                  .stdout_path = out});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadFile(out), "kept new added\n");
}

TEST_F(SubprocessTest, MissingProgramNamesIt) {
  Result<ProcessResult> r = RunProcess({.argv = {"dbb-no-such-program"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_EQ(r.status().message(), "cannot run dbb-no-such-program: No such file or directory");
}

TEST_F(SubprocessTest, UnwritableStdoutIsAnError) {
  Result<ProcessResult> r =
      RunProcess({.argv = {"/bin/true"}, .stdout_path = dir_ + "/missing/out"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_EQ(r.status().message(), "create " + dir_ + "/missing/out: No such file or directory");
}

TEST_F(SubprocessTest, ReportsTheSignalThatEndedIt) {
  Result<ProcessResult> r = RunProcess({.argv = {"/bin/sh", "-c", "kill -KILL $$"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->term_signal, SIGKILL);
}

TEST_F(SubprocessTest, StopTerminatesTheChild) {
  StopSource stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop.Request("interrupted");
  });
  const auto start = std::chrono::steady_clock::now();
  Result<ProcessResult> r = RunProcess({.argv = {"sleep", "30"}, .stop = &stop});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  stopper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(r.status().message(), "sleep stopped: interrupted");
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

// A child that ignores SIGTERM gets SIGKILL after 5 s.
TEST_F(SubprocessTest, StopKillsAChildThatIgnoresSigterm) {
  StopSource stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.Request("interrupted");
  });
  const auto start = std::chrono::steady_clock::now();
  Result<ProcessResult> r =
      RunProcess({.argv = {"/bin/sh", "-c", "trap '' TERM; sleep 30"}, .stop = &stop});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  stopper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_GE(elapsed, std::chrono::seconds(5));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(SubprocessTest, AlreadyStoppedDoesNotStart) {
  StopSource stop;
  stop.Request("earlier failure");
  const std::string out = dir_ + "/out";
  Result<ProcessResult> r =
      RunProcess({.argv = {"/bin/echo", "x"}, .stdout_path = out, .stop = &stop});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_NE(::access(out.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace dbb
