#include "app/cmd_bench.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/conn_flags.h"
#include "app/exit_codes.h"
#include "app/pipeline_flags.h"
#include "app/signals.h"
#include "common/log.h"
#include "common/units.h"
#include "engine/host_bench.h"
#include "engine/host_bench_recommend.h"
#include "engine/pipeline_bench.h"

namespace dbb::app {

namespace {

struct BenchFlags {
  PipelineFlags pipeline;
  std::string bytes = "1GiB";
  std::string data = "mixed";
  size_t files = 1;
  std::string dir = "/var/tmp";
  bool keep = false;
};

int RunPipelineBench(const BenchFlags& f) {
  engine::PipelineBenchOptions o;
  auto popts = ToPipelineOptions(f.pipeline);
  auto bytes = ParseBytes(f.bytes);
  if (!popts.ok() || !bytes.ok()) {
    std::fprintf(
        stderr, "dbbackup bench pipeline: %s\n",
        (!popts.ok() ? popts.status() : bytes.status().WithContext("--bytes")).message().c_str());
    return kExitUsage;
  }
  o.pipeline = popts.value();
  o.input_bytes = bytes.value();
  o.data = f.data == "text"     ? engine::SampleKind::kText
           : f.data == "random" ? engine::SampleKind::kRandom
                                : engine::SampleKind::kMixed;
  o.files = f.files;
  o.parent_dir = f.dir;
  o.keep_files = f.keep;
  auto r = engine::RunPipelineBench(o);
  if (!r.ok()) {
    std::fprintf(stderr, "dbbackup bench pipeline: %s\n", r.status().message().c_str());
    return r.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  const auto& v = r.value();
  const double mb_s = static_cast<double>(v.input_bytes) / 1e6 / v.seconds;
  std::printf(
      "engine=%s level=%d threads=%zu files=%zu data=%s io=%s\n"
      "input %s in %.2f s: %.0f MB/s; stored %s (ratio %.2f)\n"
      "memory: pipeline %s fixed, sample buffer %s, peak RSS %s\n",
      compress::EngineName(o.pipeline.codec.engine), o.pipeline.codec.level, o.pipeline.threads,
      o.files, f.data.c_str(), v.io.c_str(), FormatBytes(v.input_bytes).c_str(), v.seconds, mb_s,
      FormatBytes(v.stored_bytes).c_str(),
      static_cast<double>(v.input_bytes) /
          static_cast<double>(std::max<uint64_t>(1, v.stored_bytes)),
      FormatBytes(v.pipeline_memory_bytes).c_str(), FormatBytes(v.sample_bytes).c_str(),
      FormatBytes(v.peak_rss_bytes).c_str());
  if (o.keep_files) std::printf("files kept in %s\n", v.dir.c_str());
  return kExitOk;
}

// `bench` without a subcommand: the host bench.
struct HostFlags {
  std::string dir;
  int seconds = 30;
  std::string max_disk = "1GiB";
  std::string data = "mixed";
  bool json = false;
  pg::ConnParams conn;  // conninfo from -d/--dbname
  size_t max_jobs = 0;
};

engine::SampleKind ParseSampleKind(const std::string& name) {
  return name == "text"     ? engine::SampleKind::kText
         : name == "random" ? engine::SampleKind::kRandom
                            : engine::SampleKind::kMixed;
}

std::string Mbps(double mb_per_s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", mb_per_s);
  return text;
}

void PrintDisk(const engine::HostBenchResult& r) {
  if (r.disk.rows.empty()) return;
  std::printf("\ndisk: one file at a time in %s, at most %s each; time includes the fsync\n",
              r.disk.scratch_dir.c_str(), FormatBytes(r.disk.cap_bytes).c_str());
  std::printf("  %-9s %8s %11s %8s %7s  %s\n", "mode", "request", "written", "time", "MB/s", "io");
  for (const engine::DiskRow& d : r.disk.rows) {
    std::printf("  %-9s %8s %11s %6.2f s %7s  %s\n", d.mode.c_str(),
                engine::PageSizeFlag(d.request_bytes).c_str(), FormatBytes(d.bytes).c_str(),
                d.seconds, Mbps(d.mb_per_s).c_str(), d.io.c_str());
  }
}

void PrintCompressionRows(const std::vector<engine::CompressionRow>& rows) {
  for (const engine::CompressionRow& c : rows) {
    std::printf("  %-11s %5d %7zu %6s %6.2f %7s\n", compress::EngineName(c.cell.codec.engine),
                c.cell.codec.level, c.cell.threads, engine::PageSizeFlag(c.cell.page_bytes).c_str(),
                c.ratio, Mbps(c.mb_per_s).c_str());
  }
}

void PrintCompression(const engine::HostBenchResult& r) {
  if (r.compression.empty()) return;
  std::printf("\ncompression: in memory, %s data, MB/s of input\n", engine::SampleKindName(r.data));
  std::printf("  %-11s %5s %7s %6s %6s %7s\n", "engine", "level", "threads", "page", "ratio",
              "MB/s");
  PrintCompressionRows(r.compression);
  if (r.page_sizes.empty()) return;
  std::printf("  page sizes for the recommended setting, back to back:\n");
  PrintCompressionRows(r.page_sizes);
}

void PrintCopy(const engine::HostBenchResult& r) {
  if (!r.copy || r.copy->rows.empty()) return;
  std::string tables;
  for (size_t i = 0; i < r.copy->tables.size() && i < 3; ++i) {
    tables += (i ? ", " : "") + r.copy->tables[i].name + " (" +
              FormatBytes(r.copy->tables[i].bytes) + ")";
  }
  if (r.copy->tables.size() > 3)
    tables += " and " + std::to_string(r.copy->tables.size() - 3) + " more";
  std::printf("\ncopy: COPY BINARY from %s; tables %s\n", r.copy_source.c_str(), tables.c_str());
  std::printf("  %-11s %11s %8s %7s\n", "connections", "read", "time", "MB/s");
  for (const engine::CopyRow& c : r.copy->rows) {
    std::printf("  %-11zu %11s %6.2f s %7s\n", c.connections, FormatBytes(c.bytes).c_str(),
                c.seconds, Mbps(c.mb_per_s).c_str());
  }
}

void PrintReport(const engine::HostBenchResult& r) {
  std::printf("dbbackup bench: %s, %zu CPUs, %.0f s budget\n", r.dir.c_str(), r.cpus,
              r.seconds_budget);
  PrintDisk(r);
  PrintCopy(r);
  PrintCompression(r);
  if (!r.notes.empty()) std::printf("\n");
  for (const std::string& note : r.notes) std::printf("note: %s\n", note.c_str());
  const engine::Recommendation& rec = r.recommended;
  std::printf("\nrecommended for this host:\n  %s\n", rec.Flags().c_str());
  std::printf("  -j %zu: %s\n", rec.jobs, rec.jobs_reason.c_str());
  std::printf("  --compress-engine %s --compress-level %d: %s\n",
              compress::EngineName(rec.codec.engine), rec.codec.level, rec.codec_reason.c_str());
  std::printf("  --compress-threads %zu: %s\n", rec.compress_threads, rec.threads_reason.c_str());
  std::printf("  --page-size %s: %s\n", engine::PageSizeFlag(rec.page_bytes).c_str(),
              rec.page_reason.c_str());
  std::printf("bench took %.1f s\n", r.seconds_total);
}

int RunHostBench(const HostFlags& f) {
  auto max_disk = ParseBytes(f.max_disk);
  if (!max_disk.ok()) return ReportFailure("bench", max_disk.status().WithContext("--max-disk"), 0);
  StopSource stop;
  SignalWatcher signals(&stop);
  engine::HostBenchOptions options{.dir = f.dir,
                                   .seconds = static_cast<double>(f.seconds),
                                   .max_disk_bytes = max_disk.value(),
                                   .data = ParseSampleKind(f.data),
                                   .max_jobs = f.max_jobs,
                                   .stop = &stop};
  const pg::ConnParams& c = f.conn;
  if (!c.conninfo.empty() || !c.host.empty() || !c.port.empty() || !c.user.empty()) {
    options.conn = c;
  }
  if (!f.json) {
    options.on_phase = [](const std::string& text) { log::Info("bench: " + text); };
  }
  auto r = engine::RunHostBench(options);
  if (!r.ok()) return ReportFailure("bench", r.status(), stop.signal());
  if (f.json) {
    std::fputs(engine::HostBenchToJson(r.value()).c_str(), stdout);
  } else {
    PrintReport(r.value());
  }
  return kExitOk;
}

void AddHostBenchFlags(CLI::App* bench, HostFlags* f) {
  bench->add_option("--dir", f->dir,
                    "the backup directory to measure (required): a dbbackup-bench.XXXXXX "
                    "directory is made there for the write test and removed at its end");
  bench
      ->add_option("--seconds", f->seconds,
                   "time budget for the whole run, split among the phases: disk 40% and "
                   "compression 60%; with a database disk 30%, COPY 30%, compression 40%")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  bench
      ->add_option("--max-disk", f->max_disk,
                   "largest file the write test makes (never more than 10% of the free space "
                   "at --dir; one file at a time, each removed once measured)")
      ->capture_default_str();
  bench
      ->add_option("--data", f->data,
                   "sample data for compression: text (rows), random, or mixed (half each, "
                   "like tables with compressed bytea)")
      ->check(CLI::IsMember({"text", "random", "mixed"}))
      ->capture_default_str();
  bench->add_flag("--json", f->json, "print the results and the recommendation as one JSON object");
  bench->add_option("-d,--dbname", f->conn.conninfo,
                    "measure COPY BINARY from this database (a name, conninfo string or URI) "
                    "over 1, 2, 4 ... connections; -h/-p/-U alone measure PGDATABASE's");
  bench
      ->add_option("--max-jobs", f->max_jobs,
                   "most connections the COPY test opens (default: 2 x CPUs, at most 64)")
      ->check(CLI::Range(1, 256));
  AddConnFlags(bench, &f->conn);
}

}  // namespace

void AddBenchCommand(CLI::App& app, int* exit_code) {
  CLI::App* bench = app.add_subcommand(
      "bench",
      "Measure this host for backups and recommend settings: O_DIRECT (io_uring) against "
      "buffered write bandwidth in --dir, compression rate and ratio per engine, level and "
      "thread count on sample data, and with -d/--dbname the COPY BINARY read rate over 1 to N "
      "connections; ends with the -j, --compress-engine, --compress-level, --compress-threads "
      "and --page-size to use here, each with its reason. Bounded by --seconds and --max-disk; "
      "removes what it wrote, also when interrupted. `bench pipeline` runs the whole write path "
      "on synthetic data instead");
  bench->require_subcommand(0, 1);
  CLI::App* pipe = bench->add_subcommand(
      "pipeline",
      "Push synthetic data through the page pipeline (compression + io_uring writes) to files "
      "and report input MB/s, compression ratio and peak RSS");
  auto flags = std::make_shared<BenchFlags>();
  pipe->add_option("--bytes", flags->bytes, "input size, e.g. 1GiB, 4GiB")->capture_default_str();
  pipe->add_option("--data", flags->data, "text, random or mixed (half each)")
      ->check(CLI::IsMember({"text", "random", "mixed"}))
      ->capture_default_str();
  pipe->add_option("--files", flags->files, "files written at once, one producer thread each")
      ->capture_default_str();
  pipe->add_option(
          "--dir", flags->dir,
          "where to write: a new dbbackup-bench.XXXXXX directory is made there and removed")
      ->capture_default_str();
  pipe->add_flag("--keep", flags->keep, "keep the directory with the written files");
  AddPipelineFlags(pipe, &flags->pipeline);
  pipe->callback([flags, exit_code] { *exit_code = RunPipelineBench(*flags); });

  // After `pipeline` exists: a subcommand copies its parent's help flag and footer when it is
  // made, and `pipeline` keeps -h for --help (AddConnFlags moves bench's own to --help only).
  bench->footer(
      "bench without a subcommand: a report on stdout (progress on stderr), or with --json one "
      "object: disk, compression, page_sizes, copy and copy_tables (with a database), "
      "recommended {jobs, engine, level, page_size_bytes, compress_threads, flags, reasons}, "
      "notes. What could not be measured (no O_DIRECT, too little free space, an empty "
      "database, a locked table) is a note. Exit 0; 1 when --dir cannot be written; 2 for bad "
      "options; 6 when the database cannot be reached (checked before anything is written); 130 "
      "when interrupted.");
  auto host = std::make_shared<HostFlags>();
  AddHostBenchFlags(bench, host.get());
  // CLI11 runs this after a subcommand's own callback: only `bench` alone is the host bench.
  bench->callback([bench, host, exit_code] {
    if (!bench->get_subcommands().empty()) return;
    if (host->dir.empty()) {
      *exit_code =
          ReportFailure("bench",
                        Status(StatusCode::kInvalidArgument,
                               "give --dir DIR, a directory on the file system backups will be "
                               "written to (or `bench pipeline`)"),
                        0);
      return;
    }
    *exit_code = RunHostBench(*host);
  });
}

}  // namespace dbb::app
