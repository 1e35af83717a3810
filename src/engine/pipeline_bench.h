// `dbbackup bench pipeline`: pushes synthetic data through the real page pipeline to files in a
// directory and reports input throughput, compression ratio and the process's peak RSS. It is the
// same code path a backup uses from the COPY buffer on, without a database.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "compress/pipeline.h"
#include "engine/sample_data.h"

namespace dbb::engine {

struct PipelineBenchOptions {
  compress::PipelineOptions pipeline;
  uint64_t input_bytes = 1 * kGiB;
  SampleKind data = SampleKind::kMixed;
  size_t files = 1;                 // outputs written at once, each by its own producer thread
  size_t append_bytes = 64 * kKiB;  // size of each Append, like one COPY buffer
  std::string parent_dir;   // a new dbbackup-bench.XXXXXX directory is made here for the files
  bool keep_files = false;  // otherwise that directory is removed afterwards
};

struct PipelineBenchResult {
  uint64_t input_bytes = 0;
  uint64_t stored_bytes = 0;
  double seconds = 0;
  uint64_t peak_rss_bytes = 0;  // of the whole process, including the sample buffer
  uint64_t sample_bytes = 0;    // the in-memory sample that is fed repeatedly
  uint64_t pipeline_memory_bytes = 0;
  std::string io;   // how the files were written, e.g. "io_uring, O_DIRECT"
  std::string dir;  // where the files were written
};

Result<PipelineBenchResult> RunPipelineBench(const PipelineBenchOptions& options);

}  // namespace dbb::engine
