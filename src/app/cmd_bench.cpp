#include "app/cmd_bench.h"

#include <cstdio>
#include <memory>

#include "app/exit_codes.h"
#include "app/pipeline_flags.h"
#include "common/units.h"
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

}  // namespace

void AddBenchCommand(CLI::App& app, int* exit_code) {
  CLI::App* bench = app.add_subcommand("bench", "Measure this host without a database");
  bench->require_subcommand(1);
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
}

}  // namespace dbb::app
