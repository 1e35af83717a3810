// `dbbackup bench`: measures this host for backups and recommends settings for it.
//
// Phases, in this order, each within its share of the time budget (PhaseSeconds):
//   disk         write bandwidth in the backup directory (engine/disk_bench.h)
//   copy         with a database: COPY BINARY read rate with 1..N connections (engine/copy_bench.h)
//   compression  every engine/level with 1 and one-per-CPU threads, in memory; then page sizes for
//                the recommended setting (engine/compress_bench.h); each the best of 3 runs,
//                taken in turns, so that other work on the host skews no setting more than another
// and the recommendation (engine/host_bench_recommend.h) over the results.
//
// Bounds: the run takes about `seconds` plus setup (connecting, making the sample, removing files);
// one measurement may overrun its slice by one compressed page, one COPY cancel or one fsync. The
// disk holds at most one file of DiskCapBytes at a time, in a scratch directory removed at the end
// of the disk phase, also on an error or a stop. Memory: the 16 MiB sample, the writer's 4 staging
// buffers (16 MiB at the 4 MiB request size), per compression thread its codec state and one
// output page, per COPY connection one row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop.h"
#include "common/units.h"
#include "engine/compress_bench.h"
#include "engine/copy_bench.h"
#include "engine/disk_bench.h"
#include "engine/sample_data.h"
#include "pg/connection.h"

namespace dbb::engine {

struct HostBenchOptions {
  std::string dir;                     // the backup directory to measure (must exist)
  double seconds = 30;                 // the whole budget, at least 1
  uint64_t max_disk_bytes = 1 * kGiB;  // largest file written (and never over 10% of free space)
  SampleKind data = SampleKind::kMixed;
  std::optional<pg::ConnParams> conn;  // the database to read from; none: COPY is not measured
  size_t max_jobs = 0;                 // most COPY connections tried; 0: 2 x CPUs, at most 64
  size_t cpus = 0;                     // 0: std::thread::hardware_concurrency()
  StopSource* stop = nullptr;          // SIGINT: the run ends early, cleans up, kCancelled
  // Called (on the calling thread) as each phase starts, e.g. "compression: 16 settings, 0.4 s
  // each"; may be empty.
  std::function<void(const std::string&)> on_phase;
};

struct Recommendation {
  size_t jobs = 1;
  compress::CodecOptions codec;
  size_t page_bytes = 1 * kMiB;
  size_t compress_threads = 1;
  // One line each: why this value.
  std::string jobs_reason;
  std::string codec_reason;
  std::string page_reason;
  std::string threads_reason;

  // The flags for backup: "-j 4 --compress-engine isal --compress-level 1 --compress-threads 4
  // --page-size 1MiB".
  std::string Flags() const;
};

struct HostBenchResult {
  std::string dir;
  size_t cpus = 1;
  SampleKind data = SampleKind::kMixed;
  double seconds_budget = 0;
  double seconds_total = 0;  // the whole run, setup included
  DiskBenchResult disk;
  std::vector<CompressionRow> compression;  // the grid (CompressionGrid)
  std::vector<CompressionRow> page_sizes;   // the recommended setting's PageSweep
  std::optional<CopyBenchResult> copy;      // only with a database
  std::string copy_source;                  // database "x" at "host":port
  Recommendation recommended;
  std::vector<std::string> notes;  // everything the phases could not do, and why
};

// The phases' fractions of the budget: disk 40%, compression 60%; with a database disk 30%,
// compression 40%, COPY 30%.
struct PhaseFractions {
  double disk = 0.4;
  double copy = 0;
  double compression = 0.6;
};
PhaseFractions SplitBudget(bool with_copy);
// The seconds a phase gets when it starts: its fraction of what is left of the budget among the
// phases still to run (`fraction_left` includes this phase's own), so an overrun is taken from
// the later phases; at least a tenth of its planned share, so every phase measures something.
double PhaseSeconds(double budget_s, double elapsed_s, double fraction, double fraction_left);
// 2 x cpus, at most 64 (and at least 1).
size_t DefaultMaxJobs(size_t cpus);

// Runs the phases. Errors: kInvalidArgument for bad options, kConnection when the database cannot
// be reached (checked first, before anything is written), kIoError / kNoSpace naming the path
// when the directory cannot be written, kCancelled after a stop request.
Result<HostBenchResult> RunHostBench(const HostBenchOptions& options);

// One JSON object (`dbbackup bench --json`), ending in a newline:
//   {"dir", "cpus", "data", "seconds_budget", "seconds_total",
//    "disk": [{"mode", "request_bytes", "bytes", "seconds", "mb_per_s", "io"}],
//    "disk_cap_bytes",
//    "compression": [{"engine", "level", "threads", "page_bytes", "input_bytes", "output_bytes",
//                     "seconds", "ratio", "mb_per_s"}],
//    "page_sizes": [the same, for the recommended engine and level on one thread],
//    "copy_source": "database \"x\" at ..."                       (only with a database)
//    "copy": [{"connections", "bytes", "seconds", "mb_per_s"}]   (only with a database)
//    "copy_tables": [{"name", "bytes"}]                           (only with a database)
//    "recommended": {"jobs", "engine", "level", "page_size_bytes", "compress_threads", "flags",
//                    "reasons": {"jobs", "compression", "page_size", "compress_threads"}},
//    "notes": ["..."]}
std::string HostBenchToJson(const HostBenchResult& result);

}  // namespace dbb::engine
