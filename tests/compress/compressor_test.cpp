// Every engine and a spread of levels: sizes across block and buffer boundaries, text-like,
// random and mixed data, each Compress call a complete member within MaxCompressedBytes.
#include <gtest/gtest.h>
#include <isa-l/crc.h>
#include <zstd.h>

#include <random>

#include "common/units.h"
#include "compress/codec_test_util.h"
#include "engine/sample_data.h"

namespace dbb::compress {
namespace {

using engine::MakeSampleData;
using engine::SampleKind;
using engine::SampleKindName;
using testing::CompressOne;
using testing::Decode;
using testing::SameBytes;

constexpr SampleKind kKinds[] = {SampleKind::kText, SampleKind::kRandom, SampleKind::kMixed};

// Sizes around the 4 KiB page, the 64 KiB stored-block and window sizes, the 256 KiB decoder
// buffer and 1 MiB, plus a few random ones.
std::vector<size_t> SweepSizes(bool slow_level) {
  std::vector<size_t> sizes = {0, 1, 4095, 4096, 4097, 65535, 65536, 65537};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 3; ++i) sizes.push_back(rng() % (slow_level ? 65536 : 300000));
  if (slow_level) return sizes;
  sizes.insert(sizes.end(), {kMiB - 1, kMiB, kMiB + 1, 3 * kMiB + 17});
  return sizes;
}

class CompressorTest : public ::testing::TestWithParam<CodecOptions> {};

// The slowest settings (libdeflate 12, zstd 19) only get the small sizes, to keep the suite fast.
bool IsSlow(const CodecOptions& options) {
  return (options.engine == Engine::kLibdeflate && options.level >= 10) ||
         (options.engine == Engine::kZstd && options.level >= 12);
}

TEST_P(CompressorTest, RoundTripsEverySizeAndKind) {
  auto compressor = MakeCompressor(GetParam());
  ASSERT_TRUE(compressor.ok()) << compressor.status().message();
  for (SampleKind kind : kKinds) {
    for (size_t size : SweepSizes(IsSlow(GetParam()))) {
      SCOPED_TRACE(std::string(SampleKindName(kind)) + " " + std::to_string(size) + " bytes");
      const std::vector<std::byte> data = MakeSampleData(kind, size, size + 7);
      const std::vector<std::byte> member = CompressOne(**compressor, data);
      ASSERT_FALSE(member.empty());
      const testing::Decoded decoded = Decode(testing::FormatOf(GetParam().engine), member);
      ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
      EXPECT_EQ(decoded.members, 1u);
      EXPECT_EQ(decoded.bytes_in, member.size());
      EXPECT_TRUE(SameBytes(decoded.output, data));
    }
  }
}

// Incompressible input must still fit the bound, and gzip engines must not expand it beyond
// stored blocks (5 bytes per 64 KiB) plus the gzip header and trailer.
TEST_P(CompressorTest, IncompressibleDataStaysWithinStoredSize) {
  auto compressor = MakeCompressor(GetParam());
  ASSERT_TRUE(compressor.ok());
  for (size_t size : {size_t{1}, size_t{100}, size_t{65535}, size_t{65536}, size_t{200000}}) {
    const std::vector<std::byte> data = MakeSampleData(SampleKind::kRandom, size, 99);
    const std::vector<std::byte> member = CompressOne(**compressor, data);
    const size_t blocks = (size + 65534) / 65535;
    if (GetParam().engine != Engine::kZstd) {
      EXPECT_LE(member.size(), size + 5 * blocks + 18) << size << " bytes";
    } else {
      EXPECT_LE(member.size(), size + 3 * (size / 131072 + 1) + 18 + 4) << size << " bytes";
    }
  }
}

// Patterns that are easy to get wrong: runs (isa-l has a special path for zeros and 0xff),
// a two-byte period, and bytes that are rare in text (long codes in isa-l's built-in table).
TEST_P(CompressorTest, RoundTripsAwkwardPatterns) {
  auto compressor = MakeCompressor(GetParam());
  ASSERT_TRUE(compressor.ok());
  std::vector<std::vector<std::byte>> inputs;
  inputs.emplace_back(100000, std::byte{0});
  inputs.emplace_back(70000, std::byte{0xff});
  inputs.emplace_back(7, std::byte{0});
  std::vector<std::byte> period(90000);
  for (size_t i = 0; i < period.size(); ++i) period[i] = std::byte(i % 2 ? 'a' : 'b');
  inputs.push_back(period);
  std::vector<std::byte> high(90000);
  std::mt19937_64 rng(5);
  for (std::byte& b : high) b = std::byte(0xf0 | (rng() & 0x0f));
  inputs.push_back(high);
  for (const std::vector<std::byte>& data : inputs) {
    const std::vector<std::byte> member = CompressOne(**compressor, data);
    const testing::Decoded decoded = Decode(testing::FormatOf(GetParam().engine), member);
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
    EXPECT_TRUE(SameBytes(decoded.output, data));
  }
}

// A member depends only on its own input: nothing leaks from one call into the next.
TEST_P(CompressorTest, CallsAreIndependent) {
  auto reused = MakeCompressor(GetParam());
  ASSERT_TRUE(reused.ok());
  const std::vector<std::byte> a = MakeSampleData(SampleKind::kMixed, 150000, 1);
  const std::vector<std::byte> b = MakeSampleData(SampleKind::kText, 70000, 2);
  const std::vector<std::byte> first = CompressOne(**reused, a);
  (void)CompressOne(**reused, b);
  EXPECT_EQ(CompressOne(**reused, a), first);
  auto fresh = MakeCompressor(GetParam());
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(CompressOne(**fresh, a), first);
}

TEST_P(CompressorTest, ConcatenatedMembersDecodeAsOneStream) {
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 600000, 3);
  // A zero-length member in the middle, a 1-byte one, and sizes that straddle 64 KiB.
  const std::vector<size_t> sizes = {70000, 0, 1, 65536, 131071, 4096};
  const std::vector<std::byte> stream = testing::CompressMembers(GetParam(), data, sizes);
  const testing::Decoded decoded = Decode(testing::FormatOf(GetParam().engine), stream);
  ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
  EXPECT_TRUE(SameBytes(decoded.output, data));
  EXPECT_EQ(decoded.bytes_in, stream.size());
  EXPECT_EQ(decoded.bytes_out, data.size());
  EXPECT_GT(decoded.members, 6u);
}

