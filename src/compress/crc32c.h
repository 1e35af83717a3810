// CRC-32C (Castagnoli), the checksum the manifest records for every file (isa-l's crc32_iscsi,
// hardware-accelerated where the CPU has it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace dbb::compress {

// Extends `crc` (0 for the start) over `bytes`: Crc32c(Crc32c(0, a), b) == Crc32c(0, a + b).
// The standard check value: Crc32c(0, "123456789") == 0xE3069283.
uint32_t Crc32c(uint32_t crc, std::span<const std::byte> bytes);

}  // namespace dbb::compress
