// Multi-frame zstd through ZSTD_decompressStream, which stops at the end of each frame (returning
// 0) and verifies the frame's content checksum when the frame carries one. Skippable frames (as
// pzstd writes) are accepted and counted as frames.
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <string>
#include <utility>

#include "common/units.h"
#include "compress/engines.h"
#include "compress/member_decoder.h"

namespace dbb::compress::internal {

namespace {

// 2^25 = 32 MiB, the largest pipeline page (kMaxPipelinePageBytes): enough for every frame
// dbbackup writes and for zstd's CLI at its usual levels, while a hostile or --long file cannot
// make a decoder allocate up to 2 GiB.
constexpr int kWindowLogMax = 25;

constexpr std::byte kFrameMagic[] = {std::byte{0x28}, std::byte{0xb5}, std::byte{0x2f},
                                     std::byte{0xfd}};
// Skippable frames: 0x184D2A50 to 0x184D2A5F, little-endian.
constexpr std::byte kSkippableMagic[] = {std::byte{0x50}, std::byte{0x2a}, std::byte{0x4d},
                                         std::byte{0x18}};

struct ZstdFreeDCtx {
  void operator()(ZSTD_DCtx* dctx) const { ZSTD_freeDCtx(dctx); }
};

class ZstdDecompressor final : public MemberDecoder {
 public:
  using DCtxPtr = std::unique_ptr<ZSTD_DCtx, ZstdFreeDCtx>;
  explicit ZstdDecompressor(DCtxPtr dctx)
      : MemberDecoder("zstd", "frame", 4), dctx_(std::move(dctx)) {}

 private:
  bool IsMemberStart(std::span<const std::byte> head) const override {
    return IsZstdFramePrefix(head);
  }

  // ZSTD_decompressStream starts each frame by itself; nothing to reset between frames.
  void ResetMember() override {}

  Step DecodeStep(std::span<const std::byte> input, std::span<std::byte> output) override {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    ZSTD_outBuffer out{output.data(), output.size(), 0};
    const size_t ret = ZSTD_decompressStream(dctx_.get(), &out, &in);
    Step step;
    step.consumed = in.pos;
    step.produced = out.pos;
    if (ZSTD_isError(ret)) {
      step.error = FrameError(ZSTD_getErrorCode(ret), ret);
    } else {
      step.member_end = ret == 0;
    }
    return step;
  }

  static Status FrameError(ZSTD_ErrorCode code, size_t ret) {
    if (code == ZSTD_error_checksum_wrong) {
      return Status(StatusCode::kCorrupt, "content checksum mismatch");
    }
    if (code == ZSTD_error_frameParameter_windowTooLarge) {
      return Status(StatusCode::kUnsupported,
                    "the frame needs a window over " + FormatBytes(uint64_t{1} << kWindowLogMax) +
                        " (written with zstd --long?); decompress it with zstd -dc --long=31");
    }
    return Status(StatusCode::kCorrupt, ZSTD_getErrorName(ret));
  }

  const DCtxPtr dctx_;
};

}  // namespace

bool IsZstdFramePrefix(std::span<const std::byte> head) {
  if (head.empty() || head.size() > sizeof kFrameMagic) return false;
  if (std::equal(head.begin(), head.end(), kFrameMagic)) return true;
  const bool skippable_first = (head[0] & std::byte{0xf0}) == kSkippableMagic[0];
  return skippable_first && std::equal(head.begin() + 1, head.end(), kSkippableMagic + 1);
}

Result<std::unique_ptr<Decompressor>> MakeZstdDecompressor() {
  ZstdDecompressor::DCtxPtr dctx(ZSTD_createDCtx());
  if (dctx == nullptr) return Status(StatusCode::kInternal, "zstd: cannot allocate a context");
  // Bounds the decoder's memory: our frames never need more than the largest page.
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kWindowLogMax);
  return std::unique_ptr<Decompressor>(std::make_unique<ZstdDecompressor>(std::move(dctx)));
}

}  // namespace dbb::compress::internal
