// Byte counts as people write and read them: "256MB", "1GiB", "4096"; "12.4 GiB".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace dbb {

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

// Accepts a non-negative integer with an optional unit: B, K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB
// (case-insensitive, all powers of 1024, as PostgreSQL's own settings do).
Result<uint64_t> ParseBytes(std::string_view text);

// A duration as PostgreSQL settings write it: "500ms", "30s", "5min", "1h", or a bare number of
// milliseconds. Returns milliseconds.
Result<uint64_t> ParseDurationMs(std::string_view text);

// "0 B", "4.0 KiB", "12.4 GiB": one decimal above bytes.
std::string FormatBytes(uint64_t bytes);

// Rounds up to a multiple of `align`, which must be a power of two.
constexpr uint64_t AlignUp(uint64_t value, uint64_t align) {
  return (value + align - 1) & ~(align - 1);
}

}  // namespace dbb
