#include "io/file_writer.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "engine/sample_data.h"
#include "io/io_test_util.h"
#include "support/test_util.h"

namespace dbb::io {
namespace {

using dbb::engine::MakeSampleData;
using dbb::engine::SampleKind;
using dbb::testing::ReadFileBytes;
using dbb::testing::TempDir;
using testing::kModes;
using testing::Mode;
using testing::ReadWhole;
using testing::WriteWhole;

constexpr size_t kBufferBytes = 64 * kKiB;
constexpr size_t kBufferCount = 4;

WriterOptions SmallBuffers(const Mode& mode) {
  return {.engine = mode.engine,
          .direct = mode.direct,
          .buffer_bytes = kBufferBytes,
          .buffer_count = kBufferCount};
}

ReaderOptions SmallReadBuffers(const Mode& mode) {
  return {.engine = mode.engine,
          .direct = mode.direct,
          .buffer_bytes = kBufferBytes,
          .buffer_count = kBufferCount};
}

// A forced mode the kernel or TMPDIR's file system refuses is a skip, not a failure.
#define SKIP_IF_REFUSED(status)                                                          \
  do {                                                                                   \
    if ((status).code() == StatusCode::kUnsupported) GTEST_SKIP() << (status).message(); \
  } while (0)

// Checks `path` holds exactly `data`: size, std::ifstream, and our own reader in `mode`.
void ExpectFileHolds(const std::string& path, const std::vector<std::byte>& data,
                     const Mode& mode) {
  EXPECT_EQ(std::filesystem::file_size(path), data.size());
  EXPECT_TRUE(ReadFileBytes(path) == data) << "std::ifstream read different bytes";
  Result<std::vector<std::byte>> ours = ReadWhole(path, SmallReadBuffers(mode));
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  EXPECT_TRUE(*ours == data) << "FileReader read different bytes";
}

class WriteSweep : public ::testing::TestWithParam<std::tuple<Mode, size_t>> {};

TEST_P(WriteSweep, ReadsBackByteForByte) {
  const auto& [mode, size] = GetParam();
  TempDir dir;
  const std::string path = dir.file("out");
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, size, size);
  // Odd-sized pieces so appends straddle buffer and block boundaries.
  const size_t pieces[] = {4093};
  Result<IoChoice> choice = WriteWhole(path, data, SmallBuffers(mode), pieces);
  SKIP_IF_REFUSED(choice.status());
  ASSERT_TRUE(choice.ok()) << choice.status().message();
  EXPECT_EQ(choice->engine, mode.engine);
  EXPECT_EQ(choice->direct, mode.direct == DirectMode::kOn);
  EXPECT_EQ(choice->reason, "");
  ExpectFileHolds(path, data, mode);
}

std::string SweepName(const ::testing::TestParamInfo<WriteSweep::ParamType>& info) {
  return std::string(std::get<0>(info.param).name) + "_" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    AllModes, WriteSweep,
    ::testing::Combine(::testing::ValuesIn(kModes),
                       ::testing::Values(0, 1, 4095, 4096, 4097, kBufferBytes - 1, kBufferBytes,
                                         kBufferBytes + 1, kBufferCount* kBufferBytes,
                                         kBufferCount* kBufferBytes + 1, 11 * kBufferBytes + 4097)),
    SweepName);

class WriteModes : public ::testing::TestWithParam<Mode> {};

TEST_P(WriteModes, RandomAppendSizes) {
  const Mode& mode = GetParam();
  TempDir dir;
  const std::string path = dir.file("out");
  std::mt19937 rng(42);
  std::uniform_int_distribution<size_t> piece_size(0, 3 * kBufferBytes);
  std::vector<size_t> pieces(64);
  for (size_t& p : pieces) p = piece_size(rng);
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 5 * kMiB + 123, 7);
  Result<IoChoice> choice = WriteWhole(path, data, SmallBuffers(mode), pieces);
  SKIP_IF_REFUSED(choice.status());
  ASSERT_TRUE(choice.ok()) << choice.status().message();
  ExpectFileHolds(path, data, mode);
}

TEST_P(WriteModes, DestroyWithoutCloseIsSafe) {
  const Mode& mode = GetParam();
  TempDir dir;
  const auto open_fds = [] {
    return std::distance(std::filesystem::directory_iterator("/proc/self/fd"), {});
  };
  const auto fds_before = open_fds();
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kRandom, 7 * kBufferBytes / 2);
  {
    Result<std::unique_ptr<FileWriter>> writer = OpenWriter(dir.file("out"), SmallBuffers(mode));
    SKIP_IF_REFUSED(writer.status());
    ASSERT_TRUE(writer.ok()) << writer.status().message();
    ASSERT_TRUE((*writer)->Append(data).ok());
  }  // destroyed with writes in flight and a partial buffer
  EXPECT_EQ(open_fds(), fds_before);
  EXPECT_LE(std::filesystem::file_size(dir.file("out")), data.size());
}

