#include "engine/host_bench.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "common/timing.h"
#include "engine/host_bench_recommend.h"

namespace dbb::engine {

namespace {

// As bench pipeline's: large enough that no codec sees repeats inside one page (4 MiB at most).
constexpr size_t kSampleBytes = 16 * kMiB;
constexpr size_t kMaxDefaultJobs = 64;
constexpr int kPasses = 3;

std::string Seconds(double s) {
  char text[32];
  if (s < 1) {
    std::snprintf(text, sizeof text, "%.0f ms", s * 1000);
  } else {
    std::snprintf(text, sizeof text, "%.1f s", s);
  }
  return text;
}

bool Stopped(const HostBenchOptions& o) { return o.stop != nullptr && o.stop->requested(); }

Status Interrupted() {
  return Status(StatusCode::kCancelled, "interrupted; the scratch files were removed");
}

void Announce(const HostBenchOptions& o, const std::string& text) {
  if (o.on_phase) o.on_phase(text);
}

Status CheckOptions(const HostBenchOptions& o) {
  if (o.dir.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "give --dir DIR: the directory (file system) backups will be written to");
  }
  if (!(o.seconds >= 1)) return Status(StatusCode::kInvalidArgument, "--seconds: use 1 or more");
  if (o.max_jobs > 256) return Status(StatusCode::kInvalidArgument, "--max-jobs: use 1 to 256");
  struct stat st {};
  if (::stat(o.dir.c_str(), &st) != 0) return Status::FromErrno(errno, "--dir " + o.dir);
  if (!S_ISDIR(st.st_mode)) return Status::FromErrno(ENOTDIR, "--dir " + o.dir);
  return Status::Ok();
}

Status RunDiskPhase(const HostBenchOptions& o, double seconds, HostBenchResult* r) {
  Announce(o, "disk: O_DIRECT and buffered writes in " + o.dir + ", " + Seconds(seconds));
  auto disk = RunDiskBench(
      {.parent_dir = o.dir, .seconds = seconds, .max_bytes = o.max_disk_bytes, .stop = o.stop});
  if (!disk.ok()) {
    if (disk.status().code() == StatusCode::kCancelled) return Interrupted();
    return disk.status();
  }
  r->disk = std::move(disk).value();
  r->notes.insert(r->notes.end(), r->disk.notes.begin(), r->disk.notes.end());
  return Status::Ok();
}

void RunCopyPhase(const HostBenchOptions& o, double seconds, CopyBench& copy, HostBenchResult* r) {
  const size_t max_jobs = o.max_jobs != 0 ? o.max_jobs : DefaultMaxJobs(r->cpus);
  Announce(o, "copy: " + r->copy_source + ", 1 to " + std::to_string(max_jobs) + " connections, " +
                  Seconds(seconds));
  r->copy = copy.Run(max_jobs, seconds, o.stop);
  r->notes.insert(r->notes.end(), r->copy->notes.begin(), r->copy->notes.end());
}

// Every cell kPasses times, the whole list once per pass, keeping each cell's fastest run: a
// burst of other work on the host then slows one run of a cell, not the cell, and every setting
// sees the same conditions.
Status MeasureCells(const HostBenchOptions& o, const std::vector<CompressionCell>& cells,
                    std::span<const std::byte> sample, double slice_s,
                    std::vector<CompressionRow>* rows) {
  std::vector<CompressionRow> best(cells.size());
  for (int pass = 0; pass < kPasses; ++pass) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (Stopped(o)) return Interrupted();
      auto row = MeasureCompression(cells[i], sample, slice_s, o.stop);
      if (!row.ok()) return row.status();
      if (pass == 0 || row->mb_per_s > best[i].mb_per_s) best[i] = row.value();
    }
  }
  rows->insert(rows->end(), best.begin(), best.end());
  return Status::Ok();
}

// The grid, then the page sizes of the setting it leads to (the setting is decided from the grid
// alone, so the final Recommend keeps it).
Status RunCompressionPhase(const HostBenchOptions& o, double seconds, HostBenchResult* r) {
  const std::vector<CompressionCell> grid = CompressionGrid(r->cpus);
  const size_t pages = PageSweep(compress::CodecOptions{}).size();
  const double slice_s = seconds / static_cast<double>((grid.size() + pages) * kPasses);
  Announce(o, "compression: " + std::to_string(grid.size()) + " settings and " +
                  std::to_string(pages) + " page sizes, best of " + std::to_string(kPasses) +
                  " runs of " + Seconds(slice_s) + ", in memory on " + SampleKindName(o.data) +
                  " data");
  const std::vector<std::byte> sample = MakeSampleData(o.data, kSampleBytes);
  DBB_RETURN_IF_ERROR(MeasureCells(o, grid, sample, slice_s, &r->compression));
  const compress::CodecOptions codec = Recommend(*r).codec;
  return MeasureCells(o, PageSweep(codec), sample, slice_s, &r->page_sizes);
}

