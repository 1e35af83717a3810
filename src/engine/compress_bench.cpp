#include "engine/compress_bench.h"

#include <algorithm>
#include <latch>
#include <memory>
#include <thread>

#include "common/timing.h"

namespace dbb::engine {

namespace {

struct Tally {
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  Status status;
};

struct Loop {
  std::span<const std::byte> sample;
  size_t page_bytes = 0;
  SteadyClock::time_point deadline;
  const StopSource* stop = nullptr;
};

// One thread's share: consecutive pages of the sample from `first_piece` on, wrapping around.
void CompressPieces(compress::Compressor& compressor, const Loop& loop, size_t first_piece,
                    std::span<std::byte> output, Tally* tally) {
  const size_t pieces = loop.sample.size() / loop.page_bytes;
  size_t piece = first_piece % pieces;
  do {
    auto n =
        compressor.Compress(loop.sample.subspan(piece * loop.page_bytes, loop.page_bytes), output);
    if (!n.ok()) {
      tally->status = n.status();
      return;
    }
    tally->input_bytes += loop.page_bytes;
    tally->output_bytes += n.value();
    piece = (piece + 1) % pieces;
  } while (SteadyClock::now() < loop.deadline && !(loop.stop != nullptr && loop.stop->requested()));
}

}  // namespace

std::vector<compress::CodecOptions> BenchCodecs() {
  using compress::Engine;
  return {{Engine::kIsal, 0},       {Engine::kIsal, 1},       {Engine::kIsal, 2},
          {Engine::kLibdeflate, 1}, {Engine::kLibdeflate, 6}, {Engine::kZstd, 1},
          {Engine::kZstd, 3}};
}

std::vector<size_t> ThreadCounts(size_t cpus) {
  std::vector<size_t> counts;
  for (size_t t = 1; t < cpus; t *= 2) counts.push_back(t);
  counts.push_back(std::max<size_t>(cpus, 1));
  return counts;
}

std::vector<CompressionCell> CompressionGrid(size_t cpus) {
  cpus = std::max<size_t>(cpus, 1);
  const compress::CodecOptions standard{};  // isal at its default level: what a backup uses
  std::vector<CompressionCell> cells;
  for (const auto& codec : BenchCodecs()) cells.push_back({.codec = codec, .threads = 1});
  for (const size_t threads : ThreadCounts(cpus)) {
    if (threads == 1 || threads == cpus) continue;
    cells.push_back({.codec = standard, .threads = threads});
  }
  if (cpus > 1) {
    for (const auto& codec : BenchCodecs()) cells.push_back({.codec = codec, .threads = cpus});
  }
  return cells;
}

std::vector<CompressionCell> PageSweep(const compress::CodecOptions& codec) {
  return {{.codec = codec, .threads = 1, .page_bytes = 256 * kKiB},
          {.codec = codec, .threads = 1, .page_bytes = 1 * kMiB},
          {.codec = codec, .threads = 1, .page_bytes = 4 * kMiB}};
}

Result<CompressionRow> MeasureCompression(const CompressionCell& cell,
                                          std::span<const std::byte> sample, double seconds,
                                          const StopSource* stop) {
  DBB_CHECK(cell.threads >= 1 && cell.page_bytes >= 1 && sample.size() >= cell.page_bytes);
  std::vector<std::unique_ptr<compress::Compressor>> compressors;
  std::vector<std::vector<std::byte>> outputs;
  for (size_t i = 0; i < cell.threads; ++i) {
    auto compressor = compress::MakeCompressor(cell.codec);
    if (!compressor.ok()) return compressor.status();
    compressors.push_back(std::move(compressor).value());
    // Allocated (and zeroed, so touched) before the clock starts.
    outputs.emplace_back(compressors.back()->MaxCompressedBytes(cell.page_bytes));
  }
  std::vector<Tally> tallies(cell.threads);
  Loop loop{.sample = sample, .page_bytes = cell.page_bytes, .stop = stop};
  std::latch go(1);
  SteadyClock::time_point start;
  {
    std::vector<std::jthread> threads;
    const size_t pieces = sample.size() / cell.page_bytes;
    for (size_t i = 0; i < cell.threads; ++i) {
      threads.emplace_back([&, i] {
        go.wait();  // loop.deadline is set by then
        CompressPieces(*compressors[i], loop, i * pieces / cell.threads, outputs[i], &tallies[i]);
      });
    }
    start = SteadyClock::now();
    loop.deadline = start + std::chrono::duration_cast<SteadyClock::duration>(
                                std::chrono::duration<double>(seconds));
    go.count_down();
  }
  CompressionRow row{.cell = cell, .seconds = SecondsSince(start)};
  for (const Tally& t : tallies) {
    DBB_RETURN_IF_ERROR(t.status);
    row.input_bytes += t.input_bytes;
    row.output_bytes += t.output_bytes;
  }
  row.ratio = static_cast<double>(row.input_bytes) /
              static_cast<double>(std::max<uint64_t>(row.output_bytes, 1));
  row.mb_per_s = static_cast<double>(row.input_bytes) / 1e6 / std::max(row.seconds, 1e-9);
  return row;
}

}  // namespace dbb::engine
