#include "compress/crc32c.h"

#include <isa-l/crc.h>

#include <algorithm>

namespace dbb::compress {

uint32_t Crc32c(uint32_t crc, std::span<const std::byte> bytes) {
  // crc32_iscsi neither pre- nor post-inverts; the inversions make the standard CRC-32C. Its
  // length is an int, so feed at most 1 GiB at a time.
  while (!bytes.empty()) {
    const size_t n = std::min<size_t>(bytes.size(), size_t{1} << 30);
    crc = ~crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<std::byte*>(bytes.data())),
                       static_cast<int>(n), ~crc);
    bytes = bytes.subspan(n);
  }
  return crc;
}

}  // namespace dbb::compress
