// The disk part of `dbbackup bench`: how fast the backup directory's file system takes a stream of
// writes, the way a backup writes its files (io::OpenWriter: io_uring and O_DIRECT, a ring of 4
// staging buffers) at a few request sizes, against buffered pwrite as a plain tool would write.
//
// Every measurement writes one new file in a scratch directory `dbbackup-bench.XXXXXX` made under
// the given directory, ends at its time slice or its byte cap (whichever comes first), and its time
// includes Close's fsync, so buffered writes are not measured against the page cache alone. Each
// file is removed as soon as it is measured and the scratch directory when the phase ends, also
// after an error or a stop: at most one file's bytes are on the disk at any time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop.h"
#include "common/units.h"

namespace dbb::engine {

struct DiskRow {
  std::string mode;          // "direct" (O_DIRECT) or "buffered" (page cache, fsync at the end)
  size_t request_bytes = 0;  // bytes per write request (the writer's staging buffer)
  uint64_t bytes = 0;        // written to the file
  double seconds = 0;        // the writes and the final fsync
  double mb_per_s = 0;       // bytes / seconds, in 10^6 bytes per second
  std::string io;            // what the file system allowed, e.g. "io_uring, O_DIRECT"
};

struct DiskBenchOptions {
  std::string parent_dir;  // the scratch directory is made here (mkdtemp)
  double seconds = 4;  // for the whole phase; what is left is split evenly over the measurements
                       // still to run
  uint64_t max_bytes = 1 * kGiB;     // largest file, before the free-space bound below
  const StopSource* stop = nullptr;  // a stop request ends the phase early (with kCancelled)
};

struct DiskBenchResult {
  std::vector<DiskRow> rows;
  std::vector<std::string> notes;  // what could not be measured, and why
  uint64_t cap_bytes = 0;          // the largest file allowed (DiskCapBytes)
  std::string scratch_dir;         // where the files were written (removed by now)
};

// The O_DIRECT request sizes measured: 256 KiB, 1 MiB (what a backup's writer uses), 4 MiB.
std::vector<size_t> DiskRequestSizes();
// The request size a backup's writer uses (io::WriterOptions::buffer_bytes).
inline constexpr size_t kWriterRequestBytes = 1 * kMiB;

// The largest file one measurement may write: `max_bytes`, but never more than a tenth of the
// free space, rounded down to a multiple of 4 MiB (the largest request).
uint64_t DiskCapBytes(uint64_t max_bytes, uint64_t free_bytes);
// The cap for the buffered measurement: what O_DIRECT wrote at `direct_mb_per_s` in the same
// slice (at least 16 MiB, at most `cap_bytes`). Buffered writes land in the page cache at memory
// speed; without this bound the fsync of a slice's worth of cached bytes could last many slices.
uint64_t BufferedCapBytes(uint64_t cap_bytes, double direct_mb_per_s, double slice_s);

// Creates the scratch directory, measures, removes it. Fails (naming the path) when the directory
// cannot be made or a write fails; a file system that refuses O_DIRECT is a note, not an error
// (the buffered row is still measured), and so is too little free space (nothing is written).
Result<DiskBenchResult> RunDiskBench(const DiskBenchOptions& options);

}  // namespace dbb::engine
