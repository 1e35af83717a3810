#include "common/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <initializer_list>

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

namespace {

struct Unit {
  const char* name;
  uint64_t multiplier;
};

// "<number><unit>" with the unit looked up (case-insensitively) in `units`; "" must be listed.
Result<uint64_t> ParseWithUnit(std::string_view text, std::initializer_list<Unit> units,
                               std::string_view what, std::string_view examples) {
  uint64_t number = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc() || ptr == begin) {
    return BadSize(
        text,
        std::string(" is not a ").append(what).append(" (use e.g. ").append(examples).append(")"));
  }
  std::string unit = Lower(std::string_view(ptr, static_cast<size_t>(end - ptr)));
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  for (const Unit& u : units) {
    if (unit != u.name) continue;
    if (number > UINT64_MAX / u.multiplier) return BadSize(text, " is too large");
    return number * u.multiplier;
  }
  return BadSize(text, std::string(": unknown unit (use e.g. ").append(examples).append(")"));
}

}  // namespace

Result<uint64_t> ParseBytes(std::string_view text) {
  return ParseWithUnit(text,
                       {{"", 1},
                        {"b", 1},
                        {"k", kKiB},
                        {"kb", kKiB},
                        {"kib", kKiB},
                        {"m", kMiB},
                        {"mb", kMiB},
                        {"mib", kMiB},
                        {"g", kGiB},
                        {"gb", kGiB},
                        {"gib", kGiB},
                        {"t", 1024 * kGiB},
                        {"tb", 1024 * kGiB},
                        {"tib", 1024 * kGiB}},
                       "size", "4096, 256MB, 1GiB");
}

Result<uint64_t> ParseDurationMs(std::string_view text) {
  return ParseWithUnit(text, {{"", 1}, {"ms", 1}, {"s", 1000}, {"min", 60'000}, {"h", 3'600'000}},
                       "duration", "500ms, 30s, 5min, 1h");
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
