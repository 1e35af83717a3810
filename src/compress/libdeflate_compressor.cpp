// libdeflate, levels 1-12: whole-buffer gzip compression. libdeflate picks stored blocks itself
// where they are smaller, so its own bound is a true bound.
#include <libdeflate.h>

#include <string>
#include <utility>

#include "common/check.h"
#include "compress/engines.h"

namespace dbb::compress::internal {

namespace {

struct LibdeflateFree {
  void operator()(libdeflate_compressor* compressor) const {
    libdeflate_free_compressor(compressor);
  }
};

class LibdeflateCompressor final : public Compressor {
 public:
  using CompressorPtr = std::unique_ptr<libdeflate_compressor, LibdeflateFree>;
  explicit LibdeflateCompressor(CompressorPtr compressor) : compressor_(std::move(compressor)) {}

  size_t MaxCompressedBytes(size_t input_bytes) const override {
    return libdeflate_gzip_compress_bound(compressor_.get(), input_bytes);
  }

  Result<size_t> Compress(std::span<const std::byte> input, std::span<std::byte> output) override {
    DBB_CHECK_MSG(output.size() >= MaxCompressedBytes(input.size()), "output below the bound");
    const size_t written = libdeflate_gzip_compress(compressor_.get(), input.data(), input.size(),
                                                    output.data(), output.size());
    if (written == 0) {
      return Status(StatusCode::kInternal, "libdeflate: " + std::to_string(input.size()) +
                                               " bytes did not compress into " +
                                               std::to_string(output.size()) +
                                               " bytes, its own bound");
    }
    return written;
  }

 private:
  const CompressorPtr compressor_;
};

}  // namespace

Result<std::unique_ptr<Compressor>> MakeLibdeflateCompressor(int level) {
  LibdeflateCompressor::CompressorPtr compressor(libdeflate_alloc_compressor(level));
  if (compressor == nullptr) {
    return Status(StatusCode::kInternal,
                  "libdeflate: cannot allocate a level " + std::to_string(level) + " compressor");
  }
  return std::unique_ptr<Compressor>(std::make_unique<LibdeflateCompressor>(std::move(compressor)));
}

}  // namespace dbb::compress::internal