nlohmann::ordered_json CompressionJson(const std::vector<CompressionRow>& rows) {
  auto out = nlohmann::ordered_json::array();
  for (const CompressionRow& c : rows) {
    out.push_back({{"engine", compress::EngineName(c.cell.codec.engine)},
                   {"level", c.cell.codec.level},
                   {"threads", c.cell.threads},
                   {"page_bytes", c.cell.page_bytes},
                   {"input_bytes", c.input_bytes},
                   {"output_bytes", c.output_bytes},
                   {"seconds", c.seconds},
                   {"ratio", c.ratio},
                   {"mb_per_s", c.mb_per_s}});
  }
  return out;
}

}  // namespace

PhaseFractions SplitBudget(bool with_copy) {
  if (with_copy) return {.disk = 0.3, .copy = 0.3, .compression = 0.4};
  return {.disk = 0.4, .copy = 0, .compression = 0.6};
}

double PhaseSeconds(double budget_s, double elapsed_s, double fraction, double fraction_left) {
  const double planned_s = budget_s * fraction;
  if (fraction_left <= 0) return planned_s;
  const double share_s = std::max(0.0, budget_s - elapsed_s) * fraction / fraction_left;
  return std::max(share_s, planned_s / 10);
}

size_t DefaultMaxJobs(size_t cpus) { return std::clamp<size_t>(2 * cpus, 1, kMaxDefaultJobs); }

Result<HostBenchResult> RunHostBench(const HostBenchOptions& options) {
  const auto start = SteadyClock::now();
  DBB_RETURN_IF_ERROR(CheckOptions(options));
  HostBenchResult r{
      .dir = options.dir,
      .cpus = options.cpus != 0 ? options.cpus : std::max(1u, std::thread::hardware_concurrency()),
      .data = options.data,
      .seconds_budget = options.seconds};
  // Connect first: a server that cannot be reached fails the run before anything is written.
  std::optional<CopyBench> copy;
  if (options.conn) {
    auto prepared = CopyBench::Prepare(*options.conn);
    if (!prepared.ok()) return prepared.status();
    copy.emplace(std::move(prepared).value());
    r.copy_source = copy->Describe();
  }
  const PhaseFractions f = SplitBudget(copy.has_value());
  double fraction_left = 1;
  auto phase_s = [&](double fraction) {
    const double s = PhaseSeconds(options.seconds, SecondsSince(start), fraction, fraction_left);
    fraction_left -= fraction;
    return s;
  };
  DBB_RETURN_IF_ERROR(RunDiskPhase(options, phase_s(f.disk), &r));
  if (copy) {
    RunCopyPhase(options, phase_s(f.copy), *copy, &r);
    copy.reset();  // no idle sessions on the server while compression is measured
    if (Stopped(options)) return Interrupted();
  }
  DBB_RETURN_IF_ERROR(RunCompressionPhase(options, phase_s(f.compression), &r));
  if (Stopped(options)) return Interrupted();
  r.recommended = Recommend(r);
  r.seconds_total = SecondsSince(start);
  return r;
}

std::string HostBenchToJson(const HostBenchResult& r) {
  using Json = nlohmann::ordered_json;
  Json out = {{"dir", r.dir},
              {"cpus", r.cpus},
              {"data", SampleKindName(r.data)},
              {"seconds_budget", r.seconds_budget},
              {"seconds_total", r.seconds_total},
              {"disk", Json::array()},
              {"disk_cap_bytes", r.disk.cap_bytes},
              {"compression", CompressionJson(r.compression)},
              {"page_sizes", CompressionJson(r.page_sizes)}};
  for (const DiskRow& d : r.disk.rows) {
    out["disk"].push_back({{"mode", d.mode},
                           {"request_bytes", d.request_bytes},
                           {"bytes", d.bytes},
                           {"seconds", d.seconds},
                           {"mb_per_s", d.mb_per_s},
                           {"io", d.io}});
  }
  if (r.copy) {
    out["copy_source"] = r.copy_source;
    out["copy"] = Json::array();
    for (const CopyRow& c : r.copy->rows) {
      out["copy"].push_back({{"connections", c.connections},
                             {"bytes", c.bytes},
                             {"seconds", c.seconds},
                             {"mb_per_s", c.mb_per_s}});
    }
    out["copy_tables"] = Json::array();
    for (const CopyTable& t : r.copy->tables) {
      out["copy_tables"].push_back({{"name", t.name}, {"bytes", t.bytes}});
    }
  }
  const Recommendation& rec = r.recommended;
  out["recommended"] = {{"jobs", rec.jobs},
                        {"engine", compress::EngineName(rec.codec.engine)},
                        {"level", rec.codec.level},
                        {"page_size_bytes", rec.page_bytes},
                        {"compress_threads", rec.compress_threads},
                        {"flags", rec.Flags()},
                        {"reasons",
                         {{"jobs", rec.jobs_reason},
                          {"compression", rec.codec_reason},
                          {"page_size", rec.page_reason},
                          {"compress_threads", rec.threads_reason}}}};
  out["notes"] = r.notes;
  return out.dump(2) + "\n";
}

}  // namespace dbb::engine
