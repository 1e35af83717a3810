// Private to src/compress: what the gzip and zstd decoders share. The base class drives the loop
// over a Feed call's input, numbers members and remembers where each began, checks each member's
// magic bytes itself (so trailing garbage shorter than a header is still caught), keeps the first
// error sticky, and knows whether the stream ended between members. Subclasses wrap one library
// call per DecodeStep.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/status.h"
#include "compress/decompressor.h"

namespace dbb::compress::internal {

class MemberDecoder : public Decompressor {
 public:
  // Size of the buffer output is decoded into before it goes to the sink.
  static constexpr size_t kOutputBytes = size_t{256} * 1024;

  MemberDecoder(const MemberDecoder&) = delete;
  MemberDecoder& operator=(const MemberDecoder&) = delete;

  Status Feed(std::span<const std::byte> input, const ByteSink& sink) final;
  Status Finish() final;

  uint64_t members() const final { return members_; }
  uint64_t bytes_in() const final { return bytes_in_; }
  uint64_t bytes_out() const final { return bytes_out_; }

 protected:
  struct Step {
    size_t consumed = 0;      // input bytes the library took
    size_t produced = 0;      // output bytes written to the start of the output span
    bool member_end = false;  // the member's last byte was consumed and its output delivered
    Status error;             // detail only ("CRC-32 mismatch"); the base adds which member
  };

  // `format` and `unit` name things in messages: "gzip" + "member", "zstd" + "frame".
  // `magic_bytes` (at most 4) is how many leading bytes IsMemberStart judges.
  MemberDecoder(const char* format, const char* unit, size_t magic_bytes);

  // Whether `head` (1 to magic_bytes bytes) can begin a member.
  virtual bool IsMemberStart(std::span<const std::byte> head) const = 0;
  // Prepares the library for a new member; called before its first byte.
  virtual void ResetMember() = 0;
  // One library call on `input` (never empty at a member's start) into `output`.
  virtual Step DecodeStep(std::span<const std::byte> input, std::span<std::byte> output) = 0;

 private:
  Status Decode(std::span<const std::byte> input, const ByteSink& sink);
  Status CheckMagic(std::span<const std::byte> rest);
  std::string MemberLabel() const;

  const char* const format_;
  const char* const unit_;
  const size_t magic_bytes_;
  const std::unique_ptr<std::byte[]> output_;

  Status status_;  // the first error, returned by every later call
  bool in_member_ = false;
  uint64_t member_start_ = 0;  // compressed offset of the current member's first byte
  std::array<std::byte, 4> head_{};
  size_t head_seen_ = 0;  // how many of the current member's leading bytes were checked

  uint64_t members_ = 0;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

}  // namespace dbb::compress::internal
