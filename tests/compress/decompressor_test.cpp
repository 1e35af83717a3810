// The streaming decoder: input split at any byte, members of any size, counters, output pieces,
// format detection and the sink's errors.
#include "compress/decompressor.h"

#include <gtest/gtest.h>
#include <isa-l/crc.h>

#include <random>

#include "compress/codec_test_util.h"
#include "engine/sample_data.h"

namespace dbb::compress {
namespace {

using engine::MakeSampleData;
using engine::SampleKind;
using testing::Decode;
using testing::SameBytes;

// Member sizes from 0 bytes to 300 KiB, in an order no decoder buffer lines up with.
std::vector<size_t> VariedMemberSizes() {
  std::vector<size_t> sizes = {0, 1, 2, 17, 4096, 65535, 65537, 300000, 0, 3};
  std::mt19937_64 rng(11);
  for (int i = 0; i < 6; ++i) sizes.push_back(rng() % 20000);
  return sizes;
}

class SplitFeedTest : public ::testing::TestWithParam<CodecOptions> {
 protected:
  void SetUp() override {
    data_ = MakeSampleData(SampleKind::kMixed, 700000, 21);
    stream_ = testing::CompressMembers(GetParam(), data_, VariedMemberSizes(), &offsets_);
  }
  StreamFormat format() const { return testing::FormatOf(GetParam().engine); }
  void ExpectDecodes(const testing::Splitter& split) {
    const testing::Decoded decoded = Decode(format(), stream_, split);
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
    EXPECT_TRUE(SameBytes(decoded.output, data_));
    EXPECT_EQ(decoded.members, offsets_.size());
    EXPECT_EQ(decoded.bytes_in, stream_.size());
    EXPECT_EQ(decoded.bytes_out, data_.size());
  }

  std::vector<std::byte> data_;
  std::vector<std::byte> stream_;
  std::vector<size_t> offsets_;  // where each member starts
};

TEST_P(SplitFeedTest, WholeStream) { ExpectDecodes(testing::Whole()); }
TEST_P(SplitFeedTest, OneByteAtATime) { ExpectDecodes(testing::Pieces(1)); }
TEST_P(SplitFeedTest, SevenBytesAtATime) { ExpectDecodes(testing::Pieces(7)); }
TEST_P(SplitFeedTest, RandomPieces) {
  for (uint64_t seed = 1; seed <= 4; ++seed) ExpectDecodes(testing::RandomPieces(seed, 5000));
}

// Feed calls that end exactly at member boundaries, and just after a member's first byte.
TEST_P(SplitFeedTest, PiecesEndingAtMemberBoundaries) {
  std::vector<size_t> cuts;
  for (size_t offset : offsets_) cuts.insert(cuts.end(), {offset, offset + 1});
  cuts.push_back(stream_.size());
  std::sort(cuts.begin(), cuts.end());
  auto next_cut = std::make_shared<size_t>(0);
  const size_t total = stream_.size();
  ExpectDecodes([cuts, next_cut, total](size_t left) {
    const size_t at = total - left;
    while (*next_cut < cuts.size() && cuts[*next_cut] <= at) ++*next_cut;
    return std::min(left, (*next_cut < cuts.size() ? cuts[*next_cut] : total) - at);
  });
}

INSTANTIATE_TEST_SUITE_P(Compress, SplitFeedTest,
                         ::testing::Values(CodecOptions{Engine::kIsal, 0},
                                           CodecOptions{Engine::kIsal, 1},
                                           CodecOptions{Engine::kLibdeflate, 6},
                                           CodecOptions{Engine::kZstd, 3}),
                         testing::ParamName);

TEST(CompressDecompressor, OutputComesInPiecesOfAtMost256KiB) {
  // 4 MiB of text in one member decodes to many sink calls, none larger than the buffer.
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kText, 4 << 20, 8);
  for (Engine engine : {Engine::kIsal, Engine::kZstd}) {
    const std::vector<std::byte> stream =
        testing::CompressMembers({.engine = engine, .level = 1}, data, {data.size()});
    const testing::Decoded decoded = Decode(testing::FormatOf(engine), stream);
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
    EXPECT_TRUE(SameBytes(decoded.output, data));
    EXPECT_LE(decoded.largest_piece_out, 256u * 1024);
  }
}

TEST(CompressDecompressor, StreamOfEmptyMembers) {
  for (Engine engine : {Engine::kIsal, Engine::kLibdeflate, Engine::kZstd}) {
    auto compressor = MakeCompressor({.engine = engine, .level = DefaultLevel(engine)});
    ASSERT_TRUE(compressor.ok());
    std::vector<std::byte> stream;
    for (int i = 0; i < 5; ++i) {
      const std::vector<std::byte> member = testing::CompressOne(**compressor, {});
      stream.insert(stream.end(), member.begin(), member.end());
    }
    const testing::Decoded decoded = Decode(testing::FormatOf(engine), stream, testing::Pieces(3));
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
    EXPECT_TRUE(decoded.output.empty());
    EXPECT_EQ(decoded.members, 5u);
  }
}

TEST(CompressDecompressor, EmptyFeedIsANoOp) {
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kText, 5000, 1);
  for (Engine engine : {Engine::kIsal, Engine::kZstd}) {
    const std::vector<std::byte> stream =
        testing::CompressMembers({.engine = engine, .level = 1}, data, {data.size()});
    auto decompressor = MakeDecompressor(testing::FormatOf(engine));
    ASSERT_TRUE(decompressor.ok());
    std::vector<std::byte> out;
    const ByteSink sink = [&out](std::span<const std::byte> piece) {
      out.insert(out.end(), piece.begin(), piece.end());
      return Status::Ok();
    };
    // Many empty calls mid-member: zstd fails a stream after 16 calls without progress.
    const std::span<const std::byte> all(stream);
    ASSERT_TRUE((*decompressor)->Feed(all.first(10), sink).ok());
    for (int i = 0; i < 40; ++i) ASSERT_TRUE((*decompressor)->Feed({}, sink).ok());
    ASSERT_TRUE((*decompressor)->Feed(all.subspan(10), sink).ok());
    ASSERT_TRUE((*decompressor)->Finish().ok());
    EXPECT_TRUE(SameBytes(out, data));
  }
}

