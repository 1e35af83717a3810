// UTC times as the manifests write them: ISO 8601, "2026-11-27T06:00:00Z".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dbb {

inline constexpr const char* kIsoUtcFormat = "%Y-%m-%dT%H:%M:%SZ";

// `unix_s` in UTC, as strftime(`format`) writes it.
std::string FormatUtcTime(int64_t unix_s, const char* format = kIsoUtcFormat);

// Now, as FormatUtcTime writes it: "2026-11-27T06:00:00Z".
std::string UtcNow();

// "2026-11-27T06:00:00Z" (fractional seconds allowed) as Unix seconds; nullopt when not a UTC
// time in that form.
std::optional<int64_t> ParseUtcTime(std::string_view text);

}  // namespace dbb
