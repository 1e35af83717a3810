#include "io/file_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <tuple>
#include <vector>

#include "engine/sample_data.h"
#include "io/io_test_util.h"
#include "support/test_util.h"

namespace dbb::io {
namespace {

using dbb::engine::MakeSampleData;
using dbb::engine::SampleKind;
using dbb::testing::TempDir;
using dbb::testing::WriteFileBytes;
using testing::kModes;
using testing::Mode;
using testing::ReadWhole;

constexpr size_t kBufferBytes = 64 * kKiB;
constexpr size_t kBufferCount = 3;

ReaderOptions SmallBuffers(const Mode& mode) {
  return {.engine = mode.engine,
          .direct = mode.direct,
          .buffer_bytes = kBufferBytes,
          .buffer_count = kBufferCount};
}

// Files written by std::ofstream, the reference, read back with FileReader in every mode.
class ReadSweep : public ::testing::TestWithParam<std::tuple<Mode, size_t>> {};

TEST_P(ReadSweep, ReturnsExactlyTheFileBytes) {
  const auto& [mode, size] = GetParam();
  TempDir dir;
  const std::string path = dir.file("in");
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, size, size + 1);
  WriteFileBytes(path, data);

  Result<std::unique_ptr<FileReader>> reader = OpenReader(path, SmallBuffers(mode));
  if (reader.status().code() == StatusCode::kUnsupported) GTEST_SKIP() << reader.status().message();
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  EXPECT_EQ((*reader)->file_bytes(), size);
  EXPECT_EQ((*reader)->choice().engine, mode.engine);
  EXPECT_EQ((*reader)->choice().direct, mode.direct == DirectMode::kOn);
  std::vector<std::byte> got;
  for (;;) {
    Result<std::span<const std::byte>> next = (*reader)->Next();
    ASSERT_TRUE(next.ok()) << next.status().message();
    if (next->empty()) break;
    EXPECT_LE(next->size(), kBufferBytes);
    got.insert(got.end(), next->begin(), next->end());
  }
  EXPECT_TRUE(got == data);
  Result<std::span<const std::byte>> after_end = (*reader)->Next();
  ASSERT_TRUE(after_end.ok());
  EXPECT_TRUE(after_end->empty()) << "end of file stays the end";
}

std::string SweepName(const ::testing::TestParamInfo<ReadSweep::ParamType>& info) {
  return std::string(std::get<0>(info.param).name) + "_" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    AllModes, ReadSweep,
    ::testing::Combine(::testing::ValuesIn(kModes),
                       ::testing::Values(0, 1, 4095, 4096, 4097, kBufferBytes - 1, kBufferBytes,
                                         kBufferBytes + 1, kBufferCount* kBufferBytes,
                                         kBufferCount* kBufferBytes + 1, 13 * kBufferBytes + 4097)),
    SweepName);

class ReadModes : public ::testing::TestWithParam<Mode> {};

// A file cut short after open (someone truncated a chunk) is corrupt input, not a short file.
TEST_P(ReadModes, FileShorterThanAtOpenIsCorrupt) {
  TempDir dir;
  const std::string path = dir.file("in");
  WriteFileBytes(path, MakeSampleData(SampleKind::kRandom, 1 * kMiB));
  Result<std::unique_ptr<FileReader>> reader = OpenReader(path, SmallBuffers(GetParam()));
  if (reader.status().code() == StatusCode::kUnsupported) GTEST_SKIP() << reader.status().message();
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  ASSERT_EQ(::truncate(path.c_str(), 100000), 0);

  Status status;
  for (int i = 0; i < 100 && status.ok(); ++i) {
    Result<std::span<const std::byte>> next = (*reader)->Next();
    if (!next.ok())
      status = next.status();
    else
      ASSERT_FALSE(next->empty()) << "reached the end without noticing";
  }
  EXPECT_EQ(status.code(), StatusCode::kCorrupt);
  EXPECT_TRUE(status.message().starts_with("read " + path + " at offset ")) << status.message();
  EXPECT_TRUE(status.message().ends_with(": file ends there but had 1048576 bytes at open"))
      << status.message();
  EXPECT_EQ((*reader)->Next().status().message(), status.message()) << "errors are sticky";
}

INSTANTIATE_TEST_SUITE_P(AllModes, ReadModes, ::testing::ValuesIn(kModes),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(FileReader, MissingFileNamesThePath) {
  TempDir dir;
  const std::string path = dir.file("missing");
  Result<std::unique_ptr<FileReader>> reader = OpenReader(path);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), StatusCode::kIoError);
  EXPECT_EQ(reader.status().message(), "open " + path + ": No such file or directory");
}

TEST(FileReader, DefaultOptions) {
  TempDir dir;
  const std::string path = dir.file("in");
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 6 * kMiB + 5);
  WriteFileBytes(path, data);
  Result<std::vector<std::byte>> got = ReadWhole(path, {});
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_TRUE(*got == data);
}

TEST(FileReader, DestroyWithReadsInFlight) {
  TempDir dir;
  const std::string path = dir.file("in");
  WriteFileBytes(path, MakeSampleData(SampleKind::kRandom, 2 * kMiB));
  for (const Mode& mode : kModes) {
    Result<std::unique_ptr<FileReader>> reader = OpenReader(path, SmallBuffers(mode));
    if (reader.status().code() == StatusCode::kUnsupported) continue;  // refused forced mode
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    ASSERT_TRUE((*reader)->Next().ok());
  }  // each reader goes with up to kBufferCount reads in flight
}

}  // namespace
}  // namespace dbb::io
