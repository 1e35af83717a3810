// Streaming decoder for what the compressors write, and for what gzip, pigz and zstd write:
// multi-member gzip (isa-l inflate) or multi-frame zstd (libzstd), members of any size, split
// across Feed calls at any byte. Every gzip member's CRC-32 and length, and every zstd frame's
// checksum when present, is checked; a mismatch is a kCorrupt error that gives the member number
// and the compressed offset where it started:
//   "gzip member 3 (at byte 2097152): CRC-32 mismatch (trailer 0x1234abcd, data 0x89ab0123)"
// Anything after a member that does not start another one is an error too ("trailing garbage,
// not a gzip header"), even the zero padding that `gzip -dc` only warns about.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "common/status.h"

namespace dbb::compress {

enum class StreamFormat { kGzip, kZstd };

// Looks at the first bytes (at least 4): gzip 1f 8b, zstd 28 b5 2f fd (or a skippable frame).
// kCorrupt otherwise, quoting the first bytes.
Result<StreamFormat> DetectFormat(std::span<const std::byte> head);

// Receives decoded bytes; the view is valid only during the call. A non-OK return stops decoding
// and is returned from Feed.
using ByteSink = std::function<Status(std::span<const std::byte>)>;

// Not thread-safe: one per stream. Output is delivered in pieces of at most 256 KiB, from a
// buffer allocated once. The first error (the decoder's or the sink's) is returned again by every
// later Feed and Finish.
class Decompressor {
 public:
  virtual ~Decompressor() = default;

  // Decodes all of `input`, passing output to `sink`. An empty `input` does nothing.
  [[nodiscard]] virtual Status Feed(std::span<const std::byte> input, const ByteSink& sink) = 0;
  // End of input: kCorrupt "truncated: stream ends inside gzip member 2 (at byte 65550)" if the
  // stream ended inside a member, "empty input: no gzip member" if it held none.
  [[nodiscard]] virtual Status Finish() = 0;

  virtual uint64_t members() const = 0;    // complete members / frames so far
  virtual uint64_t bytes_in() const = 0;   // compressed bytes consumed
  virtual uint64_t bytes_out() const = 0;  // decoded bytes produced
};

Result<std::unique_ptr<Decompressor>> MakeDecompressor(StreamFormat format);

// The compressed input in order, one piece per call (a file reader's Next); empty at the end.
using ChunkSource = std::function<Result<std::span<const std::byte>>()>;
// Decodes a whole stream, gzip or zstd as its first bytes say: every piece of `next` through one
// Decompressor into `sink`, then Finish. kCorrupt for an empty input.
[[nodiscard]] Status InflateAll(const ChunkSource& next, const ByteSink& sink);

}  // namespace dbb::compress
