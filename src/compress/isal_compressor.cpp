// isa-l igzip, levels 0-3. Each call deflates the whole input into one gzip member. When deflate
// would not beat the stored size (random bytes, already compressed bytea), the member is rewritten
// with stored blocks, as gzip does; this is what makes MaxCompressedBytes a true bound, because
// isa-l's stateful deflate has no stored fallback of its own (level 0 even keeps its built-in
// Huffman table on data it does not fit).
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "common/check.h"
#include "compress/engines.h"

namespace dbb::compress::internal {

namespace {

constexpr size_t kGzipHeaderBytes = 10;
constexpr size_t kGzipTrailerBytes = 8;  // CRC-32 and ISIZE
constexpr size_t kStoredBlockMaxBytes = 65535;
constexpr size_t kStoredBlockHeaderBytes = 5;  // BFINAL/BTYPE byte, LEN, NLEN

size_t StoredBlockCount(size_t input_bytes) {
  return std::max<size_t>(1, (input_bytes + kStoredBlockMaxBytes - 1) / kStoredBlockMaxBytes);
}

size_t StoredMemberBytes(size_t input_bytes) {
  return kGzipHeaderBytes + input_bytes + kStoredBlockHeaderBytes * StoredBlockCount(input_bytes) +
         kGzipTrailerBytes;
}

void PutLe16(std::byte* out, uint32_t value) {
  out[0] = static_cast<std::byte>(value & 0xff);
  out[1] = static_cast<std::byte>((value >> 8) & 0xff);
}

void PutLe32(std::byte* out, uint32_t value) {
  PutLe16(out, value & 0xffff);
  PutLe16(out + 2, value >> 16);
}

// One gzip member of stored (uncompressed) deflate blocks. The header matches isa-l's own (no
// name, no mtime, OS unknown) so members look alike whichever path wrote them.
size_t WriteStoredMember(std::span<const std::byte> input, std::span<std::byte> output) {
  static constexpr unsigned char kHeader[kGzipHeaderBytes] = {0x1f, 0x8b, 8, 0, 0,
                                                              0,    0,    0, 0, 0xff};
  std::byte* out = output.data();
  std::memcpy(out, kHeader, kGzipHeaderBytes);
  out += kGzipHeaderBytes;
  size_t offset = 0;
  for (size_t block = StoredBlockCount(input.size()); block > 0; --block) {
    const size_t n = std::min(kStoredBlockMaxBytes, input.size() - offset);
    const auto len = static_cast<uint32_t>(n);
    out[0] = static_cast<std::byte>(block == 1 ? 1 : 0);  // BFINAL on the last block, BTYPE 00
    PutLe16(out + 1, len);
    PutLe16(out + 3, ~len & 0xffff);
    out += kStoredBlockHeaderBytes;
    if (n > 0) std::memcpy(out, input.data() + offset, n);
    out += n;
    offset += n;
  }
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  PutLe32(out, crc32_gzip_refl(0, in, input.size()));
  PutLe32(out + 4, static_cast<uint32_t>(input.size()));
  out += kGzipTrailerBytes;
  return static_cast<size_t>(out - output.data());
}

size_t LevelBufBytes(int level) {
  switch (level) {
    case 1:
      return ISAL_DEF_LVL1_DEFAULT;
    case 2:
      return ISAL_DEF_LVL2_DEFAULT;
    case 3:
      return ISAL_DEF_LVL3_DEFAULT;
    default:
      return 0;  // level 0 needs no level buffer
  }
}

class IsalCompressor final : public Compressor {
 public:
  explicit IsalCompressor(int level)
      : level_(static_cast<uint32_t>(level)),
        level_buf_bytes_(LevelBufBytes(level)),
        level_buf_(std::make_unique_for_overwrite<uint8_t[]>(level_buf_bytes_)) {}

  size_t MaxCompressedBytes(size_t input_bytes) const override {
    return StoredMemberBytes(input_bytes);
  }

  Result<size_t> Compress(std::span<const std::byte> input, std::span<std::byte> output) override {
    DBB_CHECK_MSG(output.size() >= MaxCompressedBytes(input.size()), "output below the bound");
    DBB_CHECK_MSG(input.size() <= std::numeric_limits<uint32_t>::max(), "isal input over 4 GiB");
    Result<bool> fitted = Deflate(input, output.first(MaxCompressedBytes(input.size())));
    if (!fitted.ok()) return fitted.status();
    if (*fitted) return static_cast<size_t>(stream_.total_out);
    return WriteStoredMember(input, output);
  }

 private:
  // True when the whole member fitted in `output`, false when it would exceed the stored size.
  Result<bool> Deflate(std::span<const std::byte> input, std::span<std::byte> output) {
    isal_deflate_init(&stream_);
    stream_.level = level_;
    stream_.level_buf = level_buf_.get();
    stream_.level_buf_size = static_cast<uint32_t>(level_buf_bytes_);
    stream_.gzip_flag = IGZIP_GZIP;
    stream_.end_of_stream = 1;
    stream_.flush = NO_FLUSH;
    // isa-l's API takes non-const input although it never writes to it.
    stream_.next_in = reinterpret_cast<uint8_t*>(const_cast<std::byte*>(input.data()));
    stream_.avail_in = static_cast<uint32_t>(input.size());
    stream_.next_out = reinterpret_cast<uint8_t*>(output.data());
    stream_.avail_out = static_cast<uint32_t>(
        std::min<size_t>(output.size(), std::numeric_limits<uint32_t>::max()));
    // One call normally finishes; isa-l may return early with input buffered internally, so keep
    // calling while it makes progress. It also stops short when the output space left is below
    // what its next step needs; the stored member fits in that case too.
    while (true) {
      const uint32_t in_before = stream_.total_in;
      const uint32_t out_before = stream_.total_out;
      const int ret = isal_deflate(&stream_);
      if (ret != COMP_OK) {
        return Status(StatusCode::kInternal, "isal: deflate failed with error " +
                                                 std::to_string(ret) + " at level " +
                                                 std::to_string(level_));
      }
      if (stream_.internal_state.state == ZSTATE_END) return true;
      if (stream_.avail_out == 0) return false;
      if (stream_.total_in == in_before && stream_.total_out == out_before) return false;
    }
  }

  const uint32_t level_;
  const size_t level_buf_bytes_;
  const std::unique_ptr<uint8_t[]> level_buf_;
  isal_zstream stream_{};
};

}  // namespace

Result<std::unique_ptr<Compressor>> MakeIsalCompressor(int level) {
  return std::unique_ptr<Compressor>(std::make_unique<IsalCompressor>(level));
}

}  // namespace dbb::compress::internal
