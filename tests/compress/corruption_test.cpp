// Damaged input: every error is kCorrupt and names the member and where it began, whichever way
// the input was split across Feed calls.
#include <gtest/gtest.h>
#include <isa-l/crc.h>

#include <iomanip>
#include <sstream>

#include "compress/codec_test_util.h"
#include "engine/sample_data.h"

namespace dbb::compress {
namespace {

using engine::MakeSampleData;
using engine::SampleKind;
using testing::Decode;
using testing::Decoded;

uint32_t LoadLe32(const std::byte* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

std::string Hex32(uint32_t value) {
  std::ostringstream out;
  out << "0x" << std::hex << std::setw(8) << std::setfill('0') << value;
  return out.str();
}

std::string Label(const char* unit, int number, size_t offset) {
  return std::string(unit) + " " + std::to_string(number) + " (at byte " + std::to_string(offset) +
         ")";
}

// Three members of text (1000, 4097 and 3000 bytes), or of random bytes, which isa-l stores
// uncompressed, so a flipped payload byte can only show up as a CRC mismatch.
class CorruptionTest : public ::testing::TestWithParam<size_t> {
 protected:
  void Build(Engine engine, SampleKind kind) {
    data_ = MakeSampleData(kind, 8097, 31);
    offsets_.clear();
    stream_ = testing::CompressMembers({.engine = engine, .level = DefaultLevel(engine)}, data_,
                                       {1000, 4097, 3000}, &offsets_);
    ASSERT_EQ(offsets_.size(), 3u);
  }
  StreamFormat format_ = StreamFormat::kGzip;
  Decoded DecodeStream() const {
    const size_t piece = GetParam();
    return Decode(format_, stream_, piece == 0 ? testing::Whole() : testing::Pieces(piece));
  }
  void ExpectError(const std::string& message) const {
    const Decoded decoded = DecodeStream();
    EXPECT_EQ(decoded.status.code(), StatusCode::kCorrupt);
    EXPECT_EQ(decoded.status.message(), message);
  }

  std::vector<std::byte> data_;
  std::vector<std::byte> stream_;
  std::vector<size_t> offsets_;
};

TEST_P(CorruptionTest, FlippedCrc) {
  Build(Engine::kIsal, SampleKind::kText);
  std::byte* crc = stream_.data() + offsets_[2] - 8;
  const uint32_t good = LoadLe32(crc);
  crc[1] ^= std::byte{0x40};
  ExpectError(Label("gzip member", 2, offsets_[1]) + ": CRC-32 mismatch (trailer " +
              Hex32(good ^ 0x4000) + ", data " + Hex32(good) + ")");
}

TEST_P(CorruptionTest, WrongIsize) {
  Build(Engine::kLibdeflate, SampleKind::kText);
  stream_[offsets_[2] - 4] = std::byte{0x02};  // 4097 = 0x1001: low byte 01 becomes 02
  ExpectError(Label("gzip member", 2, offsets_[1]) +
              ": ISIZE mismatch (trailer says 4098 bytes, decoded 4097)");
}

TEST_P(CorruptionTest, IsizeHighByte) {
  // Off by 2^24: the whole 32-bit ISIZE is compared, not only its low bytes.
  Build(Engine::kIsal, SampleKind::kText);
  stream_[stream_.size() - 1] = std::byte{0x01};
  ExpectError(Label("gzip member", 3, offsets_[2]) +
              ": ISIZE mismatch (trailer says 16780216 bytes, decoded 3000)");
}

TEST_P(CorruptionTest, FlippedStoredPayloadByte) {
  Build(Engine::kIsal, SampleKind::kRandom);
  // Member 2 is stored: 10-byte header, 5-byte block header, then the data itself.
  const size_t at = offsets_[1] + 10 + 5 + 2000;
  ASSERT_EQ(stream_[at], data_[1000 + 2000]);
  const uint32_t good = LoadLe32(stream_.data() + offsets_[2] - 8);
  stream_[at] ^= std::byte{0x01};
  std::vector<std::byte> damaged(data_.begin() + 1000, data_.begin() + 5097);
  damaged[2000] ^= std::byte{0x01};
  const uint32_t bad =
      crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(damaged.data()), damaged.size());
  ExpectError(Label("gzip member", 2, offsets_[1]) + ": CRC-32 mismatch (trailer " + Hex32(good) +
              ", data " + Hex32(bad) + ")");
}

TEST_P(CorruptionTest, FlippedDeflatePayloadByte) {
  // What a damaged Huffman stream turns into depends on the bit; any of these is right.
  Build(Engine::kLibdeflate, SampleKind::kText);
  for (size_t delta : {size_t{40}, size_t{200}, size_t{500}}) {
    stream_[offsets_[1] + delta] ^= std::byte{0x10};
    const Decoded decoded = DecodeStream();
    stream_[offsets_[1] + delta] ^= std::byte{0x10};
    EXPECT_EQ(decoded.status.code(), StatusCode::kCorrupt);
    const std::string prefix = Label("gzip member", 2, offsets_[1]) + ": ";
    ASSERT_EQ(decoded.status.message().substr(0, prefix.size()), prefix);
    const std::string detail = decoded.status.message().substr(prefix.size());
    EXPECT_TRUE(detail.starts_with("CRC-32 mismatch") || detail.starts_with("ISIZE mismatch") ||
                detail.starts_with("invalid deflate"))
        << detail;
  }
}

TEST_P(CorruptionTest, TruncatedInsideAMember) {
  Build(Engine::kIsal, SampleKind::kText);
  const std::vector<std::byte> whole = stream_;
  stream_.resize(offsets_[1] + 30);
  ExpectError("truncated: stream ends inside " + Label("gzip member", 2, offsets_[1]));
  // Only the last byte of the trailer missing.
  stream_.assign(whole.begin(), whole.begin() + static_cast<ptrdiff_t>(offsets_[2] - 1));
  ExpectError("truncated: stream ends inside " + Label("gzip member", 2, offsets_[1]));
}

TEST_P(CorruptionTest, TruncatedAfterAMagicByte) {
  Build(Engine::kIsal, SampleKind::kText);
  stream_.push_back(std::byte{0x1f});
  ExpectError("truncated: stream ends inside " + Label("gzip member", 4, stream_.size() - 1));
}

TEST_P(CorruptionTest, TrailingZeros) {
  // gzip -dc accepts trailing zeros with a warning; a backup with them is damaged.
  Build(Engine::kIsal, SampleKind::kText);
  const size_t end = stream_.size();
  stream_.insert(stream_.end(), 3, std::byte{0});
  ExpectError(Label("gzip member", 4, end) + ": trailing garbage, not a gzip header");
}

TEST_P(CorruptionTest, TrailingBadHeader) {
  Build(Engine::kIsal, SampleKind::kText);
  const size_t end = stream_.size();
  const std::vector<std::byte> bad = testing::Bytes("\x1f\x8b\x07 some text after the end");
  stream_.insert(stream_.end(), bad.begin(), bad.end());
  ExpectError(Label("gzip member", 4, end) + ": gzip header names a method other than deflate");
}

TEST_P(CorruptionTest, NotGzipAtAll) {
  stream_ = testing::Bytes("id\tname\n1\tACADEMY DINOSAUR\n");
  ExpectError(Label("gzip member", 1, 0) + ": not a gzip header");
}

TEST_P(CorruptionTest, ZstdFlippedChecksum) {
  format_ = StreamFormat::kZstd;
  Build(Engine::kZstd, SampleKind::kText);
  stream_[offsets_[2] - 2] ^= std::byte{0x01};
  ExpectError(Label("zstd frame", 2, offsets_[1]) + ": content checksum mismatch");
}

TEST_P(CorruptionTest, ZstdFlippedPayloadByte) {
  format_ = StreamFormat::kZstd;
  Build(Engine::kZstd, SampleKind::kText);
  stream_[offsets_[1] + 100] ^= std::byte{0x10};
  const Decoded decoded = DecodeStream();
  EXPECT_EQ(decoded.status.code(), StatusCode::kCorrupt);
  const std::string prefix = Label("zstd frame", 2, offsets_[1]) + ": ";
  EXPECT_EQ(decoded.status.message().substr(0, prefix.size()), prefix) << decoded.status.message();
}

TEST_P(CorruptionTest, ZstdTruncatedAndTrailingGarbage) {
  format_ = StreamFormat::kZstd;
  Build(Engine::kZstd, SampleKind::kText);
  const std::vector<std::byte> whole = stream_;
  stream_.resize(offsets_[2] - 3);
  ExpectError("truncated: stream ends inside " + Label("zstd frame", 2, offsets_[1]));
  stream_ = whole;
  stream_.insert(stream_.end(), 2, std::byte{0});
  ExpectError(Label("zstd frame", 4, whole.size()) + ": trailing garbage, not a zstd header");
}

std::string SplitName(const ::testing::TestParamInfo<size_t>& param) {
  return param.param == 0 ? std::string("Whole") : "Pieces" + std::to_string(param.param);
}

INSTANTIATE_TEST_SUITE_P(Compress, CorruptionTest, ::testing::Values(0, 1, 7), SplitName);

TEST(CompressCorruption, EmptyInput) {
  EXPECT_EQ(Decode(StreamFormat::kGzip, {}).status.message(), "empty input: no gzip member");
  EXPECT_EQ(Decode(StreamFormat::kZstd, {}).status.message(), "empty input: no zstd frame");
  EXPECT_EQ(Decode(StreamFormat::kGzip, {}).status.code(), StatusCode::kCorrupt);
}

// Every strict prefix of a stream that does not end at a member boundary is an error, and every
// one that does decodes to exactly the members before it.
TEST(CompressCorruption, EveryTruncationIsCaught) {
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 1500, 3);
  for (Engine engine : {Engine::kIsal, Engine::kZstd}) {
    std::vector<size_t> offsets;
    const std::vector<std::byte> stream =
        testing::CompressMembers({.engine = engine, .level = 1}, data, {700, 0, 800}, &offsets);
    offsets.push_back(stream.size());
    for (size_t cut = 1; cut < stream.size(); ++cut) {
      const Decoded decoded =
          Decode(testing::FormatOf(engine), std::span(stream).first(cut), testing::Pieces(5));
      const bool boundary = std::find(offsets.begin(), offsets.end(), cut) != offsets.end();
      EXPECT_EQ(decoded.status.ok(), boundary) << EngineName(engine) << " cut at " << cut;
    }
  }
}

TEST(CompressCorruption, ErrorsAreSticky) {
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kText, 3000, 3);
  const std::vector<std::byte> good =
      testing::CompressMembers({.engine = Engine::kIsal, .level = 1}, data, {3000});
  auto decompressor = MakeDecompressor(StreamFormat::kGzip);
  ASSERT_TRUE(decompressor.ok());
  const ByteSink ignore = [](std::span<const std::byte>) { return Status::Ok(); };
  const Status first = (*decompressor)->Feed(testing::Bytes("garbage!"), ignore);
  EXPECT_EQ(first.message(), "gzip member 1 (at byte 0): not a gzip header");
  EXPECT_EQ((*decompressor)->Feed(good, ignore).message(), first.message());
  EXPECT_EQ((*decompressor)->Finish().message(), first.message());
}

}  // namespace
}  // namespace dbb::compress
