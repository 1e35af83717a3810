#include "common/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace dbb {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "'<text>'<rest>", built by appending: GCC 12 at -O3 warns (-Wrestrict, a false positive) on
// "'" + std::string(...) chains.
Status BadSize(std::string_view text, std::string_view rest) {
  std::string msg = "'";
  msg.append(text).append("'").append(rest);
  return Status(StatusCode::kInvalidArgument, std::move(msg));
}

}  // namespace

Result<uint64_t> ParseBytes(std::string_view text) {
  uint64_t number = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || ptr == begin) {
    return BadSize(text, " is not a size (use e.g. 4096, 256MB, 1GiB)");
  }
  std::string unit = Lower(std::string_view(ptr, static_cast<size_t>(end - ptr)));
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  uint64_t mult = 0;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else if (unit == "k" || unit == "kb" || unit == "kib") {
    mult = kKiB;
  } else if (unit == "m" || unit == "mb" || unit == "mib") {
    mult = kMiB;
  } else if (unit == "g" || unit == "gb" || unit == "gib") {
    mult = kGiB;
  } else if (unit == "t" || unit == "tb" || unit == "tib") {
    mult = 1024 * kGiB;
  } else {
    return BadSize(text, ": unknown unit (use B, KB, MB, GB or TB)");
  }
  if (number > UINT64_MAX / mult) {
    return BadSize(text, " is too large");
  }
  return number * mult;
}

std::string FormatBytes(uint64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < kKiB) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  return buf;
}

}  // namespace dbb