TEST(CompressDecompressor, SinkErrorStopsDecodingAndSticks) {
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kText, 1 << 20, 2);
  const std::vector<std::byte> stream =
      testing::CompressMembers({.engine = Engine::kIsal, .level = 1}, data, {65536});
  auto decompressor = MakeDecompressor(StreamFormat::kGzip);
  ASSERT_TRUE(decompressor.ok());
  int calls = 0;
  const ByteSink sink = [&calls](std::span<const std::byte>) {
    return ++calls == 2 ? Status(StatusCode::kIoError, "restore pipe closed") : Status::Ok();
  };
  const Status first = (*decompressor)->Feed(stream, sink);
  EXPECT_EQ(first.code(), StatusCode::kIoError);
  EXPECT_EQ(first.message(), "restore pipe closed");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ((*decompressor)->Feed(stream, sink).message(), "restore pipe closed");
  EXPECT_EQ((*decompressor)->Finish().message(), "restore pipe closed");
  EXPECT_EQ(calls, 2);
}

// gzip headers may carry FEXTRA, FNAME, FCOMMENT and a header CRC-16; pigz and gzip write only
// some of them. Built by hand here and fed a byte at a time, so every field straddles a call.
TEST(CompressDecompressor, GzipHeaderWithEveryOptionalField) {
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kText, 5000, 6);
  const std::vector<std::byte> plain =
      testing::CompressMembers({.engine = Engine::kLibdeflate, .level = 6}, data, {data.size()});
  std::vector<std::byte> header =
      testing::Bytes("\x1f\x8b\x08\x1e");  // FEXTRA|FNAME|FCOMMENT|FHCRC
  const std::vector<std::byte> rest =
      testing::Bytes(std::string_view("\0\0\0\0\x02\x03"  // mtime, XFL, OS
                                      "\x06\0AB\x02\0xy"  // XLEN 6: subfield "AB" of 2 bytes
                                      "table.copy\0"      // FNAME
                                      "a comment\0",      // FCOMMENT
                                      6 + 8 + 11 + 10));
  header.insert(header.end(), rest.begin(), rest.end());
  const uint32_t crc =
      crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(header.data()), header.size());
  header.push_back(std::byte(crc & 0xff));
  header.push_back(std::byte((crc >> 8) & 0xff));
  // Our member's own header is the 10 fixed bytes; swap it for the long one, twice over.
  std::vector<std::byte> stream;
  for (int i = 0; i < 2; ++i) {
    stream.insert(stream.end(), header.begin(), header.end());
    stream.insert(stream.end(), plain.begin() + 10, plain.end());
  }
  std::vector<std::byte> expected = data;
  expected.insert(expected.end(), data.begin(), data.end());
  for (size_t piece : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, stream.size()}) {
    const testing::Decoded decoded = Decode(StreamFormat::kGzip, stream, testing::Pieces(piece));
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message() << " in pieces of " << piece;
    EXPECT_TRUE(SameBytes(decoded.output, expected));
    EXPECT_EQ(decoded.members, 2u);
  }

  // A damaged header CRC-16 is caught too, in the member whose header it is.
  stream[header.size() + (stream.size() / 2) - 1] ^= std::byte{0x01};
  for (size_t piece : {size_t{1}, stream.size()}) {
    EXPECT_EQ(Decode(StreamFormat::kGzip, stream, testing::Pieces(piece)).status.message(),
              "gzip member 2 (at byte " + std::to_string(stream.size() / 2) +
                  "): gzip header CRC-16 mismatch");
  }
}

TEST(CompressDetectFormat, RecognisesMagic) {
  using namespace std::string_view_literals;
  EXPECT_EQ(DetectFormat(testing::Bytes("\x1f\x8b\x08\x00"sv)).value(), StreamFormat::kGzip);
  EXPECT_EQ(DetectFormat(testing::Bytes("\x1f\x8b")).value(), StreamFormat::kGzip);
  EXPECT_EQ(DetectFormat(testing::Bytes("\x28\xb5\x2f\xfd\x00"sv)).value(), StreamFormat::kZstd);
  // A skippable frame, as pzstd writes first.
  EXPECT_EQ(DetectFormat(testing::Bytes("\x50\x2a\x4d\x18")).value(), StreamFormat::kZstd);
}

TEST(CompressDetectFormat, RejectsOtherData) {
  Result<StreamFormat> text = DetectFormat(testing::Bytes("COPY t FROM"));
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(text.status().message(), "neither gzip nor zstd (starts with 43 4f 50 59)");
  Result<StreamFormat> empty = DetectFormat({});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "empty input: neither gzip nor zstd");
  EXPECT_EQ(DetectFormat(testing::Bytes("\x28\xb5\x2f")).status().message(),
            "neither gzip nor zstd (starts with 28 b5 2f)");
}

}  // namespace
}  // namespace dbb::compress
