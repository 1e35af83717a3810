// The compression part of `dbbackup bench`: input MB/s and ratio of each engine and level, in
// memory (no disk), on sample data (engine/sample_data.h), with T threads each compressing
// page-sized pieces of the sample in a loop with its own compressor, as the pipeline's threads do.
//
// The grid is kept small enough for a time budget of a few seconds: every setting runs with one
// thread (its speed per core) and with one thread per CPU (what a backup runs, and what the
// recommendation needs); the thread counts in between (2, 4, 8 ...) run for the default setting
// only, to show how compression scales on this host. Page sizes other than 1 MiB run for one
// setting, the one recommended, afterwards (PageSweep), 1 MiB again among them so that the three
// are measured back to back under the same conditions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"
#include "common/stop.h"
#include "common/units.h"
#include "compress/codec.h"

namespace dbb::engine {

struct CompressionCell {
  compress::CodecOptions codec;
  size_t threads = 1;
  size_t page_bytes = 1 * kMiB;  // input bytes per Compress call (one gzip member / zstd frame)
};

struct CompressionRow {
  CompressionCell cell;
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  double seconds = 0;
  double ratio = 0;     // input / output
  double mb_per_s = 0;  // input bytes per second, in 10^6
};

// The settings measured: isal 0, 1, 2; libdeflate 1, 6; zstd 1, 3.
std::vector<compress::CodecOptions> BenchCodecs();
// 1, 2, 4 ... below `cpus`, and `cpus` itself.
std::vector<size_t> ThreadCounts(size_t cpus);
// The cells described above, for a host with `cpus` CPUs, all with 1 MiB pages.
std::vector<CompressionCell> CompressionGrid(size_t cpus);
// `codec` with one thread at 256 KiB, 1 MiB and 4 MiB pages (--page-size takes 64 KiB to 32 MiB;
// below 256 KiB the ratio suffers, above 4 MiB only memory grows).
std::vector<CompressionCell> PageSweep(const compress::CodecOptions& codec);

// Runs one cell for `seconds` (each thread finishes the piece it is on, and does at least one)
// over `sample`, which must hold at least one page. A stop request ends it early; the row
// then counts what was done. kInternal if a compressor cannot be made or fails.
Result<CompressionRow> MeasureCompression(const CompressionCell& cell,
                                          std::span<const std::byte> sample, double seconds,
                                          const StopSource* stop);

}  // namespace dbb::engine
