// The choice of engine: DBB_IO_ENGINE, forcing, and the fallbacks when the kernel refuses
// io_uring or its registered buffers.
#include "io/io_mode.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "engine/sample_data.h"
#include "io/io_test_util.h"
#include "support/test_util.h"

namespace dbb::io {
namespace {

using dbb::engine::MakeSampleData;
using dbb::engine::SampleKind;
using dbb::testing::TempDir;
using testing::ReadWhole;
using testing::WriteWhole;

// Sets (or, with nullopt, removes) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    Set(value);
  }
  ~ScopedEnv() { Set(old_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Set(const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name_, value->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  const char* name_;
  std::optional<std::string> old_;
};

const std::vector<std::byte>& Data() {
  static const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 300000);
  return data;
}

TEST(IoMode, EngineNames) {
  EXPECT_STREQ(IoEngineName(IoEngine::kAuto), "auto");
  EXPECT_STREQ(IoEngineName(IoEngine::kUring), "io_uring");
  EXPECT_STREQ(IoEngineName(IoEngine::kPwrite), "pwrite");
}

TEST(IoMode, EnvironmentForcesPwrite) {
  ScopedEnv env("DBB_IO_ENGINE", "pwrite");
  TempDir dir;
  Result<IoChoice> choice = WriteWhole(dir.file("out"), Data(), {});
  ASSERT_TRUE(choice.ok()) << choice.status().message();
  EXPECT_EQ(choice->engine, IoEngine::kPwrite);
  Result<std::unique_ptr<FileReader>> reader = OpenReader(dir.file("out"));
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->choice().engine, IoEngine::kPwrite);
  EXPECT_TRUE(dbb::testing::ReadFileBytes(dir.file("out")) == Data());
}

TEST(IoMode, ExplicitEngineWinsOverEnvironment) {
  ScopedEnv env("DBB_IO_ENGINE", "pwrite");
  TempDir dir;
  Result<IoChoice> choice = WriteWhole(dir.file("out"), Data(), {.engine = IoEngine::kUring});
  if (choice.status().code() == StatusCode::kUnsupported) GTEST_SKIP() << choice.status().message();
  ASSERT_TRUE(choice.ok()) << choice.status().message();
  EXPECT_EQ(choice->engine, IoEngine::kUring);
}

TEST(IoMode, BadEnvironmentValueIsAnError) {
  ScopedEnv env("DBB_IO_ENGINE", "fast");
  TempDir dir;
  Result<std::unique_ptr<FileWriter>> writer = OpenWriter(dir.file("out"));
  EXPECT_EQ(writer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(writer.status().message(),
            "DBB_IO_ENGINE=fast is not valid: use uring, pwrite or auto");
  EXPECT_EQ(OpenReader(dir.file("out")).status().message(), writer.status().message());
}

// Makes io_uring_setup fail with EPERM in this process, as kernel.io_uring_disabled=2 does.
bool RefuseIoUring() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  const sock_fprog program{.len = std::size(filter), .filter = filter};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

// Runs in the death test's child (the seccomp filter cannot be undone): exits 0 when the
// writer and reader fell back to pwrite, else prints what differed and exits 1.
[[noreturn]] void CheckUringFallback() {
  int failures = 0;
  const auto expect = [&](bool ok, const std::string& what) {
    if (!ok) std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    failures += ok ? 0 : 1;
  };
  ::unsetenv("DBB_IO_ENGINE");
  log::SetVerbose(true);
  expect(RefuseIoUring(), "install the seccomp filter");
  {
    TempDir dir;
    const std::string why =
        "io_uring unavailable (Operation not permitted), see sysctl kernel.io_uring_disabled";
    Result<IoChoice> choice = WriteWhole(dir.file("out"), Data(), {});
    expect(choice.ok(), "write: " + choice.status().message());
    if (choice.ok()) {
      expect(choice->engine == IoEngine::kPwrite, "writer engine is pwrite");
      expect(choice->reason.starts_with(why), "writer reason: " + choice->reason);
    }
    Result<std::vector<std::byte>> back = ReadWhole(dir.file("out"), {});
    expect(back.ok() && *back == Data(), "read back: " + back.status().message());

    const std::string forced_path = dir.file("forced");
    Result<std::unique_ptr<FileWriter>> forced =
        OpenWriter(forced_path, {.engine = IoEngine::kUring});
    expect(forced.status().code() == StatusCode::kUnsupported, "forced io_uring is unsupported");
    expect(forced.status().message() ==
               forced_path + ": " + why +
                   "; drop the option that forces io_uring (or DBB_IO_ENGINE=uring)",
           "forced io_uring message: " + forced.status().message());
    expect(access(forced_path.c_str(), F_OK) != 0, "forced io_uring creates no file");
  }
  std::fprintf(stderr, "%s\n", failures == 0 ? "fallback checked" : "fallback broken");
  std::_Exit(failures == 0 ? 0 : 1);
}

TEST(IoModeDeathTest, RefusedIoUringFallsBackToPwrite) {
  // A fresh process: the io_uring probe is made once per process and this one may have made it.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(CheckUringFallback(), ::testing::ExitedWithCode(0),
              "io: io_uring unavailable \\(Operation not permitted\\).*using pwrite/pread");
}

// Without CAP_IPC_LOCK on this thread for one scope: root is exempt from RLIMIT_MEMLOCK.
class ScopedWithoutIpcLock {
 public:
  ScopedWithoutIpcLock() {
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    had_ = (saved_[0].effective & (1u << CAP_IPC_LOCK)) != 0;
    if (!had_) return;
    __user_cap_data_struct dropped[_LINUX_CAPABILITY_U32S_3];
    std::copy(std::begin(saved_), std::end(saved_), dropped);
    dropped[0].effective &= ~(1u << CAP_IPC_LOCK);
    ::syscall(SYS_capset, &header_, dropped);
  }
  ~ScopedWithoutIpcLock() {
    if (had_) ::syscall(SYS_capset, &header_, saved_);
  }
  ScopedWithoutIpcLock(const ScopedWithoutIpcLock&) = delete;
  ScopedWithoutIpcLock& operator=(const ScopedWithoutIpcLock&) = delete;

