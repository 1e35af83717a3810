// FileWriter over staging buffers: Append copies into the current buffer, a full buffer is handed
// to the BlockIo (io_uring or pwrite) at the next file offset, and the caller goes on with
// another free buffer while it is written.
#include "io/file_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "io/open_file.h"

namespace dbb::io {

namespace {

class StagedWriter final : public FileWriter {
 public:
  StagedWriter(std::string path, OpenedFile file, AlignedBuffers buffers,
               std::unique_ptr<BlockIo> io, bool sync_on_close)
      : path_(std::move(path)),
        fd_(std::move(file.fd)),
        choice_(std::move(file.choice)),
        buffers_(std::move(buffers)),
        io_(std::move(io)),
        sync_on_close_(sync_on_close) {
    free_.reserve(buffers_.count());
    for (size_t i = buffers_.count(); i > 0; --i) free_.push_back(static_cast<uint32_t>(i - 1));
  }

  Status Append(std::span<const std::byte> data) override;
  Status Close() override;

  uint64_t bytes_appended() const override { return appended_; }
  const std::string& path() const override { return path_; }
  const IoChoice& choice() const override { return choice_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;

  Status TakeBuffer();
  Status StartCurrent(size_t bytes);
  Status WaitOne();
  Status Finish();
  // The first error is kept and returned from every later call.
  Status Fail(const Status& status) {
    if (error_.ok()) error_ = status;
    return error_;
  }

  std::string path_;
  UniqueFd fd_;
  IoChoice choice_;
  AlignedBuffers buffers_;
  // Declared after fd_ and buffers_ so it is destroyed first: its destructor waits for the I/O
  // still in flight, which uses both.
  std::unique_ptr<BlockIo> io_;
  bool sync_on_close_;

  std::vector<uint32_t> free_;  // buffers neither filling nor in flight
  uint32_t current_ = kNone;    // the buffer being filled
  size_t fill_ = 0;             // bytes in it
  uint64_t next_offset_ = 0;    // where the current buffer goes in the file
  uint64_t appended_ = 0;
  size_t in_flight_ = 0;
  bool closed_ = false;
  Status error_;
};

Status StagedWriter::Append(std::span<const std::byte> data) {
  DBB_CHECK_MSG(!closed_, "FileWriter::Append after Close");
  if (!error_.ok()) return error_;
  while (!data.empty()) {
    if (current_ == kNone) DBB_RETURN_IF_ERROR(TakeBuffer());
    const size_t n = std::min(data.size(), buffers_.bytes() - fill_);
    std::memcpy(buffers_.data(current_) + fill_, data.data(), n);
    fill_ += n;
    appended_ += n;
    data = data.subspan(n);
    if (fill_ == buffers_.bytes()) DBB_RETURN_IF_ERROR(StartCurrent(fill_));
  }
  return Status::Ok();
}

Status StagedWriter::TakeBuffer() {
  // Every buffer in flight: waiting here is the back-pressure that stalls a producer faster
  // than the disk instead of growing memory.
  if (free_.empty()) DBB_RETURN_IF_ERROR(WaitOne());
  current_ = free_.back();
  free_.pop_back();
  fill_ = 0;
  return Status::Ok();
}

// Writes the current buffer's first `bytes` (fill_, or more when padded) at next_offset_.
Status StagedWriter::StartCurrent(size_t bytes) {
  const Transfer t{.index = current_,
                   .data = buffers_.data(current_),
                   .bytes = bytes,
                   .need = bytes,
                   .offset = next_offset_};
  current_ = kNone;
  next_offset_ += bytes;
  const Status started = io_->Start(t);
  if (!started.ok()) return Fail(started);
  ++in_flight_;
  return Status::Ok();
}

Status StagedWriter::WaitOne() {
  Result<Completion> done = io_->WaitOne();
  --in_flight_;
  if (!done.ok()) return Fail(done.status());
  free_.push_back(done->index);
  return Status::Ok();
}

Status StagedWriter::Close() {
  if (closed_) return error_;
  closed_ = true;
  if (error_.ok()) error_ = Finish();
  io_.reset();  // waits for anything still in flight after an error
  const int err = fd_.Close();
  if (err != 0) return Fail(Status::FromErrno(err, "close " + path_));
  return error_;
}

Status StagedWriter::Finish() {
  if (current_ != kNone) {
    size_t bytes = fill_;
    if (choice_.direct) {
      // O_DIRECT writes whole blocks: pad the last one with zeros; ftruncate cuts them off below.
      bytes = AlignUp(fill_, kDirectAlign);
      std::memset(buffers_.data(current_) + fill_, 0, bytes - fill_);
    }
    DBB_RETURN_IF_ERROR(StartCurrent(bytes));
  }
  while (in_flight_ > 0) DBB_RETURN_IF_ERROR(WaitOne());
  if (next_offset_ != appended_ && ::ftruncate(fd_.get(), static_cast<off_t>(appended_)) != 0) {
    return Status::FromErrno(errno,
                             "truncate " + path_ + " to " + std::to_string(appended_) + " bytes");
  }
  if (sync_on_close_ && ::fsync(fd_.get()) != 0) {
    return Status::FromErrno(errno, "fsync " + path_);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<FileWriter>> OpenWriter(const std::string& path,
                                               const WriterOptions& options) {
  Result<OpenedIo> opened = OpenIo(path, {.op = Op::kWrite,
                                          .engine = options.engine,
                                          .direct = options.direct,
                                          .buffer_bytes = options.buffer_bytes,
                                          .buffer_count = options.buffer_count});
  if (!opened.ok()) return opened.status();
  OpenedIo& o = opened.value();
  return std::unique_ptr<FileWriter>(new StagedWriter(path, std::move(o.file), std::move(o.buffers),
                                                      std::move(o.io), options.sync_on_close));
}

}  // namespace dbb::io
