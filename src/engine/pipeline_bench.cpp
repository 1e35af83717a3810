#include "engine/pipeline_bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "common/process_stats.h"

namespace dbb::engine {

namespace {

// Large enough that no codec sees repeats inside one member, small enough not to dominate RSS.
constexpr size_t kSampleBytes = 16 * kMiB;

Status WriteOneFile(compress::Pipeline& pipeline, const std::string& path,
                    std::span<const std::byte> sample, uint64_t bytes, size_t append_bytes,
                    compress::OutputStats* stats) {
  auto out = pipeline.Open(path);
  if (!out.ok()) return out.status();
  size_t pos = 0;
  for (uint64_t left = bytes; left > 0;) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>({left, append_bytes, sample.size() - pos}));
    DBB_RETURN_IF_ERROR(out.value()->Append(sample.subspan(pos, n)));
    left -= n;
    pos = (pos + n) % sample.size();
  }
  auto closed = out.value()->Close();
  if (!closed.ok()) return closed.status();
  *stats = closed.value();
  return Status::Ok();
}

}  // namespace

Result<PipelineBenchResult> RunPipelineBench(const PipelineBenchOptions& options) {
  if (options.files < 1 || options.append_bytes < 1) {
    return Status(StatusCode::kInvalidArgument, "bench: --files and the append size must be >= 1");
  }
  std::string dir = options.parent_dir + "/dbbackup-bench.XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    return Status::FromErrno(errno, "create a directory in " + options.parent_dir);
  }

  const auto sample = MakeSampleData(options.data, kSampleBytes);
  compress::PipelineOptions popts = options.pipeline;
  popts.max_outputs = std::max(popts.max_outputs, options.files);
  auto pipeline = compress::Pipeline::Create(popts);
  if (!pipeline.ok()) return pipeline.status();

  std::vector<compress::OutputStats> stats(options.files);
  std::vector<Status> statuses(options.files);
  std::vector<std::string> paths;
  for (size_t i = 0; i < options.files; ++i) {
    paths.push_back(dir + "/bench-" + std::to_string(i) + FileSuffix(popts.codec.engine));
  }
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> producers;
    for (size_t i = 0; i < options.files; ++i) {
      const uint64_t share =
          options.input_bytes / options.files + (i == 0 ? options.input_bytes % options.files : 0);
      producers.emplace_back([&, i, share] {
        statuses[i] = WriteOneFile(*pipeline.value(), paths[i], sample, share, options.append_bytes,
                                   &stats[i]);
      });
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  PipelineBenchResult result{.input_bytes = options.input_bytes,
                             .seconds = seconds,
                             .peak_rss_bytes = PeakRssBytes(),
                             .sample_bytes = sample.size(),
                             .pipeline_memory_bytes = pipeline.value()->memory_bytes()};
  result.dir = dir;
  std::error_code ec;
  if (!options.keep_files) std::filesystem::remove_all(dir, ec);
  for (size_t i = 0; i < options.files; ++i) {
    DBB_RETURN_IF_ERROR(statuses[i]);
    result.stored_bytes += stats[i].stored_bytes;
    result.io = std::string(io::IoEngineName(stats[i].io.engine)) +
                (stats[i].io.direct ? ", O_DIRECT" : ", buffered");
  }
  return result;
}

}  // namespace dbb::engine
