// Interoperability with the standard tools, both ways: what we write, `gzip -dc`, `pigz -dc` and
// `zstd -dc` read back byte for byte; what gzip, pigz and zstd write, we read.
#include <gtest/gtest.h>

#include <cstring>

#include "compress/codec_test_util.h"
#include "engine/sample_data.h"
#include "support/test_util.h"

namespace dbb::compress {
namespace {

using engine::MakeSampleData;
using engine::SampleKind;
using testing::SameBytes;

::testing::AssertionResult HaveTool(const std::string& name) {
  if (dbb::testing::HaveProgram(name)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << name << " is needed (apt-get install " << name << ")";
}

class OursToToolsTest : public ::testing::TestWithParam<CodecOptions> {};

TEST_P(OursToToolsTest, ToolsDecodeOurStream) {
  const CodecOptions options = GetParam();
  const bool slow = options.level >= 10;
  const std::vector<std::byte> data =
      MakeSampleData(SampleKind::kMixed, slow ? 200000 : 1500000, 17);
  // Members of every kind of size, an empty one included.
  const std::vector<std::byte> stream =
      testing::CompressMembers(options, data, {65536, 0, 1, 300000, 4097, 131072});
  const dbb::testing::TempDir dir;
  const std::string file = dir.file(std::string("stream") + FileSuffix(options.engine));
  dbb::testing::WriteFileBytes(file, stream);
  const std::vector<std::string> tools = options.engine == Engine::kZstd
                                             ? std::vector<std::string>{"zstd -q -dc"}
                                             : std::vector<std::string>{"gzip -dc", "pigz -dc"};
  for (const std::string& tool : tools) {
    ASSERT_TRUE(HaveTool(tool.substr(0, tool.find(' '))));
    const std::string out = dir.file("out");
    const dbb::testing::CommandResult run =
        dbb::testing::RunCommand(tool + " < " + file + " > " + out);
    ASSERT_EQ(run.exit_code, 0) << tool;
    EXPECT_TRUE(SameBytes(dbb::testing::ReadFileBytes(out), data)) << tool;
  }
}

INSTANTIATE_TEST_SUITE_P(Compress, OursToToolsTest, testing::AllCodecLevels(), testing::ParamName);

struct ToolCommand {
  const char* name;     // test name
  const char* tool;     // program that must be installed
  const char* command;  // writes the compressed form of `in` (in the current dir) to stdout
  int copies;           // how many times `in` is in the decoded output
};

void PrintTo(const ToolCommand& command, std::ostream* os) { *os << command.command; }

class ToolsToOursTest : public ::testing::TestWithParam<ToolCommand> {};

TEST_P(ToolsToOursTest, WeDecodeToolStream) {
  const ToolCommand& param = GetParam();
  ASSERT_TRUE(HaveTool(param.tool));
  // Sized so that pigz and zstd -T2 really use both threads and many blocks.
  const std::vector<std::byte> data = MakeSampleData(SampleKind::kMixed, 2500000, 23);
  const dbb::testing::TempDir dir;
  dbb::testing::WriteFileBytes(dir.file("in"), data);
  const dbb::testing::CommandResult run =
      dbb::testing::RunCommand("cd " + dir.path() + " && (" + param.command + ") > stream");
  ASSERT_EQ(run.exit_code, 0) << param.command;
  const std::vector<std::byte> stream = dbb::testing::ReadFileBytes(dir.file("stream"));

  std::vector<std::byte> expected;
  for (int i = 0; i < param.copies; ++i) expected.insert(expected.end(), data.begin(), data.end());
  Result<StreamFormat> format = DetectFormat(stream);
  ASSERT_TRUE(format.ok()) << format.status().message();
  for (const uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{2}}) {
    const testing::Decoded decoded = testing::Decode(
        *format, stream, seed == 0 ? testing::Whole() : testing::RandomPieces(seed, 70000));
    ASSERT_TRUE(decoded.status.ok()) << decoded.status.message();
    EXPECT_TRUE(SameBytes(decoded.output, expected));
    EXPECT_EQ(decoded.bytes_in, stream.size());
  }
}

std::string ToolName(const ::testing::TestParamInfo<ToolCommand>& param) {
  return param.param.name;
}

INSTANTIATE_TEST_SUITE_P(
    Compress, ToolsToOursTest,
    ::testing::Values(
        // gzip stores the file name in the header when given a file.
        ToolCommand{"GzipFast", "gzip", "gzip -c -1 in", 1},
        ToolCommand{"GzipBestFromStdin", "gzip", "gzip -c -9 < in", 1},
        ToolCommand{"PigzSmallBlocks", "pigz", "pigz -c -p 2 -b 32 in", 1},
        ToolCommand{"PigzIndependentBlocks", "pigz", "pigz -c -p 2 -b 32 -i in", 1},
        ToolCommand{"PigzDefault", "pigz", "pigz -c -p 2 in", 1},
        ToolCommand{"ConcatenatedGzipFiles", "pigz",
                    "gzip -c -1 in; gzip -c < /dev/null; pigz -c -p 2 -b 64 in", 2},
        ToolCommand{"ZstdTwoThreads", "zstd", "zstd -q -c -T2 in", 1},
        ToolCommand{"ZstdNoChecksum", "zstd", "zstd -q -c -T2 --no-check -5 in", 1},
        ToolCommand{"ConcatenatedZstdFrames", "zstd",
                    "zstd -q -c -1 in; zstd -q -c < /dev/null; zstd -q -c -T2 in", 2}),
    ToolName);

// A frame that declares a huge window (zstd --long) would make the decoder allocate that much;
// it is refused with the way out, not decoded in unbounded memory.
TEST(CompressInterop, ZstdLongWindowIsRefusedWithTheFix) {
  ASSERT_TRUE(HaveTool("zstd"));
  const dbb::testing::CommandResult run =
      dbb::testing::RunCommand("printf 'hello' | zstd -q -c --long=27");
  ASSERT_EQ(run.exit_code, 0);
  std::vector<std::byte> stream(run.output.size());
  std::memcpy(stream.data(), run.output.data(), run.output.size());
  const testing::Decoded decoded = testing::Decode(StreamFormat::kZstd, stream, testing::Whole());
  EXPECT_EQ(decoded.status.code(), StatusCode::kUnsupported);
  EXPECT_EQ(decoded.status.message(),
            "zstd frame 1 (at byte 0): the frame needs a window over 32.0 MiB (written with zstd "
            "--long?); decompress it with zstd -dc --long=31");
}

}  // namespace
}  // namespace dbb::compress
