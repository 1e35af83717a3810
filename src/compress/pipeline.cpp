#include "compress/pipeline.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "common/log.h"
#include "common/timing.h"
#include "compress/crc32c.h"

namespace dbb::compress {

// Shared between the producer (Output) and the compression threads. Members are written by
// whichever thread completes the next page in sequence, under `mutex`.
struct OutputState {
  std::string path;          // final name
  std::string partial_path;  // name while being written
  std::unique_ptr<io::FileWriter> writer;

  std::mutex mutex;
  std::condition_variable idle;  // signalled when a job completes
  Status error;                  // first error; guarded by mutex
  std::atomic<bool> failed{false};
  std::vector<io::Page*> parked;  // compressed pages waiting for their turn, by seq % size
  uint64_t next_write_seq = 0;    // guarded by mutex
  uint64_t completed_jobs = 0;    // guarded by mutex
  uint32_t crc = 0;               // guarded by mutex

  // Producer side only.
  uint64_t submitted_jobs = 0;
  uint64_t raw_bytes = 0;

  void SetError(Status status) {  // mutex held
    if (error.ok()) error = std::move(status);
    failed.store(true, std::memory_order_release);
  }
};

Status ValidatePipeline(const PipelineOptions& o) {
  if (o.threads < 1 || o.threads > kMaxThreads) {
    return Status(StatusCode::kInvalidArgument, "compression threads " + std::to_string(o.threads) +
                                                    " out of range: use 1 to " +
                                                    std::to_string(kMaxThreads));
  }
  if (o.max_outputs < 1 || o.max_outputs > kMaxOutputs) {
    return Status(StatusCode::kInvalidArgument, "open outputs " + std::to_string(o.max_outputs) +
                                                    " out of range: use 1 to " +
                                                    std::to_string(kMaxOutputs));
  }
  // A compressed page must hold the worst case of a raw one, and pool pages stop at 64 MiB.
  if (o.page_bytes < io::kMinPageBytes || o.page_bytes > kMaxPipelinePageBytes ||
      o.page_bytes % io::kPageAlign != 0) {
    return Status(StatusCode::kInvalidArgument,
                  "page size " + FormatBytes(o.page_bytes) + " out of range: use a multiple of " +
                      FormatBytes(io::kPageAlign) + " from " + FormatBytes(io::kMinPageBytes) +
                      " to " + FormatBytes(kMaxPipelinePageBytes));
  }
  if (o.page_count != 0 && o.page_count <= o.max_outputs) {
    // Each open output holds one page while filling it; one more keeps the queue moving.
    return Status(StatusCode::kInvalidArgument,
                  "page count " + std::to_string(o.page_count) + " is too small for " +
                      std::to_string(o.max_outputs) + " open outputs: use at least " +
                      std::to_string(o.max_outputs + 1));
  }
  return ValidateCodec(o.codec);
}

Pipeline::Pipeline(const PipelineOptions& options) : options_(options) {}

Result<std::unique_ptr<Pipeline>> Pipeline::Create(const PipelineOptions& options) {
  DBB_RETURN_IF_ERROR(ValidatePipeline(options));
  std::unique_ptr<Pipeline> p(new Pipeline(options));
  PipelineOptions& o = p->options_;
  if (o.page_count == 0) o.page_count = o.max_outputs + 4 * o.threads;

  auto raw = io::PagePool::Create({.page_bytes = o.page_bytes, .page_count = o.page_count});
  if (!raw.ok()) return raw.status();
  p->raw_pool_ = std::move(raw).value();

  for (size_t i = 0; i < o.threads; ++i) {
    auto c = MakeCompressor(o.codec);
    if (!c.ok()) return c.status();
    p->compressors_.push_back(std::move(c).value());
  }
  // Every worker holds one packed page while it compresses; the spares let finished pages wait
  // for their turn without stalling the other threads.
  const size_t packed_bytes =
      AlignUp(p->compressors_[0]->MaxCompressedBytes(o.page_bytes), io::kPageAlign);
  auto packed = io::PagePool::Create({.page_bytes = packed_bytes, .page_count = 2 * o.threads + 1});
  if (!packed.ok()) return packed.status();
  p->packed_pool_ = std::move(packed).value();

  // Every job holds a raw page, so the queue can never hold more jobs than there are pages.
  p->queue_ = std::make_unique<io::BoundedQueue<Job>>(o.page_count);
  for (auto& c : p->compressors_) {
    p->threads_.emplace_back([pp = p.get(), comp = c.get()] { pp->Worker(comp); });
  }
  log::Verbose("pipeline: " + p->DescribeMemory());
  return p;
}

Pipeline::~Pipeline() {
  DBB_CHECK_MSG(open_outputs_.load() == 0, "pipeline destroyed with outputs still open");
  if (threads_.empty()) return;  // Create failed before starting them
  queue_->Close();
  packed_pool_->Close();
  for (auto& t : threads_) t.join();
}

size_t Pipeline::memory_bytes() const {
  return raw_pool_->total_bytes() + packed_pool_->total_bytes() +
         options_.max_outputs * options_.writer.buffer_bytes * options_.writer.buffer_count;
}

std::string Pipeline::DescribeMemory() const {
  const auto& o = options_;
  return FormatBytes(memory_bytes()) + " fixed: " + std::to_string(raw_pool_->page_count()) +
         " raw pages x " + FormatBytes(raw_pool_->page_bytes()) + ", " +
         std::to_string(packed_pool_->page_count()) + " compressed pages x " +
         FormatBytes(packed_pool_->page_bytes()) + ", " + std::to_string(o.max_outputs) +
         " outputs x " + std::to_string(o.writer.buffer_count) + " write buffers x " +
         FormatBytes(o.writer.buffer_bytes) + "; " + std::to_string(o.threads) + " " +
         EngineName(o.codec.engine) + " level " + std::to_string(o.codec.level) + " threads";
}

Result<std::unique_ptr<Output>> Pipeline::Open(const std::string& path) {
  const size_t was_open = open_outputs_.fetch_add(1);
  DBB_CHECK_MSG(was_open < options_.max_outputs, "more outputs open than max_outputs");
  auto state = std::make_unique<OutputState>();
  state->path = path;
  state->partial_path = path + ".partial";
  auto writer = io::OpenWriter(state->partial_path, options_.writer);
  if (!writer.ok()) {
    OutputClosed();
    return writer.status();
  }
  state->writer = std::move(writer).value();
  // A job in flight holds a raw or a packed page, so no more than this many can be out of order.
  state->parked.assign(raw_pool_->page_count() + packed_pool_->page_count(), nullptr);
  return std::unique_ptr<Output>(new Output(this, std::move(state)));
}

void Pipeline::OutputClosed() { open_outputs_.fetch_sub(1); }

PipelineTimes Pipeline::times() const {
  return {.compress_s = NanosToSeconds(compress_ns_.load()),
          .write_s = NanosToSeconds(write_ns_.load()),
          .producer_wait_s = NanosToSeconds(producer_wait_ns_.load())};
}

void Pipeline::Worker(Compressor* compressor) {
  // The packed page is taken before the job: a thread that has a job can always finish it, so
  // the oldest page of every output keeps moving and parked pages are always released.
  for (;;) {
    io::Page* packed = packed_pool_->Acquire();
    if (packed == nullptr) return;
    std::optional<Job> job = queue_->Pop();
    if (!job) {
      packed_pool_->Release(packed);
      return;
    }
    Status status;
    if (!job->output->failed.load(std::memory_order_acquire)) {
      const ScopedNanos timed(&compress_ns_);
      auto n = compressor->Compress(job->page->bytes(), {packed->data, packed->capacity});
      if (n.ok()) {
        packed->size = n.value();
      } else {
        status = n.status().WithContext(job->output->path + " at input offset " +
                                        std::to_string(job->seq * raw_pool_->page_bytes()));
      }
    }
    raw_pool_->Release(job->page);
    Deliver(*job->output, job->seq, packed, std::move(status));
  }
}

void Pipeline::Deliver(OutputState& out, uint64_t seq, io::Page* page, Status status) {
  std::lock_guard lock(out.mutex);
  if (!status.ok()) out.SetError(std::move(status));
  const size_t ring = out.parked.size();
  out.parked[seq % ring] = page;
  // Write every page that is next in sequence; on error, just return pages to the pool.
  while (io::Page* next = out.parked[out.next_write_seq % ring]) {
    out.parked[out.next_write_seq % ring] = nullptr;
    if (!out.failed.load(std::memory_order_relaxed)) {
      const ScopedNanos timed(&write_ns_);
      Status st = out.writer->Append(next->bytes());
      if (st.ok()) {
        out.crc = Crc32c(out.crc, next->bytes());
      } else {
        out.SetError(std::move(st));
      }
    }
    packed_pool_->Release(next);
    ++out.next_write_seq;
    ++out.completed_jobs;
  }
  // Notify while holding the lock: the producer may destroy `out` as soon as it sees the last job
  // complete, so nothing here may touch `out` after the mutex is released.
  out.idle.notify_all();
}

Output::Output(Pipeline* pipeline, std::unique_ptr<OutputState> state)
    : pipeline_(pipeline), state_(std::move(state)) {}

Output::~Output() {
  if (!finished_) Abort();
}

Status Output::Append(std::span<const std::byte> bytes) {
  DBB_CHECK(!finished_);
  while (!bytes.empty()) {
    if (state_->failed.load(std::memory_order_acquire)) break;
    if (page_ == nullptr) {
      const ScopedNanos timed(&pipeline_->producer_wait_ns_);
      page_ = pipeline_->raw_pool_->Acquire();
      DBB_CHECK(page_ != nullptr);  // the pool closes only in ~Pipeline
    }
    std::span<std::byte> room = page_->free_space();
    const size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    page_->size += n;
    state_->raw_bytes += n;
    bytes = bytes.subspan(n);
    if (page_->size == page_->capacity) DBB_RETURN_IF_ERROR(Submit());
  }
  if (state_->failed.load(std::memory_order_acquire)) {
    std::lock_guard lock(state_->mutex);
    return state_->error;
  }
  return Status::Ok();
}

Status Output::Submit() {
  const Pipeline::Job job{.output = state_.get(), .seq = state_->submitted_jobs, .page = page_};
  page_ = nullptr;
  if (!pipeline_->queue_->Push(job)) {
    pipeline_->raw_pool_->Release(job.page);
    return Status(StatusCode::kCancelled, state_->path + ": the pipeline is shutting down");
  }
  ++state_->submitted_jobs;
  return Status::Ok();
}

void Output::WaitIdle() {
  std::unique_lock lock(state_->mutex);
  state_->idle.wait(lock, [&] { return state_->completed_jobs == state_->submitted_jobs; });
}

Result<OutputStats> Output::Close() {
  DBB_CHECK(!finished_);
  // An empty output still gets one (empty) member, so it is a valid gzip / zstd file.
  Status status;
  if (page_ != nullptr || state_->submitted_jobs == 0) {
    if (page_ == nullptr) page_ = pipeline_->raw_pool_->Acquire();
    status = Submit();
  }
  WaitIdle();
  if (status.ok()) {
    std::lock_guard lock(state_->mutex);
    status = state_->error;
  }
  if (status.ok()) status = state_->writer->Close();
  if (status.ok() && std::rename(state_->partial_path.c_str(), state_->path.c_str()) != 0) {
    status = Status::FromErrno(errno, "rename " + state_->partial_path + " to " + state_->path);
  }
  if (!status.ok()) {
    Abort();
    return status;
  }
  OutputStats stats{.path = state_->path,
                    .raw_bytes = state_->raw_bytes,
                    .stored_bytes = state_->writer->bytes_appended(),
                    .members = state_->submitted_jobs,
                    .crc32c = state_->crc,
                    .io = state_->writer->choice()};
  finished_ = true;
  state_->writer.reset();
  pipeline_->OutputClosed();
  return stats;
}

void Output::Abort() {
  if (finished_) return;
  finished_ = true;
  {
    std::lock_guard lock(state_->mutex);
    state_->SetError(Status(StatusCode::kCancelled, state_->path + ": aborted"));
  }
  if (page_ != nullptr) {
    pipeline_->raw_pool_->Release(page_);
    page_ = nullptr;
  }
  WaitIdle();
  state_->writer.reset();  // stops any I/O still in flight, closes the descriptor
  ::unlink(state_->partial_path.c_str());
  pipeline_->OutputClosed();
}

}  // namespace dbb::compress
