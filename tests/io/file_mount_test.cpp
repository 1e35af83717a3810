// File systems that refuse O_DIRECT (ramfs) or run out of space (a small tmpfs), mounted by the
// test itself: needs root (ctest label "root"), skipped with the reason otherwise.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "engine/sample_data.h"
#include "io/file_reader.h"
#include "io/file_writer.h"
#include "io/io_test_util.h"
#include "support/test_util.h"

namespace dbb::io {
namespace {

using dbb::engine::MakeSampleData;
using dbb::engine::SampleKind;
using dbb::testing::ReadFileBytes;
using dbb::testing::ScratchMount;
using testing::kModes;
using testing::Mode;
using testing::ReadWhole;
using testing::WriteWhole;

size_t CountOf(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

// A ramfs on a device number this process has not seen. The O_DIRECT verdict is kept per device
// for the whole process, and the kernel reuses the numbers of unmounted file systems, so each
// mount stays until the process exits.
const ScratchMount& FreshRamfs() {
  static std::vector<std::unique_ptr<ScratchMount>> mounts;
  return *mounts.emplace_back(std::make_unique<ScratchMount>("ramfs", 0));
}

TEST(Ramfs, DirectRefusedFallsBackToBufferedReportedOnce) {
  const ScratchMount& mount = FreshRamfs();
  if (!mount.ok()) GTEST_SKIP() << mount.reason();
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 3 * kMiB + 7);
  const std::string first = mount.path() + "/first";
  const std::string second = mount.path() + "/second";

  log::SetVerbose(true);
  ::testing::internal::CaptureStderr();
  Result<IoChoice> first_choice = WriteWhole(first, data, {.engine = IoEngine::kUring});
  Result<IoChoice> second_choice = WriteWhole(second, data, {.engine = IoEngine::kPwrite});
  const std::string log = ::testing::internal::GetCapturedStderr();
  log::SetVerbose(false);

  for (Result<IoChoice>* choice : {&first_choice, &second_choice}) {
    ASSERT_TRUE(choice->ok()) << choice->status().message();
    EXPECT_FALSE((*choice)->direct);
    EXPECT_NE((*choice)->reason.find("O_DIRECT refused (Invalid argument)"), std::string::npos)
        << (*choice)->reason;
  }
  EXPECT_EQ(CountOf(log, "O_DIRECT refused"), 1u) << log;
  // "io: <path> (device <major>:<minor>): O_DIRECT refused (Invalid argument); using buffered I/O"
  const size_t line = log.find("io: " + first + " (device ");
  EXPECT_NE(line, std::string::npos) << log;
  EXPECT_NE(log.find("): O_DIRECT refused (Invalid argument); using buffered I/O\n", line),
            std::string::npos)
      << log;
  for (const std::string& path : {first, second}) {
    EXPECT_EQ(std::filesystem::file_size(path), data.size());
    EXPECT_TRUE(ReadFileBytes(path) == data);
    Result<std::unique_ptr<FileReader>> reader = OpenReader(path);
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    EXPECT_FALSE((*reader)->choice().direct);
    Result<std::vector<std::byte>> back = ReadWhole(path, {});
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_TRUE(*back == data);
  }
}

// Writers opened at once from several threads still make one decision and log it once.
TEST(Ramfs, ConcurrentOpensDecideOnce) {
  const ScratchMount& mount = FreshRamfs();
  if (!mount.ok()) GTEST_SKIP() << mount.reason();
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 200000);
  constexpr int kThreads = 8;
  std::vector<Result<IoChoice>> choices(kThreads, Status(StatusCode::kInternal, "not run"));

  log::SetVerbose(true);
  ::testing::internal::CaptureStderr();
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      choices[static_cast<size_t>(i)] =
          WriteWhole(mount.path() + "/f" + std::to_string(i), data, {});
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string log = ::testing::internal::GetCapturedStderr();
  log::SetVerbose(false);

  EXPECT_EQ(CountOf(log, "O_DIRECT refused"), 1u) << log;
  for (int i = 0; i < kThreads; ++i) {
    Result<IoChoice>& choice = choices[static_cast<size_t>(i)];
    ASSERT_TRUE(choice.ok()) << choice.status().message();
    EXPECT_FALSE(choice->direct);
    EXPECT_TRUE(ReadFileBytes(mount.path() + "/f" + std::to_string(i)) == data);
  }
}

TEST(Ramfs, ForcedDirectIsAnError) {
  ScratchMount mount("ramfs", 0);
  if (!mount.ok()) GTEST_SKIP() << mount.reason();
  const std::string path = mount.path() + "/out";
  const std::string expected =
      path +
      ": O_DIRECT refused (Invalid argument) by its file system; drop the option that "
      "forces O_DIRECT";
  Result<std::unique_ptr<FileWriter>> writer = OpenWriter(path, {.direct = DirectMode::kOn});
  EXPECT_EQ(writer.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(writer.status().message(), expected);
  Result<std::unique_ptr<FileReader>> reader = OpenReader(path, {.direct = DirectMode::kOn});
  EXPECT_EQ(reader.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(reader.status().message(), expected);
}

class NoSpace : public ::testing::TestWithParam<Mode> {};

// 4 MiB into a 1 MiB tmpfs: the first error is kNoSpace with the path and offset, and every
// later call returns it unchanged.
TEST_P(NoSpace, IsStickyAndNamesPathAndOffset) {
  const Mode& mode = GetParam();
  ScratchMount mount("tmpfs", 1 * kMiB);
  if (!mount.ok()) GTEST_SKIP() << mount.reason();
  const std::string path = mount.path() + "/out";
  Result<std::unique_ptr<FileWriter>> writer =
      OpenWriter(path, {.engine = mode.engine, .direct = mode.direct, .buffer_bytes = 64 * kKiB});
  if (writer.status().code() == StatusCode::kUnsupported) GTEST_SKIP() << writer.status().message();
  ASSERT_TRUE(writer.ok()) << writer.status().message();

  const std::vector<std::byte> data = MakeSampleData(SampleKind::kRandom, 4 * kMiB);
  Status first;
  for (size_t at = 0; at < data.size() && first.ok(); at += 64 * kKiB) {
    first = (*writer)->Append(std::span(data).subspan(at, 64 * kKiB));
  }
  ASSERT_FALSE(first.ok()) << "4 MiB fit into a 1 MiB tmpfs";
  EXPECT_EQ(first.code(), StatusCode::kNoSpace);
  EXPECT_EQ(first.sys_errno(), ENOSPC);
  const std::string prefix = "write " + path + " at offset ";
  const std::string suffix = ": No space left on device";
  const std::string& message = first.message();
  ASSERT_TRUE(message.starts_with(prefix) && message.ends_with(suffix)) << message;
  const std::string offset =
      message.substr(prefix.size(), message.size() - prefix.size() - suffix.size());
  ASSERT_FALSE(offset.empty()) << message;
  EXPECT_EQ(offset.find_first_not_of("0123456789"), std::string::npos) << message;
  EXPECT_LE(std::stoull(offset), 1 * kMiB);

  const Status again = (*writer)->Append(std::span(data).first(10));
  EXPECT_EQ(again.code(), StatusCode::kNoSpace);
  EXPECT_EQ(again.message(), first.message());
  const Status closed = (*writer)->Close();
  EXPECT_EQ(closed.code(), StatusCode::kNoSpace);
  EXPECT_EQ(closed.message(), first.message());
}

INSTANTIATE_TEST_SUITE_P(AllModes, NoSpace, ::testing::ValuesIn(kModes),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace dbb::io