// RLIMIT_FSIZE cuts a write that crosses it short; the writer must go on with the rest, which
// then fails with EFBIG at exactly the limit. (Were the short write taken as complete, there
// would be no error at all.)
TEST_P(WriteModes, ShortWriteIsResumed) {
  const Mode& mode = GetParam();
  TempDir dir;
  const std::string path = dir.file("out");
  constexpr uint64_t kLimit = kBufferCount * kBufferBytes + 8192;
  // One write crosses the limit (the last, 3 blocks): several would race for the first error.
  const std::vector<std::byte> data =
      MakeSampleData(SampleKind::kRandom, kBufferCount * kBufferBytes + 3 * 4096);
  Result<std::unique_ptr<FileWriter>> writer = OpenWriter(path, SmallBuffers(mode));
  SKIP_IF_REFUSED(writer.status());
  ASSERT_TRUE(writer.ok()) << writer.status().message();

  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto saved_handler = std::signal(SIGXFSZ, SIG_IGN);
  const rlimit limited{.rlim_cur = kLimit, .rlim_max = saved.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  Status status = (*writer)->Append(data);
  if (status.ok()) status = (*writer)->Close();
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, saved_handler);

  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(status.sys_errno(), EFBIG);
  EXPECT_EQ(status.message(),
            "write " + path + " at offset " + std::to_string(kLimit) + ": File too large");
  EXPECT_EQ((*writer)->Close().message(), status.message()) << "errors are sticky";
  EXPECT_EQ(std::filesystem::file_size(path), kLimit);
}

INSTANTIATE_TEST_SUITE_P(AllModes, WriteModes, ::testing::ValuesIn(kModes),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(FileWriter, DefaultOptionsOneLargeAppend) {
  TempDir dir;
  const std::string path = dir.file("out");
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 5 * kMiB + 3);
  Result<IoChoice> choice = WriteWhole(path, data, {});
  ASSERT_TRUE(choice.ok()) << choice.status().message();
  EXPECT_NE(choice->engine, IoEngine::kAuto);
  EXPECT_EQ(std::filesystem::file_size(path), data.size());
  EXPECT_TRUE(ReadFileBytes(path) == data);
  Result<std::vector<std::byte>> ours = ReadWhole(path, {});
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  EXPECT_TRUE(*ours == data);
}

// Writers on separate threads (as the pipeline's outputs are) share only the process-wide
// decisions; run under -DDBB_SANITIZE=thread this checks those.
TEST(FileWriter, WritersOnSeveralThreads) {
  TempDir dir;
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 1 * kMiB + 17);
  constexpr int kThreads = 4;
  std::vector<Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const std::string path = dir.file("out" + std::to_string(i));
      results[static_cast<size_t>(i)] = WriteWhole(path, data, {}).status();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_TRUE(results[static_cast<size_t>(i)].ok()) << results[static_cast<size_t>(i)].message();
    EXPECT_TRUE(ReadFileBytes(dir.file("out" + std::to_string(i))) == data);
  }
}

TEST(FileWriter, CreatesMode0600AndTruncates) {
  TempDir dir;
  const std::string path = dir.file("out");
  dbb::testing::WriteFileBytes(path, MakeSampleData(SampleKind::kText, 100000));
  ::chmod(path.c_str(), 0644);
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kText, 5000);
  ASSERT_TRUE(WriteWhole(path, data, {}).ok());
  EXPECT_TRUE(ReadFileBytes(path) == data);

  const std::string fresh = dir.file("fresh");
  ASSERT_TRUE(WriteWhole(fresh, data, {}).ok());
  struct stat st {};
  ASSERT_EQ(::stat(fresh.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileWriter, MissingDirectoryNamesThePath) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/out");
  Result<std::unique_ptr<FileWriter>> writer = OpenWriter(path);
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), StatusCode::kIoError);
  EXPECT_EQ(writer.status().sys_errno(), ENOENT);
  EXPECT_EQ(writer.status().message(), "create " + path + ": No such file or directory");
}

TEST(FileWriter, RejectsBadBufferOptions) {
  TempDir dir;
  Result<std::unique_ptr<FileWriter>> unaligned = OpenWriter(dir.file("a"), {.buffer_bytes = 4097});
  EXPECT_EQ(unaligned.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      unaligned.status().message(),
      "I/O buffer size of 4097 bytes is out of range: use a multiple of 4 KiB up to 64.0 MiB");
  Result<std::unique_ptr<FileWriter>> one = OpenWriter(dir.file("b"), {.buffer_count = 1});
  EXPECT_EQ(one.status().message(), "I/O buffer count 1 is out of range: use 2 to 1024");
  EXPECT_FALSE(std::filesystem::exists(dir.file("a")));
}

}  // namespace
}  // namespace dbb::io
