// zstd, levels 1-19: one frame per call, with the content size in its header and a content
// checksum at its end, so a damaged frame is detected on restore like a gzip CRC mismatch.
#include <zstd.h>

#include <string>
#include <utility>

#include "common/check.h"
#include "compress/engines.h"

namespace dbb::compress::internal {

namespace {

struct ZstdFreeCCtx {
  void operator()(ZSTD_CCtx* cctx) const { ZSTD_freeCCtx(cctx); }
};

Status ZstdError(const char* what, size_t code) {
  return Status(StatusCode::kInternal,
                std::string("zstd: ") + what + ": " + ZSTD_getErrorName(code));
}

class ZstdCompressor final : public Compressor {
 public:
  using CCtxPtr = std::unique_ptr<ZSTD_CCtx, ZstdFreeCCtx>;
  explicit ZstdCompressor(CCtxPtr cctx) : cctx_(std::move(cctx)) {}

  size_t MaxCompressedBytes(size_t input_bytes) const override {
    return ZSTD_compressBound(input_bytes);
  }

  // The context keeps its parameters and its work space between calls; zstd sizes the work space
  // on the first call and reuses it while later inputs are no larger.
  Result<size_t> Compress(std::span<const std::byte> input, std::span<std::byte> output) override {
    DBB_CHECK_MSG(output.size() >= MaxCompressedBytes(input.size()), "output below the bound");
    const size_t written =
        ZSTD_compress2(cctx_.get(), output.data(), output.size(), input.data(), input.size());
    if (ZSTD_isError(written)) return ZstdError("compress", written);
    return written;
  }

 private:
  const CCtxPtr cctx_;
};

}  // namespace

Result<std::unique_ptr<Compressor>> MakeZstdCompressor(int level) {
  ZstdCompressor::CCtxPtr cctx(ZSTD_createCCtx());
  if (cctx == nullptr) return Status(StatusCode::kInternal, "zstd: cannot allocate a context");
  const struct {
    ZSTD_cParameter param;
    int value;
  } settings[] = {
      {ZSTD_c_compressionLevel, level},
      {ZSTD_c_checksumFlag, 1},
      {ZSTD_c_contentSizeFlag, 1},
  };
  for (const auto& setting : settings) {
    const size_t ret = ZSTD_CCtx_setParameter(cctx.get(), setting.param, setting.value);
    if (ZSTD_isError(ret)) return ZstdError("set parameter", ret);
  }
  return std::unique_ptr<Compressor>(std::make_unique<ZstdCompressor>(std::move(cctx)));
}

}  // namespace dbb::compress::internal
