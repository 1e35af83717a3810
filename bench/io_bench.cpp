// Write bandwidth to one file on the benchmark disk ($DBB_BENCH_DIR, default /var/tmp):
// io_uring + O_DIRECT + registered buffers (the writer's default) next to pwrite + O_DIRECT and
// buffered pwrite + fsync, all through FileWriter with 1 MiB appends, sweeping the staging
// buffer size and count; time includes the final fsync. Compare with
//   dd if=/dev/zero of=$DBB_BENCH_DIR/x bs=1M count=1024 oflag=direct conv=fsync
#include <benchmark/benchmark.h>

#include <filesystem>

#include "bench_util.h"
#include "io/file_writer.h"

namespace dbb::bench {
namespace {

constexpr size_t kFileBytes = 1 * kGiB;
constexpr size_t kAppendBytes = 1 * kMiB;
enum Mode { kPwriteBuffered = 0, kUringDirect = 1, kPwriteDirect = 2 };
constexpr const char* kModeNames[] = {"pwrite+buffered+fsync", "io_uring+O_DIRECT",
                                      "pwrite+O_DIRECT"};

void BM_WriteFile(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const auto buffer_bytes = static_cast<size_t>(state.range(1)) * kMiB;
  const auto buffer_count = static_cast<size_t>(state.range(2));
  const auto input = SampleInput(64 * kMiB);
  const io::WriterOptions options{
      .engine = mode == kUringDirect ? io::IoEngine::kUring : io::IoEngine::kPwrite,
      .direct = mode == kPwriteBuffered ? io::DirectMode::kOff : io::DirectMode::kOn,
      .buffer_bytes = buffer_bytes,
      .buffer_count = buffer_count};
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
  state.SetLabel(kModeNames[mode]);
}

BENCHMARK(BM_WriteFile)
    ->ArgNames({"mode", "buffer_mib", "buffers"})
    ->Args({kUringDirect, 1, 4})  // the writer's defaults
    ->Args({kUringDirect, 1, 8})
    ->Args({kUringDirect, 4, 4})
    ->Args({kPwriteDirect, 1, 4})
    ->Args({kPwriteBuffered, 1, 4})
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dbb::bench

BENCHMARK_MAIN();
