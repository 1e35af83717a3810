// Compression throughput: the raw compressors in memory, the whole pipeline memory -> disk, and
// pigz / zstd on the same input in the same run. Counters per benchmark:
//   bytes_per_second  input throughput
//   ratio             input bytes / stored bytes
//   x_pigz            this throughput / `pigz -p T -1` throughput (same T, same input, this run)
// Run: build/release/bench/bench_pipeline  (DBB_BENCH_DIR picks the disk, default /var/tmp)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "compress/pipeline.h"

namespace dbb::bench {
namespace {

using compress::Engine;

constexpr size_t kInputBytes = 512 * kMiB;
constexpr size_t kAppendBytes = 64 * kKiB;
constexpr size_t kPageBytes = 1 * kMiB;

// pigz -p T -1 input bytes/s, measured once per T in this process: the best of two runs, so a
// noisy neighbour does not flatter our ratio.
double PigzBytesPerSecond(int threads) {
  static std::map<int, double> measured;
  auto it = measured.find(threads);
  if (it != measured.end()) return it->second;
  const std::string& in = SampleInputFile(kInputBytes);
  const std::string cmd =
      "pigz -1 -p " + std::to_string(threads) + " -c " + in + " > " + in + ".pigz.gz";
  const double s = std::min(TimeCommand(cmd), TimeCommand(cmd));
  std::filesystem::remove(in + ".pigz.gz");
  return measured[threads] = static_cast<double>(kInputBytes) / s;
}

void ReportCounters(benchmark::State& state, double seconds, uint64_t stored, int threads) {
  const double bps = static_cast<double>(kInputBytes) / seconds;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kInputBytes));
  state.counters["ratio"] = static_cast<double>(kInputBytes) / static_cast<double>(stored);
  state.counters["x_pigz"] = bps / PigzBytesPerSecond(threads);
}

// The compressors alone: T threads, each compressing its share of 1 MiB pages in memory.
void BM_RawCompress(benchmark::State& state) {
  const auto engine = static_cast<Engine>(state.range(0));
  const int level = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  const auto input = SampleInput(kInputBytes);
  std::vector<std::unique_ptr<compress::Compressor>> comps;
  std::vector<std::vector<std::byte>> outs;
  for (int t = 0; t < threads; ++t) {
    comps.push_back(compress::MakeCompressor({.engine = engine, .level = level}).value());
    outs.emplace_back(comps.back()->MaxCompressedBytes(kPageBytes));
  }
  double seconds = 0;
  uint64_t stored = 0;
  for (auto _ : state) {
    std::vector<uint64_t> bytes(static_cast<size_t>(threads), 0);
    const auto start = std::chrono::steady_clock::now();
    {
      std::vector<std::jthread> pool;
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          for (size_t off = static_cast<size_t>(t) * kPageBytes; off < input.size();
               off += static_cast<size_t>(threads) * kPageBytes) {
            auto n = comps[static_cast<size_t>(t)]->Compress(input.subspan(off, kPageBytes),
                                                             outs[static_cast<size_t>(t)]);
            bytes[static_cast<size_t>(t)] += n.value();
          }
        });
      }
    }
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(seconds);
    stored = 0;
    for (uint64_t b : bytes) stored += b;
  }
  ReportCounters(state, seconds, stored, threads);
}

// The whole pipeline: Append 64 KiB pieces -> pages -> T threads -> io_uring O_DIRECT file.
void BM_Pipeline(benchmark::State& state) {
  const auto engine = static_cast<Engine>(state.range(0));
  const int level = static_cast<int>(state.range(1));
  const int threads = static_cast<int>(state.range(2));
  const auto input = SampleInput(kInputBytes);
  auto pipeline = compress::Pipeline::Create({.codec = {.engine = engine, .level = level},
                                              .threads = static_cast<size_t>(threads),
                                              .page_bytes = kPageBytes,
                                              .max_outputs = 1})
                      .value();
  // Sink 0: the benchmark disk. Sink 1: /dev/shm (tmpfs), where the disk cannot be the limit,
  // so the pipeline's own cost (pages, ordering, io_uring) shows against the raw compressors.
  const std::string dir = state.range(3) == 0 ? BenchDir() : std::string("/dev/shm");
  const std::string path = dir + "/dbbackup-bench-out" + compress::FileSuffix(engine);
  double seconds = 0;
  uint64_t stored = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto out = pipeline->Open(path).value();
    for (size_t off = 0; off < input.size(); off += kAppendBytes) {
      if (!out->Append(input.subspan(off, kAppendBytes)).ok()) state.SkipWithError("append");
    }
    auto stats = out->Close();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(seconds);
    if (!stats.ok()) {
      state.SkipWithError(stats.status().message().c_str());
      break;
    }
    stored = stats->stored_bytes;
    state.SetLabel(std::string(io::IoEngineName(stats->io.engine)) +
                   (stats->io.direct ? "+O_DIRECT" : "+buffered"));
  }
  std::filesystem::remove(path);
  ReportCounters(state, seconds, stored, threads);
}

// External tools on the same input, file to file: "<tool> -c INPUT > OUTPUT".
void RunExternal(benchmark::State& state, const std::string& tool, const std::string& suffix) {
  const int threads = static_cast<int>(state.range(0));
  const std::string& in = SampleInputFile(kInputBytes);
  double seconds = 0;
  for (auto _ : state) {
    seconds = TimeCommand(tool + std::to_string(threads) + " -c " + in + " > " + in + suffix);
    state.SetIterationTime(seconds);
  }
  const auto stored = std::filesystem::file_size(in + suffix);
  std::filesystem::remove(in + suffix);
  ReportCounters(state, seconds, stored, threads);
}

void BM_Pigz(benchmark::State& state) { RunExternal(state, "pigz -1 -p ", ".gz"); }
void BM_ZstdCli(benchmark::State& state) { RunExternal(state, "zstd -q -1 -T", ".zst"); }

void PipelineArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"engine", "level", "threads", "shm"});
  for (int shm : {0, 1}) {
    for (int threads : {1, 2}) {
      b->Args({static_cast<int>(Engine::kIsal), 1, threads, shm});
      b->Args({static_cast<int>(Engine::kLibdeflate), 6, threads, shm});
      b->Args({static_cast<int>(Engine::kZstd), 1, threads, shm});
    }
  }
}

void CodecArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"engine", "level", "threads"});
  for (int threads : {1, 2}) {
    b->Args({static_cast<int>(Engine::kIsal), 1, threads});
    b->Args({static_cast<int>(Engine::kLibdeflate), 6, threads});
    b->Args({static_cast<int>(Engine::kZstd), 1, threads});
  }
}

BENCHMARK(BM_RawCompress)
    ->Apply(CodecArgs)
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Pipeline)
    ->Apply(PipelineArgs)
    ->UseManualTime()
    ->Iterations(2)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Pigz)->ArgName("threads")->Arg(1)->Arg(2)->UseManualTime()->Iterations(1)->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_ZstdCli)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->UseManualTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dbb::bench

BENCHMARK_MAIN();
