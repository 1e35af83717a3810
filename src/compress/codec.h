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

const char* EngineName(Engine engine);              // "isal", "libdeflate", "zstd"
Result<Engine> ParseEngine(std::string_view name);  // error lists the valid names
int DefaultLevel(Engine engine);
int MinLevel(Engine engine);
int MaxLevel(Engine engine);
// kInvalidArgument naming the engine, its range and, where one exists, the engine that takes the
// level: "compression level 5 is out of range for isal (0-3); use --compress-engine libdeflate for
// levels 1-12". zstd users are not pointed at a gzip engine (that would change the file format).
Status ValidateCodec(const CodecOptions& options);
// File name suffix of the output: ".gz" or ".zst".
const char* FileSuffix(Engine engine);

// Not thread-safe: one compressor per thread. Holds the engine's state, allocated by
// MakeCompressor (isa-l's level buffer, libdeflate's compressor); zstd's context sizes its work
// space on the first Compress and reuses it while inputs are no larger.
class Compressor {
 public:
  virtual ~Compressor() = default;

  // An upper bound of Compress's output for `input_bytes` of input, whatever the data (random
  // bytes included). For isal it is the stored size: 18 + input + 5 bytes per 64 KiB block.
  virtual size_t MaxCompressedBytes(size_t input_bytes) const = 0;
  // Compresses `input` (any size, including 0; under 4 GiB for isal) into one complete gzip
  // member / zstd frame in `output`, which must hold MaxCompressedBytes(input.size()) (checked).
  // Returns the bytes written, or kInternal naming the engine if the library fails.
  virtual Result<size_t> Compress(std::span<const std::byte> input,
                                  std::span<std::byte> output) = 0;
};

// Validates the options (ValidateCodec) first; kInternal if the library cannot allocate.
Result<std::unique_ptr<Compressor>> MakeCompressor(const CodecOptions& options);

}  // namespace dbb::compress
