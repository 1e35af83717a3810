// Engine names, level ranges and the messages that tell a user which engine takes their level.
#include "compress/codec.h"

#include <gtest/gtest.h>

namespace dbb::compress {
namespace {

TEST(CompressCodec, NamesRoundTrip) {
  for (Engine engine : {Engine::kIsal, Engine::kLibdeflate, Engine::kZstd}) {
    Result<Engine> parsed = ParseEngine(EngineName(engine));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(*parsed, engine);
  }
  EXPECT_STREQ(EngineName(Engine::kIsal), "isal");
  EXPECT_STREQ(EngineName(Engine::kLibdeflate), "libdeflate");
  EXPECT_STREQ(EngineName(Engine::kZstd), "zstd");
  EXPECT_EQ(ParseEngine("ZSTD").value(), Engine::kZstd);
}

TEST(CompressCodec, UnknownEngineListsTheValidNames) {
  Result<Engine> parsed = ParseEngine("gzip");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(),
            "unknown compression engine 'gzip' (valid: isal, libdeflate, zstd)");
  EXPECT_FALSE(ParseEngine("").ok());
  EXPECT_FALSE(ParseEngine("isal ").ok());
}

TEST(CompressCodec, LevelRangesAndDefaults) {
  EXPECT_EQ(MinLevel(Engine::kIsal), 0);
  EXPECT_EQ(MaxLevel(Engine::kIsal), 3);
  EXPECT_EQ(DefaultLevel(Engine::kIsal), 1);
  EXPECT_EQ(MinLevel(Engine::kLibdeflate), 1);
  EXPECT_EQ(MaxLevel(Engine::kLibdeflate), 12);
  EXPECT_EQ(DefaultLevel(Engine::kLibdeflate), 6);
  EXPECT_EQ(MinLevel(Engine::kZstd), 1);
  EXPECT_EQ(MaxLevel(Engine::kZstd), 19);
  EXPECT_EQ(DefaultLevel(Engine::kZstd), 1);
  const CodecOptions defaults;
  EXPECT_EQ(defaults.engine, Engine::kIsal);
  EXPECT_EQ(defaults.level, DefaultLevel(Engine::kIsal));
}

TEST(CompressCodec, EveryLevelInRangeIsValid) {
  for (Engine engine : {Engine::kIsal, Engine::kLibdeflate, Engine::kZstd}) {
    for (int level = MinLevel(engine); level <= MaxLevel(engine); ++level) {
      EXPECT_TRUE(ValidateCodec({.engine = engine, .level = level}).ok())
          << EngineName(engine) << " " << level;
    }
  }
}

void ExpectLevelError(Engine engine, int level, const std::string& message) {
  const Status status = ValidateCodec({.engine = engine, .level = level});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), message);
}

TEST(CompressCodec, OutOfRangeLevelNamesTheEngineThatTakesIt) {
  ExpectLevelError(Engine::kIsal, 5,
                   "compression level 5 is out of range for isal (0-3); use --compress-engine "
                   "libdeflate for levels 1-12");
  ExpectLevelError(Engine::kIsal, 15,
                   "compression level 15 is out of range for isal (0-3); use --compress-engine "
                   "zstd for levels 1-19");
  ExpectLevelError(Engine::kLibdeflate, 0,
                   "compression level 0 is out of range for libdeflate (1-12); use "
                   "--compress-engine isal for levels 0-3");
  ExpectLevelError(Engine::kLibdeflate, 13,
                   "compression level 13 is out of range for libdeflate (1-12); use "
                   "--compress-engine zstd for levels 1-19");
}

TEST(CompressCodec, OutOfRangeLevelWithoutAnyEngineForIt) {
  ExpectLevelError(Engine::kIsal, -1, "compression level -1 is out of range for isal (0-3)");
  ExpectLevelError(Engine::kIsal, 20, "compression level 20 is out of range for isal (0-3)");
  // zstd users are not sent to a gzip engine: that would change the file format.
  ExpectLevelError(Engine::kZstd, 0, "compression level 0 is out of range for zstd (1-19)");
  ExpectLevelError(Engine::kZstd, 22, "compression level 22 is out of range for zstd (1-19)");
}

TEST(CompressCodec, MakeCompressorValidatesFirst) {
  auto compressor = MakeCompressor({.engine = Engine::kIsal, .level = 4});
  ASSERT_FALSE(compressor.ok());
  EXPECT_EQ(compressor.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(compressor.status().message(),
            "compression level 4 is out of range for isal (0-3); use --compress-engine libdeflate "
            "for levels 1-12");
}

TEST(CompressCodec, FileSuffix) {
  EXPECT_STREQ(FileSuffix(Engine::kIsal), ".gz");
  EXPECT_STREQ(FileSuffix(Engine::kLibdeflate), ".gz");
  EXPECT_STREQ(FileSuffix(Engine::kZstd), ".zst");
}

}  // namespace
}  // namespace dbb::compress
