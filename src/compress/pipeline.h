// The page pipeline: what the layers above use to turn a stream of bytes into a compressed file
// on disk, in bounded memory.
//
//   producer --Append--> raw page (pool) --queue--> T compression threads --> compressed page
//            (pool) --in order per output--> FileWriter (io_uring, O_DIRECT) --> <path>.partial
//            --Close: fsync, rename--> <path>
//
// Every raw page becomes one independent gzip member (zstd frame), so each output is a valid
// multi-member gzip (multi-frame zstd) file. Members are written in the order their bytes were
// appended, whatever order the threads finish in.
//
// Memory is fixed when the pipeline is created (memory_bytes()): two page pools, the writers'
// staging buffers for `max_outputs` open outputs, and one codec state per thread. A slow disk
// or slow compression blocks Append; nothing queues up elsewhere.
//
// Errors (ENOSPC, EIO, a codec failure) are sticky per output: the next Append or Close returns
// the error, naming the file and the offset. A failed or abandoned output leaves no file at its
// final path (its ".partial" file is removed), so nothing looks complete that is not.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "compress/codec.h"
#include "io/bounded_queue.h"
#include "io/file_writer.h"
#include "io/page_pool.h"

namespace dbb::compress {

inline constexpr size_t kMaxThreads = 256;
inline constexpr size_t kMaxOutputs = 1024;
inline constexpr size_t kMaxPipelinePageBytes = io::kMaxPageBytes / 2;

struct PipelineOptions {
  CodecOptions codec;
  size_t threads = 2;            // compression threads, 1..kMaxThreads
  size_t page_bytes = 1 * kMiB;  // raw page = uncompressed bytes per gzip member / zstd frame;
                                 // a multiple of 4 KiB, 64 KiB to kMaxPipelinePageBytes
  size_t page_count = 0;         // raw pages; 0 = max_outputs + 4 x threads
  size_t max_outputs = 4;        // outputs open at the same time, 1..kMaxOutputs
  io::WriterOptions writer;      // per output
};

// Checks every option against its bounds (threads, outputs, page size and count, codec level);
// kInvalidArgument naming the option and its range. Create does the same; callers use it to
// reject a bad command line before they connect or create anything.
Status ValidatePipeline(const PipelineOptions& options);

// What Close reports about a finished file.
struct OutputStats {
  std::string path;
  uint64_t raw_bytes = 0;     // bytes appended
  uint64_t stored_bytes = 0;  // bytes in the file
  uint64_t members = 0;       // gzip members / zstd frames
  uint32_t crc32c = 0;        // CRC-32C (Castagnoli) of the file's bytes
  io::IoChoice io;
};

// Where the time went, in seconds summed over threads (for --verbose and the benchmarks).
struct PipelineTimes {
  double compress_s = 0;       // compression threads compressing
  double write_s = 0;          // handing compressed pages to the writers (disk waits included)
  double producer_wait_s = 0;  // producers blocked for a free raw page: compression or the disk
                               // is behind
};

class Pipeline;
struct OutputState;

// One compressed file being written. Single producer: Append and Close from one thread at a time.
// Destroying an Output that was not closed aborts it (waits for its pages, removes the file).
class Output {
 public:
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // Copies `bytes` into pages; blocks while no page is free.
  [[nodiscard]] Status Append(std::span<const std::byte> bytes);
  // Flushes the last page, waits until every member is written, fsyncs, renames <path>.partial
  // to <path>. The caller fsyncs the directory (the manifest step does, once for all files).
  Result<OutputStats> Close();
  // Discards the output and removes its partial file.
  void Abort();

 private:
  friend class Pipeline;
  Output(Pipeline* pipeline, std::unique_ptr<OutputState> state);
  Status Submit();
  void WaitIdle();

  Pipeline* pipeline_;
  std::unique_ptr<OutputState> state_;
  io::Page* page_ = nullptr;  // being filled
  bool finished_ = false;
};

// Thread-safe: any thread may Open outputs (up to max_outputs at once).
class Pipeline {
 public:
  static Result<std::unique_ptr<Pipeline>> Create(const PipelineOptions& options);
  // All outputs must be closed or aborted first (checked).
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Creates <path>.partial (see io::OpenWriter). More than max_outputs open is a programmer bug.
  Result<std::unique_ptr<Output>> Open(const std::string& path);

  // The fixed memory this pipeline uses at most, and what it is made of (for --verbose).
  size_t memory_bytes() const;
  std::string DescribeMemory() const;
  const PipelineOptions& options() const { return options_; }
  PipelineTimes times() const;

 private:
  friend class Output;
  struct Job {
    OutputState* output;
    uint64_t seq;
    io::Page* page;
  };

  explicit Pipeline(const PipelineOptions& options);
  void Worker(Compressor* compressor);
  void Deliver(OutputState& out, uint64_t seq, io::Page* page, Status status);
  void OutputClosed();

  PipelineOptions options_;
  std::unique_ptr<io::PagePool> raw_pool_;
  std::unique_ptr<io::PagePool> packed_pool_;
  std::unique_ptr<io::BoundedQueue<Job>> queue_;
  std::vector<std::unique_ptr<Compressor>> compressors_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> open_outputs_{0};
  std::atomic<uint64_t> compress_ns_{0};
  std::atomic<uint64_t> write_ns_{0};
  std::atomic<uint64_t> producer_wait_ns_{0};
};

}  // namespace dbb::compress
