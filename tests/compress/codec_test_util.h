// Helpers shared by the compress tests: compressing data into a stream of members, and decoding a
// stream fed in pieces of chosen sizes.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "compress/codec.h"
#include "compress/decompressor.h"

namespace dbb::compress {

// So that gtest names a parameter "isal-1" instead of dumping its bytes.
inline void PrintTo(const CodecOptions& options, std::ostream* os) {
  *os << EngineName(options.engine) << "-" << options.level;
}

}  // namespace dbb::compress

namespace dbb::compress::testing {

inline StreamFormat FormatOf(Engine engine) {
  return engine == Engine::kZstd ? StreamFormat::kZstd : StreamFormat::kGzip;
}

// Test names for suites parameterized by CodecOptions: "isal1", "zstd19".
// Every engine at its lowest, default and highest levels (isal: all four).
inline auto AllCodecLevels() {
  return ::testing::Values(CodecOptions{Engine::kIsal, 0}, CodecOptions{Engine::kIsal, 1},
                           CodecOptions{Engine::kIsal, 2}, CodecOptions{Engine::kIsal, 3},
                           CodecOptions{Engine::kLibdeflate, 1},
                           CodecOptions{Engine::kLibdeflate, 6},
                           CodecOptions{Engine::kLibdeflate, 12}, CodecOptions{Engine::kZstd, 1},
                           CodecOptions{Engine::kZstd, 3}, CodecOptions{Engine::kZstd, 19});
}

inline std::string ParamName(const ::testing::TestParamInfo<CodecOptions>& param) {
  return std::string(EngineName(param.param.engine)) + std::to_string(param.param.level);
}

inline std::vector<std::byte> Bytes(std::string_view text) {
  std::vector<std::byte> out(text.size());
  std::transform(text.begin(), text.end(), out.begin(), [](char c) { return std::byte(c); });
  return out;
}

// Byte-for-byte equality that reports the first difference instead of dumping both buffers.
inline ::testing::AssertionResult SameBytes(std::span<const std::byte> actual,
                                            std::span<const std::byte> expected) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "got " << actual.size() << " bytes, expected " << expected.size();
  }
  const auto diff = std::mismatch(actual.begin(), actual.end(), expected.begin());
  if (diff.first != actual.end()) {
    return ::testing::AssertionFailure()
           << "first difference at byte " << (diff.first - actual.begin()) << " of "
           << actual.size();
  }
  return ::testing::AssertionSuccess();
}

// One member, through an output buffer of exactly MaxCompressedBytes so that AddressSanitizer
// catches a write past the bound.
inline std::vector<std::byte> CompressOne(Compressor& compressor,
                                          std::span<const std::byte> input) {
  std::vector<std::byte> out(compressor.MaxCompressedBytes(input.size()));
  Result<size_t> written = compressor.Compress(input, out);
  EXPECT_TRUE(written.ok()) << written.status().message();
  if (!written.ok()) return {};
  EXPECT_LE(*written, out.size());
  out.resize(*written);
  return out;
}

// Compresses `data` split at `member_sizes` (cycled) into one member each, concatenated. Records
// where each member starts in `member_offsets` when given.
inline std::vector<std::byte> CompressMembers(const CodecOptions& options,
                                              std::span<const std::byte> data,
                                              const std::vector<size_t>& member_sizes,
                                              std::vector<size_t>* member_offsets = nullptr) {
  auto compressor = MakeCompressor(options);
  EXPECT_TRUE(compressor.ok()) << compressor.status().message();
  std::vector<std::byte> stream;
  size_t offset = 0;
  for (size_t i = 0; offset < data.size() || i == 0; ++i) {
    const size_t n = std::min(member_sizes[i % member_sizes.size()], data.size() - offset);
    if (member_offsets != nullptr) member_offsets->push_back(stream.size());
    const std::vector<std::byte> member = CompressOne(**compressor, data.subspan(offset, n));
    stream.insert(stream.end(), member.begin(), member.end());
    offset += n;
  }
  return stream;
}

// Sizes of the pieces a stream is fed in: called with the bytes left, returns the next piece.
using Splitter = std::function<size_t(size_t left)>;

inline Splitter Whole() {
  return [](size_t left) { return left; };
}
inline Splitter Pieces(size_t n) {
  return [n](size_t left) { return std::min(n, left); };
}
// Random pieces of 1 to `max_bytes`, repeatable by seed.
inline Splitter RandomPieces(uint64_t seed, size_t max_bytes) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng, max_bytes](size_t left) {
    return std::min(left, 1 + static_cast<size_t>((*rng)() % max_bytes));
  };
}

struct Decoded {
  Status status;  // the first error of Feed or Finish
  std::vector<std::byte> output;
  uint64_t members = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  size_t largest_piece_out = 0;  // largest view the sink received
};

inline Decoded Decode(StreamFormat format, std::span<const std::byte> stream,
                      const Splitter& split = Whole()) {
  Decoded result;
  auto decompressor = MakeDecompressor(format);
  EXPECT_TRUE(decompressor.ok()) << decompressor.status().message();
  const ByteSink sink = [&result](std::span<const std::byte> piece) {
    result.output.insert(result.output.end(), piece.begin(), piece.end());
    result.largest_piece_out = std::max(result.largest_piece_out, piece.size());
    return Status::Ok();
  };
  size_t offset = 0;
  while (offset < stream.size() && result.status.ok()) {
    const size_t n = split(stream.size() - offset);
    result.status = (*decompressor)->Feed(stream.subspan(offset, n), sink);
    offset += n;
  }
  if (result.status.ok()) result.status = (*decompressor)->Finish();
  result.members = (*decompressor)->members();
  result.bytes_in = (*decompressor)->bytes_in();
  result.bytes_out = (*decompressor)->bytes_out();
  return result;
}

}  // namespace dbb::compress::testing
