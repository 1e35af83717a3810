// The settings `dbbackup bench` recommends, decided from its measurements alone (pure functions of
// a HostBenchResult, so they can be tested on made-up numbers):
//
//   -j                 with COPY measured, the fewest connections within 10% of the best COPY
//                      rate (more connections cost server backends and memory for nothing);
//                      otherwise one per CPU.
//   --compress-threads one per CPU: compression is the stage that needs CPU, and a thread with
//                      no page to compress sleeps.
//   --compress-engine/--compress-level
//                      the best ratio among the settings that keep up with the input, measured
//                      with that many threads; the input is the slower of the COPY rate and what
//                      the disk takes (its O_DIRECT rate x the setting's ratio, as the disk writes
//                      compressed bytes). "Keeps up" means 25% to spare: in a backup the COPY
//                      connections, the copy into pages and the writer share the CPUs with
//                      compression (the pipeline reached 70-83% of the raw compressors' rate on 2
//                      cores, docs/BENCHMARKS.md). Ratios within 1% count as equal, and the
//                      faster of them wins. If none keeps up, the fastest. With no input
//                      measured, the default (isal 1).
//   --page-size        the smallest page within 5% of the best rate and 1% of the best ratio for
//                      the chosen setting (its page_sizes rows), else the smallest within 5% of
//                      the best rate: memory is pages x page size. The
//                      page size is the uncompressed bytes per gzip member / zstd frame; it does
//                      not change the size of write requests (the writer's 1 MiB staging buffers),
//                      which is why it is decided from compression, not from the disk rows.
#pragma once

#include "engine/host_bench.h"

namespace dbb::engine {

inline constexpr double kJobsTolerance = 0.10;
inline constexpr double kCompressHeadroom = 1.25;
inline constexpr double kPageRateTolerance = 0.05;
inline constexpr double kRatioTolerance = 0.01;

// Fills every field of the recommendation, reasons included, from `result`'s rows and cpus.
Recommendation Recommend(const HostBenchResult& result);

// "256KiB", "1MiB": a size as --page-size takes it.
std::string PageSizeFlag(size_t bytes);

}  // namespace dbb::engine
