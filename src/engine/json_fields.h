// Field encodings shared by the manifests (engine-internal): CRC-32C values as 8 lowercase hex
// digits, which JSON readers in any language take without integer-size surprises.
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace dbb::engine {

inline std::string Hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// Throws a json exception (the parsers turn it into kCorrupt) when `s` is not 8 hex digits.
inline uint32_t ParseHex32(const std::string& s) {
  if (s.size() != 8 || s.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw nlohmann::json::other_error::create(501, "crc32c must be 8 lowercase hex digits: " + s,
                                              nullptr);
  }
  return static_cast<uint32_t>(std::stoul(s, nullptr, 16));
}

}  // namespace dbb::engine