INSTANTIATE_TEST_SUITE_P(Compress, CompressorTest, testing::AllCodecLevels(), testing::ParamName);

uint32_t LoadLe32(const std::byte* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

// The gzip member carries the CRC-32 and length of exactly this call's input.
TEST(CompressGzipMember, HeaderAndTrailer) {
  for (Engine engine : {Engine::kIsal, Engine::kLibdeflate}) {
    auto compressor = MakeCompressor({.engine = engine, .level = DefaultLevel(engine)});
    ASSERT_TRUE(compressor.ok());
    for (size_t size : {size_t{0}, size_t{4097}}) {
      const std::vector<std::byte> data = MakeSampleData(SampleKind::kText, size, 4);
      const std::vector<std::byte> member = CompressOne(**compressor, data);
      ASSERT_GE(member.size(), 18u);
      EXPECT_EQ(member[0], std::byte{0x1f});
      EXPECT_EQ(member[1], std::byte{0x8b});
      EXPECT_EQ(member[2], std::byte{8});  // deflate
      const auto* raw = reinterpret_cast<const unsigned char*>(data.data());
      EXPECT_EQ(LoadLe32(member.data() + member.size() - 8), crc32_gzip_refl(0, raw, size));
      EXPECT_EQ(LoadLe32(member.data() + member.size() - 4), size);
    }
  }
}

// The zstd frame records its content size and ends with a content checksum.
TEST(CompressZstdFrame, ContentSizeAndChecksum) {
  auto compressor = MakeCompressor({.engine = Engine::kZstd, .level = 3});
  ASSERT_TRUE(compressor.ok());
  for (size_t size : {size_t{0}, size_t{1}, size_t{300000}}) {
    const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, size, 5);
    const std::vector<std::byte> frame = CompressOne(**compressor, data);
    ASSERT_GE(frame.size(), 9u);
    EXPECT_EQ(ZSTD_getFrameContentSize(frame.data(), frame.size()), size);
    const auto descriptor = static_cast<unsigned>(frame[4]);
    EXPECT_TRUE(descriptor & 0x04) << "Content_Checksum_flag not set";
    EXPECT_EQ(ZSTD_findFrameCompressedSize(frame.data(), frame.size()), frame.size());
  }
}

}  // namespace
}  // namespace dbb::compress
