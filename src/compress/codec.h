// Compression engines. Every Compress call produces one complete, independent unit: a gzip member
// (isa-l, libdeflate) or a zstd frame with its content checksum (zstd). Concatenated units form a
// valid multi-member gzip / multi-frame zstd file that `gzip -dc`, `pigz -dc` and `zstd -dc` read.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "common/status.h"

namespace dbb::compress {

enum class Engine {
  kIsal,        // isa-l igzip, gzip levels 0-3; the default (fastest per core)
  kLibdeflate,  // libdeflate, gzip levels 1-12 (smaller output, slower)
  kZstd,        // libzstd, levels 1-19; zstd frames, not gzip
};

struct CodecOptions {
  Engine engine = Engine::kIsal;
  int level = 1;
};

const char* EngineName(Engine engine);             // "isal", "libdeflate", "zstd"
Result<Engine> ParseEngine(std::string_view name);  // error lists the valid names
int DefaultLevel(Engine engine);
int MinLevel(Engine engine);
int MaxLevel(Engine engine);
// Error names the engine and its level range, e.g. "isal: level 5 out of range 0-3 ...".
Status ValidateCodec(const CodecOptions& options);
// File name suffix of the output: ".gz" or ".zst".
const char* FileSuffix(Engine engine);

// Not thread-safe: one compressor per thread. Holds the engine's state (allocated once).
class Compressor {
 public:
  virtual ~Compressor() = default;

  // An upper bound of Compress's output for `input_bytes` of input.
  virtual size_t MaxCompressedBytes(size_t input_bytes) const = 0;
  // Compresses `input` (any size, including 0) into one complete gzip member / zstd frame in
  // `output`, which must hold MaxCompressedBytes(input.size()). Returns the bytes written.
  virtual Result<size_t> Compress(std::span<const std::byte> input,
                                  std::span<std::byte> output) = 0;
};

Result<std::unique_ptr<Compressor>> MakeCompressor(const CodecOptions& options);

}  // namespace dbb::compress
