// Multi-member gzip through isa-l's stateful inflate. isa-l parses one member (header, deflate
// blocks, trailer) and stops at its end with the next member's bytes still unconsumed, so the
// base class can reset it and go on. isa-l compares the trailer with its own CRC-32 and length,
// but reports either mismatch as one error code; the last eight consumed bytes are the trailer,
// so this file reads it again to say which field is wrong, and checks ISIZE against its own
// count of the member's output as well.
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "compress/engines.h"
#include "compress/member_decoder.h"

namespace dbb::compress::internal {

namespace {

constexpr size_t kTrailerBytes = 8;

uint32_t LoadLe32(const std::byte* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

std::string Hex32(uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out += kDigits[(value >> shift) & 0xf];
  return out;
}

Status HeaderError(int ret) {
  switch (ret) {
    case ISAL_INVALID_WRAPPER:
      return Status(StatusCode::kCorrupt, "invalid gzip header");
    case ISAL_UNSUPPORTED_METHOD:
      return Status(StatusCode::kCorrupt, "gzip header names a method other than deflate");
    case ISAL_INCORRECT_CHECKSUM:
      return Status(StatusCode::kCorrupt, "gzip header CRC-16 mismatch");
    default:
      return Status(StatusCode::kCorrupt, "isa-l gzip header error " + std::to_string(ret));
  }
}

Status InflateError(int ret) {
  switch (ret) {
    case ISAL_INVALID_BLOCK:
      return Status(StatusCode::kCorrupt, "invalid deflate block");
    case ISAL_INVALID_SYMBOL:
      return Status(StatusCode::kCorrupt, "invalid deflate symbol");
    case ISAL_INVALID_LOOKBACK:
      return Status(StatusCode::kCorrupt, "invalid deflate back-reference distance");
    default:
      return Status(StatusCode::kCorrupt, "isa-l inflate error " + std::to_string(ret));
  }
}

class GzipDecompressor final : public MemberDecoder {
 public:
  GzipDecompressor() : MemberDecoder("gzip", "member", 2) { isal_inflate_init(&state_); }

 private:
  bool IsMemberStart(std::span<const std::byte> head) const override {
    static constexpr std::byte kMagic[] = {std::byte{0x1f}, std::byte{0x8b}};
    return std::equal(head.begin(), head.end(), kMagic);
  }

  void ResetMember() override {
    isal_inflate_reset(&state_);
    state_.crc_flag = ISAL_GZIP;
    // isal_gzip_header_init leaves `flags` alone; the header reader resumes from it.
    header_ = {};
    isal_gzip_header_init(&header_);
    header_done_ = false;
    member_out_bytes_ = 0;
  }

  Step DecodeStep(std::span<const std::byte> input, std::span<std::byte> output) override {
    const auto avail_in =
        static_cast<uint32_t>(std::min<size_t>(input.size(), std::numeric_limits<uint32_t>::max()));
    // isa-l's API takes non-const input although it never writes to it.
    state_.next_in = reinterpret_cast<uint8_t*>(const_cast<std::byte*>(input.data()));
    state_.avail_in = avail_in;
    state_.next_out = reinterpret_cast<uint8_t*>(output.data());
    state_.avail_out = static_cast<uint32_t>(output.size());
    Step step;
    const int ret = ReadHeaderThenInflate(step);
    step.consumed = avail_in - state_.avail_in;
    step.produced = output.size() - state_.avail_out;
    RememberTail(input.first(step.consumed));
    member_out_bytes_ += step.produced;
    if (!step.error.ok()) return step;
    if (state_.block_state == ISAL_BLOCK_FINISH &&
        (ret == ISAL_DECOMP_OK || ret == ISAL_INCORRECT_CHECKSUM)) {
      step.member_end = true;
      step.error = CheckTrailer(ret);
    } else if (ret != ISAL_DECOMP_OK) {
      step.error = InflateError(ret);
    }
    return step;
  }

  // isal_inflate can parse the header itself, but it keeps the header reader's state on its own
  // stack: a header split across calls loses its flags and its CRC-16, so FCOMMENT, FEXTRA or
  // FHCRC after a split are misread. Reading the header here with a member-long header_ avoids
  // that; isal_inflate then sees wrapper_flag set and goes straight to the deflate data.
  int ReadHeaderThenInflate(Step& step) {
    if (!header_done_) {
      const int ret = isal_read_gzip_header(&state_, &header_);
      if (ret == ISAL_END_INPUT) return ISAL_DECOMP_OK;  // the rest of the header comes later
      if (ret != ISAL_DECOMP_OK) {
        step.error = HeaderError(ret);
        return ret;
      }
      header_done_ = true;
    }
    return isal_inflate(&state_);
  }

  void RememberTail(std::span<const std::byte> consumed) {
    if (consumed.size() >= kTrailerBytes) {
      std::memcpy(tail_, consumed.data() + consumed.size() - kTrailerBytes, kTrailerBytes);
      return;
    }
    std::memmove(tail_, tail_ + consumed.size(), kTrailerBytes - consumed.size());
    if (!consumed.empty()) {
      std::memcpy(tail_ + kTrailerBytes - consumed.size(), consumed.data(), consumed.size());
    }
  }

  Status CheckTrailer(int ret) const {
    const uint32_t stored_crc = LoadLe32(tail_);
    const uint32_t stored_size = LoadLe32(tail_ + 4);
    if (stored_crc != state_.crc) {
      return Status(StatusCode::kCorrupt, "CRC-32 mismatch (trailer " + Hex32(stored_crc) +
                                              ", data " + Hex32(state_.crc) + ")");
    }
    // ISIZE is the length modulo 2^32.
    const auto decoded_size = static_cast<uint32_t>(member_out_bytes_);
    if (stored_size != decoded_size) {
      return Status(StatusCode::kCorrupt, "ISIZE mismatch (trailer says " +
                                              std::to_string(stored_size) + " bytes, decoded " +
                                              std::to_string(member_out_bytes_) + ")");
    }
    if (ret != ISAL_DECOMP_OK) {  // isa-l saw a mismatch that this reading of the trailer did not
      return Status(StatusCode::kCorrupt, "trailer mismatch (reported by isa-l)");
    }
    return Status::Ok();
  }

  inflate_state state_{};
  isal_gzip_header header_{};
  bool header_done_ = false;
  std::byte tail_[kTrailerBytes]{};  // the last eight input bytes consumed
  uint64_t member_out_bytes_ = 0;
};

}  // namespace

Result<std::unique_ptr<Decompressor>> MakeGzipDecompressor() {
  return std::unique_ptr<Decompressor>(std::make_unique<GzipDecompressor>());
}

}  // namespace dbb::compress::internal
