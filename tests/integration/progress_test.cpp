// What backup, restore and verify report besides their result: --progress json lines that parse
// and never go backwards and end at 100 %, the summary line with the run's metrics, the same
// metrics in the manifest, --metrics-file in the Prometheus text format (checked with the tests'
// own strict parser, support/prometheus_text.h) across a success, a failure and a restore, and
// --quiet printing nothing but errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/prometheus_text.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

using nlohmann::json;
using ProgressTest = ServerTest;

// The sample of `family` for (command, database), or a test failure.
double Sample(const prom::Exposition& e, const std::string& family, const std::string& command,
              const std::string& db) {
  const prom::Family* f = e.Find(family);
  if (f == nullptr) {
    ADD_FAILURE() << "no family " << family;
    return -1;
  }
  const prom::Sample* s = f->Find({{"command", command}, {"database", db}});
  if (s == nullptr) {
    ADD_FAILURE() << "no sample " << family << " for " << command << " " << db;
    return -1;
  }
  return s->value;
}

prom::Exposition ReadMetrics(const std::string& path) {
  const std::vector<std::byte> bytes = ReadFileBytes(path);
  auto parsed = prom::ParsePrometheusText(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return parsed.ok() ? parsed.value() : prom::Exposition{};
}

TEST_F(ProgressTest, JsonProgressSummaryManifestAndMetricsFile) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  CreateGeneratedDb(*pg_, src, Volume::kSmall);
  TempDir tmp;
  const std::string dir = tmp.file("b"), metrics = tmp.file("dbbackup.prom");
  const std::vector<std::string> json_progress = {
      "--progress", "json", "--progress-interval", "100ms", "--metrics-file", metrics};

  std::vector<std::string> extra = json_progress;
  extra.insert(extra.end(), {"--chunk-size", "1MB", "-j", "2"});
  const ProcessResult backup = Backup(*pg_, src, dir, extra);
  const json summary = CheckProgressLines(backup.err, "backup");
  EXPECT_EQ(summary["exit_code"], 0);
  EXPECT_EQ(summary["databases"],
            json::parse(R"([{"database": ")" + src + R"(", "success": true}])"));
  const json m = ReadManifest(dir)["metrics"];
  EXPECT_EQ(summary["metrics"], m);
  EXPECT_GT(m["database_size_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(m["raw_bytes"], ReadManifest(dir)["totals"]["raw_bytes"]);
  EXPECT_GT(m["peak_memory_bytes"].get<uint64_t>(), 0u);
  EXPECT_GT(m["compression_ratio"].get<double>(), 1.0);
  EXPECT_EQ(m["errors"], 0);
  ASSERT_FALSE(m["slowest_tables"].empty());
  EXPECT_LE(m["slowest_tables"].size(), 5u);
  EXPECT_GE(m["slowest_tables"][0]["seconds"].get<double>(),
            m["slowest_tables"].back()["seconds"].get<double>());
  // The human summary is on stdout as usual.
  EXPECT_NE(backup.out.find("peak memory"), std::string::npos) << backup.out;
  EXPECT_NE(backup.out.find("slowest tables: "), std::string::npos) << backup.out;

  prom::Exposition e = ReadMetrics(metrics);
  EXPECT_EQ(Sample(e, "dbbackup_last_run_success", "backup", src), 1);
  EXPECT_EQ(Sample(e, "dbbackup_last_run_raw_bytes", "backup", src), m["raw_bytes"].get<double>());
  const double success_time = Sample(e, "dbbackup_last_success_timestamp_seconds", "backup", src);
  EXPECT_GT(success_time, 1.7e9);

  // verify and restore report the same way (verify has no metrics file).
  const ProcessResult verify =
      RunDbb({"verify", dir, "--progress", "json", "--progress-interval", "100ms"});
  EXPECT_EQ(verify.exit_code, 0) << verify.Describe();
  const std::vector<json> verify_lines = JsonLines(verify.err);
  ASSERT_FALSE(verify_lines.empty());
  EXPECT_EQ(verify_lines.back()["phase"], "done");
  extra = json_progress;
  extra.push_back("--create");
  const ProcessResult restore = Restore(*pg_, dir, dst, extra);
  EXPECT_EQ(CheckProgressLines(restore.err, "restore")["metrics"]["raw_bytes"], m["raw_bytes"]);

  // A backup that fails: its own series says so, the backup's last success time is kept, and
  // the restore's series is untouched.
  const ProcessResult failed =
      RunDbb({"backup", "single", src, "--dir", dir, "--metrics-file", metrics, "-h",
              pg_->socket_dir(), "-p", std::to_string(pg_->port()), "-U", "postgres"});
  EXPECT_EQ(failed.exit_code, 7) << failed.Describe();  // the directory is not empty
  e = ReadMetrics(metrics);
  EXPECT_EQ(Sample(e, "dbbackup_last_run_success", "backup", src), 0);
  EXPECT_EQ(Sample(e, "dbbackup_last_run_errors", "backup", src), 1);
  EXPECT_EQ(Sample(e, "dbbackup_last_success_timestamp_seconds", "backup", src), success_time);
  EXPECT_EQ(Sample(e, "dbbackup_last_run_success", "restore", dst), 1);
}

TEST_F(ProgressTest, QuietPrintsOnlyErrors) {
  const std::string src = TestDbName("src");
  DropAtEnd drop(*pg_, {src});
  CreateGeneratedDb(*pg_, src, Volume::kSmall);
  TempDir tmp;
  const ProcessResult ok = Backup(*pg_, src, tmp.file("b"), {"--quiet"});
  EXPECT_EQ(ok.out, "");
  EXPECT_EQ(ok.err, "");
  const ProcessResult verify = RunDbb({"--quiet", "verify", tmp.file("b")});
  EXPECT_EQ(verify.exit_code, 0);
  EXPECT_EQ(verify.out + verify.err, "");
  const ProcessResult failed =
      RunDbb({"backup", "single", src, "--dir", tmp.file("b"), "-q", "-h", pg_->socket_dir(), "-p",
              std::to_string(pg_->port()), "-U", "postgres"});
  EXPECT_EQ(failed.exit_code, 7) << failed.Describe();
  EXPECT_EQ(failed.out, "");
  EXPECT_NE(failed.err.find("dbbackup backup single: "), std::string::npos) << failed.err;
}

TEST_F(ProgressTest, MetricsFileInAMissingDirectoryIsRefusedBeforeTheBackup) {
  TempDir tmp;
  const ProcessResult r = RunDbb({"backup", "single", "db", "--dir", tmp.file("b"),
                                  "--metrics-file", tmp.file("missing/dbbackup.prom"), "-h",
                                  pg_->socket_dir(), "-p", std::to_string(pg_->port())});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("--metrics-file " + tmp.file("missing/dbbackup.prom") + ": directory " +
                       tmp.file("missing") + " is not writable"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp.file("b")));
}

}  // namespace
}  // namespace dbb::testing
