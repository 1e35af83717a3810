// Private to src/compress: the per-engine factories behind MakeCompressor and MakeDecompressor,
// each defined in its own file (isal_compressor.cpp, gzip_decompressor.cpp, ...). Callers have
// already validated the level; the factories only fail when the library cannot allocate.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "common/status.h"
#include "compress/codec.h"
#include "compress/decompressor.h"

namespace dbb::compress::internal {

Result<std::unique_ptr<Compressor>> MakeIsalCompressor(int level);
Result<std::unique_ptr<Compressor>> MakeLibdeflateCompressor(int level);
Result<std::unique_ptr<Compressor>> MakeZstdCompressor(int level);

Result<std::unique_ptr<Decompressor>> MakeGzipDecompressor();
Result<std::unique_ptr<Decompressor>> MakeZstdDecompressor();

// Whether `head` (1 to 4 bytes) can begin a zstd frame, skippable frames included.
bool IsZstdFramePrefix(std::span<const std::byte> head);

}  // namespace dbb::compress::internal
