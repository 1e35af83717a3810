#include "compress/decompressor.h"

#include <string>

#include "compress/engines.h"

namespace dbb::compress {

Result<StreamFormat> DetectFormat(std::span<const std::byte> head) {
  if (head.size() >= 2 && head[0] == std::byte{0x1f} && head[1] == std::byte{0x8b}) {
    return StreamFormat::kGzip;
  }
  if (head.size() >= 4 && internal::IsZstdFramePrefix(head.first(4))) return StreamFormat::kZstd;
  if (head.empty()) return Status(StatusCode::kCorrupt, "empty input: neither gzip nor zstd");
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string first;
  for (size_t i = 0; i < head.size() && i < 4; ++i) {
    const auto byte = static_cast<unsigned>(head[i]);
    first += {' ', kDigits[byte >> 4], kDigits[byte & 0xf]};
  }
  return Status(StatusCode::kCorrupt, "neither gzip nor zstd (starts with" + first + ")");
}

Result<std::unique_ptr<Decompressor>> MakeDecompressor(StreamFormat format) {
  switch (format) {
    case StreamFormat::kGzip:
      return internal::MakeGzipDecompressor();
    case StreamFormat::kZstd:
      return internal::MakeZstdDecompressor();
  }
  return Status(StatusCode::kInternal, "unknown stream format");
}

Status InflateAll(const ChunkSource& next, const ByteSink& sink) {
  std::unique_ptr<Decompressor> inflater;
  for (;;) {
    auto chunk = next();
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) break;
    if (!inflater) {
      auto format = DetectFormat(chunk.value());
      if (!format.ok()) return format.status();
      auto made = MakeDecompressor(format.value());
      if (!made.ok()) return made.status();
      inflater = std::move(made.value());
    }
    DBB_RETURN_IF_ERROR(inflater->Feed(chunk.value(), sink));
  }
  if (!inflater) return Status(StatusCode::kCorrupt, "empty file: no gzip member");
  return inflater->Finish();
}

}  // namespace dbb::compress
