// `dbbackup bench` (the host bench) end to end without a server: `--seconds 5 --json` prints one
// JSON object with the disk, compression and recommendation, and leaves nothing in --dir; the
// readable report ends with the recommended flags; `bench pipeline` is still its own command.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "support/test_util.h"

namespace dbb::app {
namespace {

namespace fs = std::filesystem;
using dbb::testing::CommandResult;
using dbb::testing::RunCommand;
using dbb::testing::TempDir;

CommandResult Bench(const std::string& args) {
  return RunCommand(std::string(DBB_BINARY) + " bench " + args);
}

TEST(BenchCli, JsonRunReportsEveryPhaseAndCleansUp) {
  TempDir tmp;
  const CommandResult r = Bench("--seconds 5 --json --dir " + tmp.path());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  for (const char* key : {"dir", "cpus", "seconds_total", "disk", "compression", "page_sizes",
                          "recommended", "notes"}) {
    EXPECT_TRUE(j.contains(key)) << key << " missing in " << r.output;
  }
  EXPECT_FALSE(j.contains("copy"));
  EXPECT_EQ(j["dir"], tmp.path());
  EXPECT_EQ(j["seconds_budget"], 5.0);
  ASSERT_FALSE(j["disk"].empty()) << r.output;
  EXPECT_EQ(j["disk"].back()["mode"], "buffered");
  EXPECT_GT(j["disk"].back()["bytes"].get<uint64_t>(), 0u);
  ASSERT_FALSE(j["compression"].empty());
  for (const auto& c : j["compression"]) {
    EXPECT_GT(c["ratio"].get<double>(), 0.9);
    EXPECT_GT(c["mb_per_s"].get<double>(), 0);
  }
  const auto& rec = j["recommended"];
  for (const char* key : {"jobs", "engine", "level", "page_size_bytes", "compress_threads"}) {
    EXPECT_TRUE(rec.contains(key)) << key;
  }
  EXPECT_GE(rec["jobs"].get<int>(), 1);
  EXPECT_NE(rec["flags"].get<std::string>().find("--compress-engine "), std::string::npos);
  EXPECT_EQ(rec["reasons"].size(), 4u);
  EXPECT_TRUE(fs::is_empty(tmp.path())) << "a dbbackup-bench.* directory was left behind";
}

TEST(BenchCli, ReportEndsWithTheRecommendedFlags) {
  TempDir tmp;
  const CommandResult r = Bench("--seconds 1 --max-disk 64MiB --dir " + tmp.path() + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("bench: disk: O_DIRECT and buffered writes in " + tmp.path()),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("\ndisk: one file at a time in " + tmp.path() + "/dbbackup-bench."),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("\ncompression: in memory, mixed data"), std::string::npos);
  EXPECT_NE(r.output.find("recommended for this host:\n  -j "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("  --page-size "), std::string::npos);
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(BenchCli, PipelineIsStillItsOwnCommand) {
  TempDir tmp;
  const CommandResult r = Bench("pipeline --bytes 2MiB --compress-threads 1 --dir " + tmp.path());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("engine=isal level=1 threads=1"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("recommended"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace dbb::app