 private:
  __user_cap_header_struct header_{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  __user_cap_data_struct saved_[_LINUX_CAPABILITY_U32S_3]{};
  bool had_ = false;
};

TEST(IoMode, UnregisteredBuffersWhenMemlockIsTooLow) {
  ScopedWithoutIpcLock no_ipc_lock;
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_MEMLOCK, &saved), 0);
  // Room for the rings (a few pages each, also counted) but not for 4 x 64 KiB of buffers.
  const rlimit small{.rlim_cur = std::min<rlim_t>(64 * kKiB, saved.rlim_max),
                     .rlim_max = saved.rlim_max};
  ASSERT_EQ(::setrlimit(RLIMIT_MEMLOCK, &small), 0);
  TempDir dir;
  const WriterOptions options{
      .engine = IoEngine::kUring, .buffer_bytes = 64 * kKiB, .buffer_count = 4};
  Result<IoChoice> choice = WriteWhole(dir.file("out"), Data(), options);
  Result<std::vector<std::byte>> back =
      ReadWhole(dir.file("out"), {.engine = IoEngine::kUring, .buffer_bytes = 64 * kKiB});
  ::setrlimit(RLIMIT_MEMLOCK, &saved);

  if (choice.status().code() == StatusCode::kUnsupported) GTEST_SKIP() << choice.status().message();
  ASSERT_TRUE(choice.ok()) << choice.status().message();
  EXPECT_EQ(choice->engine, IoEngine::kUring);
  EXPECT_NE(choice->reason.find("cannot register I/O buffers (Cannot allocate memory; raise "
                                "ulimit -l)"),
            std::string::npos)
      << choice->reason;
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(*back == Data());
  EXPECT_TRUE(dbb::testing::ReadFileBytes(dir.file("out")) == Data());
}

}  // namespace
}  // namespace dbb::io
