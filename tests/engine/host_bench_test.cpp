// `dbbackup bench` without a server: the recommendation as a pure function of made-up results
// (-j from COPY rates, engine/level against COPY and disk input, page size, the flags), the time
// split and the disk bounds, the grids; then short real runs: compression of sample data, the
// disk phase in a temporary directory (bounded, cleaned up, also when stopped) and a whole run
// with its JSON. No assertion depends on how fast this machine is.
#include "engine/host_bench.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/host_bench_recommend.h"
#include "support/test_util.h"

namespace dbb::engine {
namespace {

namespace fs = std::filesystem;
using compress::Engine;
using dbb::testing::TempDir;

CompressionRow Row(Engine engine, int level, size_t threads, double ratio, double mb_per_s,
                   size_t page_bytes = kMiB) {
  return {.cell = {.codec = {.engine = engine, .level = level},
                   .threads = threads,
                   .page_bytes = page_bytes},
          .ratio = ratio,
          .mb_per_s = mb_per_s};
}

DiskRow Direct(double mb_per_s, size_t request_bytes = kMiB) {
  return {.mode = "direct", .request_bytes = request_bytes, .mb_per_s = mb_per_s};
}

CopyBenchResult Copy(const std::vector<std::pair<size_t, double>>& rates) {
  CopyBenchResult copy;
  for (const auto& [connections, mb_per_s] : rates) {
    copy.rows.push_back({.connections = connections, .mb_per_s = mb_per_s});
  }
  return copy;
}

// Four CPUs; at 4 threads isal 1 is fast and loose, zstd 3 middling, libdeflate 6 tight and slow.
HostBenchResult FourCpus() {
  HostBenchResult r{.cpus = 4};
  r.compression = {
      Row(Engine::kIsal, 1, 1, 1.30, 400),      Row(Engine::kZstd, 3, 1, 1.55, 100),
      Row(Engine::kLibdeflate, 6, 1, 1.60, 30), Row(Engine::kIsal, 1, 4, 1.30, 1500),
      Row(Engine::kZstd, 3, 4, 1.55, 400),      Row(Engine::kLibdeflate, 6, 4, 1.60, 120)};
  return r;
}

TEST(Recommend, JobsAreTheFewestConnectionsWithin10PercentOfTheBest) {
  HostBenchResult r = FourCpus();
  r.copy = Copy({{1, 100}, {2, 190}, {4, 300}, {8, 320}});
  const Recommendation rec = Recommend(r);
  EXPECT_EQ(rec.jobs, 4u);  // 300 >= 0.9 x 320
  EXPECT_NE(rec.jobs_reason.find("within 10% of the best COPY rate"), std::string::npos)
      << rec.jobs_reason;
  EXPECT_NE(rec.jobs_reason.find("8: 320 MB/s"), std::string::npos) << rec.jobs_reason;
  EXPECT_EQ(rec.jobs_reason.find("raise --max-jobs"), std::string::npos) << rec.jobs_reason;
}

TEST(Recommend, JobsStillRisingAtTheLastCountSaySoAndTakeIt) {
  HostBenchResult r = FourCpus();
  r.copy = Copy({{1, 100}, {2, 200}, {4, 400}});
  const Recommendation rec = Recommend(r);
  EXPECT_EQ(rec.jobs, 4u);
  EXPECT_NE(rec.jobs_reason.find("the best COPY rate measured"), std::string::npos);
  EXPECT_NE(rec.jobs_reason.find("raise --max-jobs"), std::string::npos) << rec.jobs_reason;
}

TEST(Recommend, WithoutCopyJobsStayTheBackupDefault) {
  const Recommendation rec = Recommend(FourCpus());
  EXPECT_EQ(rec.jobs, 2u) << "nothing measured: no reason to move -j";
  EXPECT_NE(rec.jobs_reason.find("give --dbname"), std::string::npos) << rec.jobs_reason;
  HostBenchResult empty_db = FourCpus();
  empty_db.copy = CopyBenchResult{};
  EXPECT_NE(Recommend(empty_db).jobs_reason.find("see the notes"), std::string::npos);
}

TEST(Recommend, CodecIsTheBestRatioThatKeepsUpWithCopyUsingAllThreads) {
  HostBenchResult r = FourCpus();
  r.copy = Copy({{4, 300}});
  // Needs 300 x 1.25 = 375 MB/s: zstd 3 (400 on 4 threads) does; libdeflate 6 (120) does not; the
  // one-thread rows (zstd 3: 100) are not what a backup runs.
  const Recommendation rec = Recommend(r);
  EXPECT_EQ(rec.codec.engine, Engine::kZstd);
  EXPECT_EQ(rec.codec.level, 3);
  EXPECT_EQ(rec.compress_threads, 4u);
  EXPECT_NE(rec.codec_reason.find("best ratio (1.55)"), std::string::npos) << rec.codec_reason;
  EXPECT_NE(rec.codec_reason.find("300 MB/s of COPY"), std::string::npos) << rec.codec_reason;
}

TEST(Recommend, NoCodecKeepsUpSoTheFastest) {
  HostBenchResult r = FourCpus();
  r.copy = Copy({{1, 2000}});
  const Recommendation rec = Recommend(r);
  EXPECT_EQ(rec.codec.engine, Engine::kIsal);
  EXPECT_NE(rec.codec_reason.find("compression will limit the backup"), std::string::npos)
      << rec.codec_reason;
}

TEST(Recommend, DiskInputIsItsRateTimesEachRatio) {
  HostBenchResult r = FourCpus();
  // 59 MB/s of compressed writes: libdeflate 6 must take 59 x 1.60 x 1.25 = 118 MB/s: does (120).
  r.disk.rows = {Direct(500, 256 * kKiB), Direct(59), {.mode = "buffered", .mb_per_s = 900}};
  Recommendation rec = Recommend(r);
  EXPECT_EQ(rec.codec.engine, Engine::kLibdeflate) << rec.codec_reason;
  EXPECT_NE(rec.codec_reason.find("the disk's 59 MB/s O_DIRECT"), std::string::npos)
      << rec.codec_reason;
  // The writer's 1 MiB requests are what counts, not the fastest request size.
  r.disk.rows[1].mb_per_s = 100;
  EXPECT_EQ(Recommend(r).codec.engine, Engine::kZstd);
}

TEST(Recommend, WithoutODirectTheBufferedRateCounts) {
  HostBenchResult r = FourCpus();
  r.disk.rows = {{.mode = "buffered", .request_bytes = kMiB, .mb_per_s = 59}};
  EXPECT_EQ(Recommend(r).codec.engine, Engine::kLibdeflate);
}

TEST(Recommend, TheSlowerOfCopyAndDiskIsTheInput) {
  HostBenchResult r = FourCpus();
  r.copy = Copy({{4, 1000}});
  r.disk.rows = {Direct(59)};
  EXPECT_EQ(Recommend(r).codec.engine, Engine::kLibdeflate);
}

TEST(Recommend, RatiosWithin1PercentGoToTheFaster) {
  HostBenchResult r{.cpus = 1};
  r.compression = {Row(Engine::kZstd, 3, 1, 1.550, 300), Row(Engine::kZstd, 1, 1, 1.540, 600)};
  r.copy = Copy({{1, 100}});
  const Recommendation rec = Recommend(r);
  EXPECT_EQ(rec.codec.level, 1);
  EXPECT_EQ(rec.compress_threads, 1u);
}

TEST(Recommend, NothingMeasuredGivesTheDefaults) {
  const Recommendation rec = Recommend(HostBenchResult{.cpus = 2});
  EXPECT_EQ(rec.codec.engine, Engine::kIsal);
  EXPECT_EQ(rec.codec.level, 1);
  EXPECT_EQ(rec.page_bytes, kMiB);
  EXPECT_EQ(rec.jobs, 2u);
  EXPECT_NE(rec.codec_reason.find("not measured"), std::string::npos);
  EXPECT_NE(rec.page_reason.find("not compared"), std::string::npos);
  // With compression but no input: the default setting, even when another is faster.
  HostBenchResult r = FourCpus();
  r.compression.push_back(Row(Engine::kIsal, 0, 4, 1.2, 3000));
  EXPECT_EQ(Recommend(r).codec.level, 1);
}

TEST(Recommend, PageIsTheSmallestWithin5PercentOfTheBestRateAnd1PercentOfTheRatio) {
  HostBenchResult r = FourCpus();                                   // recommends isal 1
  r.page_sizes = {Row(Engine::kIsal, 1, 1, 1.30, 370, 256 * kKiB),  // 7.5% slower
                  Row(Engine::kIsal, 1, 1, 1.30, 400, kMiB),
                  Row(Engine::kIsal, 1, 1, 1.30, 395, 4 * kMiB),
                  Row(Engine::kZstd, 3, 1, 1.60, 999, 256 * kKiB)};  // not the recommended setting
  Recommendation rec = Recommend(r);
  EXPECT_EQ(rec.page_bytes, kMiB);
  EXPECT_NE(rec.page_reason.find(
                "for isal 1 (256KiB: 370 MB/s 1.30, 1MiB: 400 MB/s 1.30, 4MiB: 395 MB/s 1.30)"),
            std::string::npos)
      << rec.page_reason;
  r.page_sizes[0].mb_per_s = 390;
  EXPECT_EQ(Recommend(r).page_bytes, 256 * kKiB);
  r.page_sizes[0].ratio = 1.25;  // fast, but 4% larger
  EXPECT_EQ(Recommend(r).page_bytes, kMiB);
  // None both fast and compact: the smallest of the fast ones.
  r.page_sizes[1].ratio = 1.20;
  r.page_sizes[2].mb_per_s = 300;
  rec = Recommend(r);
  EXPECT_EQ(rec.page_bytes, 256 * kKiB);
  EXPECT_NE(rec.page_reason.find("none was also within 1% of the best ratio"), std::string::npos)
      << rec.page_reason;
}

TEST(Recommend, FlagsAreACommandLineFragment) {
  Recommendation rec{.jobs = 4,
                     .codec = {.engine = Engine::kZstd, .level = 3},
                     .page_bytes = 256 * kKiB,
                     .compress_threads = 8};
  EXPECT_EQ(rec.Flags(),
            "-j 4 --compress-engine zstd --compress-level 3 --compress-threads 8 --page-size "
            "256KiB");
  EXPECT_EQ(PageSizeFlag(4 * kMiB), "4MiB");
  EXPECT_EQ(PageSizeFlag(64 * kKiB), "64KiB");
}

TEST(Budget, PhasesSplitTheWholeBudget) {
  for (const bool with_copy : {false, true}) {
    const PhaseFractions f = SplitBudget(with_copy);
    EXPECT_DOUBLE_EQ(f.disk + f.copy + f.compression, 1.0);
    EXPECT_EQ(f.copy > 0, with_copy);
  }
  EXPECT_DOUBLE_EQ(PhaseSeconds(30, 0, 0.4, 1.0), 12);
  // On time: the planned share. An overrun is taken from the later phases, down to a tenth.
  EXPECT_DOUBLE_EQ(PhaseSeconds(30, 12, 0.6, 0.6), 18);
  EXPECT_DOUBLE_EQ(PhaseSeconds(30, 15, 0.3, 0.6), 7.5);
  EXPECT_DOUBLE_EQ(PhaseSeconds(30, 40, 0.6, 0.6), 1.8);
  EXPECT_EQ(DefaultMaxJobs(2), 4u);
  EXPECT_EQ(DefaultMaxJobs(48), 64u);
}

TEST(Budget, DiskUseIsAtMostATenthOfTheFreeSpace) {
  EXPECT_EQ(DiskCapBytes(kGiB, 100 * kGiB), kGiB);
  EXPECT_EQ(DiskCapBytes(kGiB, 2 * kGiB), 204 * kMiB);  // 204.8 MiB, whole 4 MiB requests
  EXPECT_EQ(DiskCapBytes(kGiB, 30 * kMiB), 0u);
  EXPECT_EQ(DiskCapBytes(10 * kMiB, 100 * kGiB), 8 * kMiB);
  // Buffered: what O_DIRECT wrote in the same time, at least 16 MiB, never over the cap.
  EXPECT_EQ(BufferedCapBytes(kGiB, 100, 1.0), 100'000'000u);
  EXPECT_EQ(BufferedCapBytes(kGiB, 1, 1.0), 16 * kMiB);
  EXPECT_EQ(BufferedCapBytes(8 * kMiB, 1, 1.0), 8 * kMiB);
  EXPECT_EQ(BufferedCapBytes(kGiB, 10000, 1.0), kGiB);
}

TEST(Grid, ThreadAndConnectionCountsDoubleUpToTheLimit) {
  EXPECT_EQ(ThreadCounts(1), (std::vector<size_t>{1}));
  EXPECT_EQ(ThreadCounts(2), (std::vector<size_t>{1, 2}));
  EXPECT_EQ(ThreadCounts(6), (std::vector<size_t>{1, 2, 4, 6}));
  EXPECT_EQ(ConnectionCounts(8), (std::vector<size_t>{1, 2, 4, 8}));
  EXPECT_EQ(ConnectionCounts(0), (std::vector<size_t>{1}));
}

TEST(Grid, EverySettingOnOneAndAllCpusTheDefaultInBetween) {
  const size_t settings = BenchCodecs().size();
  EXPECT_EQ(CompressionGrid(1).size(), settings);
  EXPECT_EQ(CompressionGrid(2).size(), 2 * settings);
  const std::vector<CompressionCell> grid = CompressionGrid(16);
  EXPECT_EQ(grid.size(), 2 * settings + 3);  // 2, 4, 8 threads for isal 1
  for (const CompressionCell& cell : grid) {
    EXPECT_EQ(cell.page_bytes, kMiB);
    EXPECT_TRUE(cell.threads == 1 || cell.threads == 16 ||
                (cell.codec.engine == Engine::kIsal && cell.codec.level == 1));
    EXPECT_TRUE(compress::ValidateCodec(cell.codec).ok());
  }
  std::vector<size_t> pages;
  for (const CompressionCell& cell : PageSweep({.engine = Engine::kZstd, .level = 3})) {
    EXPECT_EQ(cell.codec.engine, Engine::kZstd);
    EXPECT_EQ(cell.threads, 1u);
    pages.push_back(cell.page_bytes);
  }
  EXPECT_EQ(pages, (std::vector<size_t>{256 * kKiB, kMiB, 4 * kMiB}));
}

TEST(MeasureCompression, CountsWholePagesAndTheirRatio) {
  const std::vector<std::byte> text = MakeSampleData(SampleKind::kText, 2 * kMiB);
  const CompressionCell cell{.threads = 2, .page_bytes = 256 * kKiB};
  auto row = MeasureCompression(cell, text, 0.02, nullptr);
  ASSERT_TRUE(row.ok()) << row.status().message();
  EXPECT_GE(row->input_bytes, 2 * cell.page_bytes);  // each thread does one page at least
  EXPECT_EQ(row->input_bytes % cell.page_bytes, 0u);
  EXPECT_GT(row->ratio, 2.0);  // text rows
  EXPECT_GT(row->mb_per_s, 0);

  const std::vector<std::byte> random = MakeSampleData(SampleKind::kRandom, kMiB);
  row = MeasureCompression({.codec = {.engine = Engine::kZstd, .level = 1}}, random, 0.01, nullptr);
  ASSERT_TRUE(row.ok());
  EXPECT_LT(row->ratio, 1.01);
}

TEST(DiskBench, WritesWithinItsCapAndRemovesEverything) {
  TempDir tmp;
  StopSource stop;
  auto r = RunDiskBench(
      {.parent_dir = tmp.path(), .seconds = 0.4, .max_bytes = 16 * kMiB, .stop = &stop});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->cap_bytes, 16 * kMiB);
  ASSERT_FALSE(r->rows.empty());
  EXPECT_EQ(r->rows.back().mode, "buffered");
  EXPECT_EQ(r->rows.back().io, "pwrite, buffered");
  for (const DiskRow& row : r->rows) {
    EXPECT_LE(row.bytes, r->cap_bytes);
    EXPECT_EQ(row.bytes % row.request_bytes, 0u);
  }
  // Either every request size ran with O_DIRECT or a note says why none did.
  if (r->rows.size() == 1) {
    ASSERT_FALSE(r->notes.empty());
    EXPECT_NE(r->notes[0].find("O_DIRECT not available here"), std::string::npos);
  } else {
    EXPECT_EQ(r->rows.size(), DiskRequestSizes().size() + 1);
  }
  EXPECT_EQ(r->scratch_dir.rfind(tmp.path() + "/dbbackup-bench.", 0), 0u);
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(DiskBench, TooLittleRoomIsANoteAndNothingWritten) {
  TempDir tmp;
  auto r = RunDiskBench({.parent_dir = tmp.path(), .seconds = 1, .max_bytes = kMiB});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->rows.empty());
  ASSERT_EQ(r->notes.size(), 1u);
  EXPECT_NE(r->notes[0].find("disk not measured"), std::string::npos) << r->notes[0];
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(DiskBench, StoppedEndsEarlyAndCleansUp) {
  TempDir tmp;
  StopSource stop;
  stop.Request("test");
  auto r = RunDiskBench({.parent_dir = tmp.path(), .seconds = 10, .stop = &stop});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(HostBench, BadOptionsNameTheFlag) {
  TempDir tmp;
  auto r = RunHostBench({.dir = tmp.path(), .seconds = 0.5});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "--seconds: use 1 or more");
  r = RunHostBench({.dir = ""});
  EXPECT_NE(r.status().message().find("give --dir DIR"), std::string::npos);
  r = RunHostBench({.dir = tmp.file("missing")});
  EXPECT_EQ(r.status().message(), "--dir " + tmp.file("missing") + ": No such file or directory");
}

TEST(HostBench, AShortRunMeasuresRecommendsAndPrintsJson) {
  TempDir tmp;
  std::vector<std::string> phases;
  auto r = RunHostBench({.dir = tmp.path(),
                         .seconds = 1,
                         .max_disk_bytes = 32 * kMiB,
                         .cpus = 2,
                         .on_phase = [&](const std::string& p) { phases.push_back(p); }});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(fs::is_empty(tmp.path()));
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].rfind("disk:", 0), 0u);
  EXPECT_EQ(phases[1].rfind("compression:", 0), 0u);
  EXPECT_EQ(r->compression.size(), CompressionGrid(2).size());
  ASSERT_EQ(r->page_sizes.size(), 3u);
  EXPECT_EQ(r->page_sizes[0].cell.codec.engine, r->recommended.codec.engine);
  EXPECT_EQ(r->page_sizes[0].cell.codec.level, r->recommended.codec.level);
  EXPECT_FALSE(r->copy.has_value());
  EXPECT_EQ(r->recommended.compress_threads, 2u);

  const nlohmann::json j = nlohmann::json::parse(HostBenchToJson(r.value()));
  EXPECT_EQ(j["dir"], tmp.path());
  EXPECT_EQ(j["cpus"], 2);
  EXPECT_FALSE(j.contains("copy"));
  ASSERT_FALSE(j["disk"].empty());
  for (const char* key : {"mode", "request_bytes", "bytes", "seconds", "mb_per_s", "io"}) {
    EXPECT_TRUE(j["disk"][0].contains(key)) << key;
  }
  for (const char* key : {"engine", "level", "threads", "page_bytes", "ratio", "mb_per_s"}) {
    EXPECT_TRUE(j["compression"][0].contains(key)) << key;
    EXPECT_TRUE(j["page_sizes"][2].contains(key)) << key;
  }
  EXPECT_EQ(j["recommended"]["flags"], r->recommended.Flags());
  EXPECT_EQ(j["recommended"]["page_size_bytes"], r->recommended.page_bytes);
  EXPECT_TRUE(j["recommended"]["reasons"].contains("compression"));
}

}  // namespace
}  // namespace dbb::engine
