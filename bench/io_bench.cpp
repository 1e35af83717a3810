// Write bandwidth to one file on the benchmark disk ($DBB_BENCH_DIR, default /var/tmp):
// io_uring + O_DIRECT + registered buffers (the writer's default) next to buffered pwrite +
// fsync, both through FileWriter with 1 MiB appends; time includes the final fsync.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "bench_util.h"
#include "io/file_writer.h"

namespace dbb::bench {
namespace {

constexpr size_t kFileBytes = 1 * kGiB;
constexpr size_t kAppendBytes = 1 * kMiB;

void BM_WriteFile(benchmark::State& state) {
  const bool uring_direct = state.range(0) == 1;
  const auto input = SampleInput(64 * kMiB);
  const io::WriterOptions options{
      .engine = uring_direct ? io::IoEngine::kUring : io::IoEngine::kPwrite,
      .direct = uring_direct ? io::DirectMode::kOn : io::DirectMode::kOff};
  const std::string path = BenchDir() + "/dbbackup-bench-write";
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto w = io::OpenWriter(path, options);
    if (!w.ok()) {
      state.SkipWithError(w.status().message().c_str());
      break;
    }
    for (size_t off = 0; off < kFileBytes; off += kAppendBytes) {
      if (!w.value()->Append(input.subspan(off % input.size(), kAppendBytes)).ok()) {
        state.SkipWithError("append failed");
      }
    }
    if (!w.value()->Close().ok()) state.SkipWithError("close failed");
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::filesystem::remove(path);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileBytes));
  state.SetLabel(uring_direct ? "io_uring+O_DIRECT" : "pwrite+buffered+fsync");
}

BENCHMARK(BM_WriteFile)
    ->ArgName("uring_direct")
    ->Arg(1)
    ->Arg(0)
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dbb::bench

BENCHMARK_MAIN();
