// FileReader with read-ahead: block k of the file goes into buffer k % count, and the next
// `count` blocks are being read while the caller consumes one.
#include "io/file_reader.h"

#include <algorithm>
#include <vector>

#include "io/open_file.h"

namespace dbb::io {

namespace {

class ReadAheadReader final : public FileReader {
 public:
  ReadAheadReader(std::string path, OpenedFile file, AlignedBuffers buffers,
                  std::unique_ptr<BlockIo> io)
      : path_(std::move(path)),
        fd_(std::move(file.fd)),
        choice_(std::move(file.choice)),
        file_bytes_(file.size_bytes),
        buffers_(std::move(buffers)),
        io_(std::move(io)),
        got_(buffers_.count(), kPending) {}

  // Starts the first `count` blocks.
  Status StartReadAhead() {
    for (uint64_t block = 0; block < buffers_.count(); ++block) {
      DBB_RETURN_IF_ERROR(StartBlock(block));
    }
    return Status::Ok();
  }

  Result<std::span<const std::byte>> Next() override;

  uint64_t file_bytes() const override { return file_bytes_; }
  const std::string& path() const override { return path_; }
  const IoChoice& choice() const override { return choice_; }

 private:
  static constexpr size_t kPending = SIZE_MAX;

  Status StartBlock(uint64_t block);
  size_t BlockBytes(uint64_t block) const {
    return static_cast<size_t>(
        std::min<uint64_t>(buffers_.bytes(), file_bytes_ - block * buffers_.bytes()));
  }

  std::string path_;
  UniqueFd fd_;
  IoChoice choice_;
  uint64_t file_bytes_;
  AlignedBuffers buffers_;
  // Declared after fd_ and buffers_ so it is destroyed before them: its destructor waits for
  // the reads still in flight, which use both.
  std::unique_ptr<BlockIo> io_;

  std::vector<size_t> got_;  // by buffer: bytes read, or kPending while in flight
  uint64_t next_block_ = 0;  // the block Next returns next
  bool holding_ = false;     // the caller has the view of block next_block_ - 1
  Status error_;             // the first error, returned from every later call
};

Status ReadAheadReader::StartBlock(uint64_t block) {
  const uint64_t offset = block * buffers_.bytes();
  if (offset >= file_bytes_) return Status::Ok();
  const auto index = static_cast<uint32_t>(block % buffers_.count());
  const size_t need = BlockBytes(block);
  got_[index] = kPending;
  // O_DIRECT reads whole blocks; the kernel stops at end of file, so the last one needs only
  // the file's own bytes.
  return io_->Start({.index = index,
                     .data = buffers_.data(index),
                     .bytes = choice_.direct ? AlignUp(need, kDirectAlign) : need,
                     .need = need,
                     .offset = offset});
}

Result<std::span<const std::byte>> ReadAheadReader::Next() {
  if (!error_.ok()) return error_;
  if (holding_) {
    holding_ = false;
    // The caller is done with the previous block: its buffer reads ahead again.
    error_ = StartBlock(next_block_ - 1 + buffers_.count());
    if (!error_.ok()) return error_;
  }
  if (next_block_ * buffers_.bytes() >= file_bytes_) return std::span<const std::byte>();

  const auto index = static_cast<uint32_t>(next_block_ % buffers_.count());
  while (got_[index] == kPending) {
    Result<Completion> done = io_->WaitOne();
    if (!done.ok()) {
      error_ = done.status();
      return error_;
    }
    got_[done->index] = done->bytes;
  }
  const size_t need = BlockBytes(next_block_);
  if (got_[index] < need) {
    const uint64_t end = next_block_ * buffers_.bytes() + got_[index];
    error_ = Status(StatusCode::kCorrupt, "read " + path_ + " at offset " + std::to_string(end) +
                                              ": file ends there but had " +
                                              std::to_string(file_bytes_) + " bytes at open");
    return error_;
  }
  ++next_block_;
  holding_ = true;
  return std::span<const std::byte>(buffers_.data(index), need);
}

}  // namespace

Result<std::unique_ptr<FileReader>> OpenReader(const std::string& path,
                                               const ReaderOptions& options) {
  Result<OpenedIo> opened = OpenIo(path, {.op = Op::kRead,
                                          .engine = options.engine,
                                          .direct = options.direct,
                                          .buffer_bytes = options.buffer_bytes,
                                          .buffer_count = options.buffer_count});
  if (!opened.ok()) return opened.status();
  OpenedIo& o = opened.value();
  auto reader = std::make_unique<ReadAheadReader>(path, std::move(o.file), std::move(o.buffers),
                                                  std::move(o.io));
  DBB_RETURN_IF_ERROR(reader->StartReadAhead());
  return std::unique_ptr<FileReader>(std::move(reader));
}

}  // namespace dbb::io
