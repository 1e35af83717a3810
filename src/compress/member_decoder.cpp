#include "compress/member_decoder.h"

#include "common/check.h"

namespace dbb::compress::internal {

MemberDecoder::MemberDecoder(const char* format, const char* unit, size_t magic_bytes)
    : format_(format),
      unit_(unit),
      magic_bytes_(magic_bytes),
      output_(std::make_unique_for_overwrite<std::byte[]>(kOutputBytes)) {
  DBB_CHECK(magic_bytes_ >= 1 && magic_bytes_ <= head_.size());
}

Status MemberDecoder::Feed(std::span<const std::byte> input, const ByteSink& sink) {
  if (!status_.ok()) return status_;
  // An empty call has nothing to add; skipping it also keeps libraries that count calls without
  // progress (zstd) from seeing one.
  if (input.empty()) return Status::Ok();
  status_ = Decode(input, sink);
  return status_;
}

Status MemberDecoder::Finish() {
  if (!status_.ok()) return status_;
  if (in_member_) {
    status_ = Status(StatusCode::kCorrupt, "truncated: stream ends inside " + MemberLabel());
  } else if (members_ == 0) {
    status_ = Status(StatusCode::kCorrupt, std::string("empty input: no ") + format_ + " " + unit_);
  }
  return status_;
}

Status MemberDecoder::Decode(std::span<const std::byte> input, const ByteSink& sink) {
  const std::span<std::byte> output(output_.get(), kOutputBytes);
  size_t pos = 0;
  // Every pass consumes input or produces output (checked below), so the loop is bounded by
  // input size plus output size.
  while (true) {
    if (!in_member_) {
      // Start the next member only once one of its bytes is here, so that a stream ending
      // exactly after a member is seen as complete.
      if (pos == input.size()) return Status::Ok();
      in_member_ = true;
      member_start_ = bytes_in_;
      head_seen_ = 0;
      ResetMember();
    }
    DBB_RETURN_IF_ERROR(CheckMagic(input.subspan(pos)));
    const Step step = DecodeStep(input.subspan(pos), output);
    pos += step.consumed;
    bytes_in_ += step.consumed;
    bytes_out_ += step.produced;
    if (step.produced > 0) DBB_RETURN_IF_ERROR(sink(output.first(step.produced)));
    if (!step.error.ok()) return step.error.WithContext(MemberLabel());
    if (step.member_end) {
      ++members_;
      in_member_ = false;
      continue;
    }
    if (step.consumed == 0 && step.produced == 0) {
      if (pos == input.size()) return Status::Ok();  // needs more input
      return Status(StatusCode::kInternal,
                    MemberLabel() + ": the decoder stopped taking input without an error");
    }
  }
}

Status MemberDecoder::CheckMagic(std::span<const std::byte> rest) {
  if (head_seen_ == magic_bytes_) return Status::Ok();
  // Bytes are checked before the library consumes them, so every consumed byte was checked.
  const uint64_t consumed = bytes_in_ - member_start_;
  DBB_CHECK(consumed <= head_seen_);
  for (size_t i = head_seen_ - consumed; head_seen_ < magic_bytes_ && i < rest.size(); ++i) {
    head_[head_seen_++] = rest[i];
    if (IsMemberStart(std::span(head_).first(head_seen_))) continue;
    const std::string what = members_ == 0 ? "not a " : "trailing garbage, not a ";
    return Status(StatusCode::kCorrupt, MemberLabel() + ": " + what + format_ + " header");
  }
  return Status::Ok();
}

std::string MemberDecoder::MemberLabel() const {
  return std::string(format_) + " " + unit_ + " " + std::to_string(members_ + 1) + " (at byte " +
         std::to_string(member_start_) + ")";
}

}  // namespace dbb::compress::internal
