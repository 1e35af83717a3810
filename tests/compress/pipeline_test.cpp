#include "compress/pipeline.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "compress/decompressor.h"
#include "engine/sample_data.h"
#include "support/test_util.h"

namespace dbb::compress {
namespace {

using dbb::testing::HaveProgram;
using dbb::testing::ReadFileBytes;
using dbb::testing::RunCommand;
using dbb::testing::TempDir;

constexpr size_t kPage = 64 * kKiB;

// Bitwise CRC-32C (Castagnoli), the reference for the pipeline's isa-l checksum.
uint32_t ReferenceCrc32c(std::span<const std::byte> data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (std::byte b : data) {
    crc ^= static_cast<uint32_t>(b);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::unique_ptr<Pipeline> MakePipeline(Engine engine, size_t threads, size_t max_outputs = 2) {
  PipelineOptions o{.codec = {.engine = engine, .level = DefaultLevel(engine)},
                    .threads = threads,
                    .page_bytes = kPage,
                    .max_outputs = max_outputs};
  auto p = Pipeline::Create(o);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return std::move(p).value();
}

// Appends in pieces of random size (1 byte to 3 pages), as COPY buffers arrive.
Status AppendInPieces(Output& out, std::span<const std::byte> data, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> piece(1, 3 * kPage);
  while (!data.empty()) {
    const size_t n = std::min(piece(rng), data.size());
    DBB_RETURN_IF_ERROR(out.Append(data.first(n)));
    data = data.subspan(n);
  }
  return Status::Ok();
}

std::vector<std::byte> DecodeWithOurs(const std::string& path) {
  const auto file = ReadFileBytes(path);
  auto format = DetectFormat(file);
  EXPECT_TRUE(format.ok()) << format.status().message();
  auto d = MakeDecompressor(format.value()).value();
  std::vector<std::byte> out;
  Status st = d->Feed(file, [&](std::span<const std::byte> b) {
    out.insert(out.end(), b.begin(), b.end());
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(d->Finish().ok());
  return out;
}

TEST(Pipeline, Crc32cMatchesTheStandardCheckValue) {
  const char* check = "123456789";
  EXPECT_EQ(ReferenceCrc32c(std::as_bytes(std::span(check, 9))), 0xE3069283u);
}

struct SweepCase {
  Engine engine;
  size_t threads;
};

class PipelineSweep : public ::testing::TestWithParam<SweepCase> {};

// Every size across page boundaries: the file decodes with the system tool and with ours to the
// exact input, and the stats describe the file.
TEST_P(PipelineSweep, SizesAcrossPageBoundaries) {
  const auto [engine, threads] = GetParam();
  const std::string tool = engine == Engine::kZstd ? "zstd -dc" : "gzip -dc";
  auto pipeline = MakePipeline(engine, threads);
  TempDir dir;
  const auto data = engine::MakeSampleData(engine::SampleKind::kMixed, 7 * kPage + 3, 42);
  for (size_t size : {size_t{0}, size_t{1}, size_t{4095}, size_t{4096}, size_t{4097}, kPage - 1,
                      kPage, kPage + 1, 2 * kPage, 7 * kPage + 3}) {
    SCOPED_TRACE("size " + std::to_string(size));
    const std::string path = dir.file("t" + std::to_string(size) + FileSuffix(engine));
    auto out = pipeline->Open(path).value();
    const auto input = std::span(data).first(size);
    ASSERT_TRUE(AppendInPieces(*out, input, static_cast<uint32_t>(size)).ok());
    auto stats = out->Close();
    ASSERT_TRUE(stats.ok()) << stats.status().message();

    const auto file = ReadFileBytes(path);
    EXPECT_EQ(stats->raw_bytes, size);
    EXPECT_EQ(stats->stored_bytes, file.size());
    EXPECT_EQ(stats->members, std::max<uint64_t>(1, (size + kPage - 1) / kPage));
    EXPECT_EQ(stats->crc32c, ReferenceCrc32c(file));
    EXPECT_FALSE(std::filesystem::exists(path + ".partial"));

    const auto decoded = RunCommand(tool + " '" + path + "'");
    ASSERT_EQ(decoded.exit_code, 0);
    ASSERT_EQ(decoded.output.size(), size);
    EXPECT_EQ(std::memcmp(decoded.output.data(), input.data(), size), 0);
    EXPECT_EQ(DecodeWithOurs(path), std::vector<std::byte>(input.begin(), input.end()));
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, PipelineSweep,
                         ::testing::Values(SweepCase{Engine::kIsal, 1}, SweepCase{Engine::kIsal, 2},
                                           SweepCase{Engine::kIsal, 4},
                                           SweepCase{Engine::kLibdeflate, 2},
                                           SweepCase{Engine::kZstd, 1},
                                           SweepCase{Engine::kZstd, 3}),
                         [](const auto& p) {
                           return std::string(EngineName(p.param.engine)) + "_" +
                                  std::to_string(p.param.threads) + "threads";
                         });

// Several producers share one pipeline; each file gets exactly its own bytes, in order.
TEST(Pipeline, ConcurrentOutputsKeepTheirOwnOrder) {
  constexpr size_t kOutputs = 4;
  auto pipeline = MakePipeline(Engine::kIsal, 3, kOutputs);
  TempDir dir;
  std::vector<std::vector<std::byte>> inputs;
  for (size_t i = 0; i < kOutputs; ++i) {
    inputs.push_back(engine::MakeSampleData(engine::SampleKind::kMixed, 40 * kPage + i * 999, i));
  }
  std::vector<std::thread> producers;
  for (size_t i = 0; i < kOutputs; ++i) {
    producers.emplace_back([&, i] {
      auto out = pipeline->Open(dir.file(std::to_string(i) + ".gz")).value();
      ASSERT_TRUE(AppendInPieces(*out, inputs[i], static_cast<uint32_t>(i)).ok());
      ASSERT_TRUE(out->Close().ok());
    });
  }
  for (auto& t : producers) t.join();
  for (size_t i = 0; i < kOutputs; ++i) {
    EXPECT_EQ(DecodeWithOurs(dir.file(std::to_string(i) + ".gz")), inputs[i]) << "output " << i;
  }
}

TEST(Pipeline, NothingAtTheFinalPathUntilClose) {
  auto pipeline = MakePipeline(Engine::kIsal, 2);
  TempDir dir;
  const std::string path = dir.file("t.gz");
  auto out = pipeline->Open(path).value();
  const auto data = engine::MakeSampleData(engine::SampleKind::kText, 3 * kPage);
  ASSERT_TRUE(out->Append(data).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::exists(path + ".partial"));
  ASSERT_TRUE(out->Close().ok());
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
}

TEST(Pipeline, AbandonedOutputLeavesNoFile) {
  auto pipeline = MakePipeline(Engine::kZstd, 2);
  TempDir dir;
  {
    auto out = pipeline->Open(dir.file("t.zst")).value();
    const auto data = engine::MakeSampleData(engine::SampleKind::kRandom, 5 * kPage);
    ASSERT_TRUE(out->Append(data).ok());
  }  // destroyed without Close
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Pipeline, OpenInMissingDirectoryNamesThePath) {
  auto pipeline = MakePipeline(Engine::kIsal, 1);
  auto out = pipeline->Open("/nonexistent-dir-dbbackup/t.gz");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("/nonexistent-dir-dbbackup/t.gz.partial"),
            std::string::npos)
      << out.status().message();
}

TEST(Pipeline, RejectsBadOptionsWithTheFix) {
  auto bad_level = Pipeline::Create({.codec = {.engine = Engine::kIsal, .level = 9}});
  ASSERT_FALSE(bad_level.ok());
  EXPECT_EQ(bad_level.status().code(), StatusCode::kInvalidArgument);
  auto few_pages = Pipeline::Create({.page_count = 4, .max_outputs = 4});
  ASSERT_FALSE(few_pages.ok());
  EXPECT_EQ(few_pages.status().message(),
            "page count 4 is too small for 4 open outputs: use at least 5");
  auto huge_page = Pipeline::Create({.page_bytes = 64 * kMiB});
  EXPECT_EQ(huge_page.status().message(),
            "page size 64.0 MiB out of range: use a multiple of 4.0 KiB from 64.0 KiB to 32.0 MiB");
  auto too_much = Pipeline::Create({.threads = 256});
  EXPECT_EQ(too_much.status().message(),
            "page pool of 1028 x 1.0 MiB exceeds the 1.0 GiB limit: use fewer or smaller pages");
  auto no_threads = Pipeline::Create({.threads = 0});
  EXPECT_EQ(no_threads.status().message(), "compression threads 0 out of range: use 1 to 256");
}

// A full disk reaches the producer as kNoSpace naming the file; nothing is left behind.
TEST(Pipeline, DiskFullIsReportedAndLeavesNothing) {
  dbb::testing::ScratchMount mount("tmpfs", 1 * kMiB);
  if (!mount.ok()) GTEST_SKIP() << mount.reason();
  auto pipeline = MakePipeline(Engine::kIsal, 2);
  const std::string path = mount.path() + "/big.gz";
  auto out = pipeline->Open(path).value();
  const auto data = engine::MakeSampleData(engine::SampleKind::kRandom, 8 * kMiB);
  Status st = out->Append(data);
  Result<OutputStats> closed = st.ok() ? out->Close() : Result<OutputStats>(st);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.status().code(), StatusCode::kNoSpace) << closed.status().message();
  EXPECT_NE(closed.status().message().find(path + ".partial"), std::string::npos)
      << closed.status().message();
  EXPECT_NE(closed.status().message().find("offset"), std::string::npos);
  if (st.ok()) {
    EXPECT_FALSE(std::filesystem::exists(path));
  } else {
    out->Abort();
  }
  EXPECT_TRUE(std::filesystem::is_empty(mount.path()));
}

}  // namespace
}  // namespace dbb::compress
