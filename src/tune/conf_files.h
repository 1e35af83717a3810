// Parsers for the three kinds of configuration file `dbbackup tune` reads: sysctl.d
// ("key = value"), limits.conf ("domain type item value", pam_limits(8)) and udev rules (only the
// KERNEL match and the ATTR{queue/...} assignments that tune uses). Comments and blank lines are
// skipped; a line that does not parse is skipped too (the tools that read these files do the same).
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dbb::tune {

struct SysctlLine {
  std::string key;  // "vm.swappiness" (a leading '-', "ignore errors", is dropped)
  std::string value;
};
std::vector<SysctlLine> ParseSysctlConf(std::string_view text);

constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

struct LimitLine {
  std::string domain;  // "*", "root", "alice", "@group"
  std::string type;    // "soft", "hard" or "-" (both)
  std::string item;    // "nofile", "nproc", ...
  uint64_t value = 0;  // kUnlimited for "unlimited", "infinity" or -1
};
std::vector<LimitLine> ParseLimitsConf(std::string_view text);

// A limits.conf value: "unlimited", "infinity" and -1 are kUnlimited. False when not a number.
bool ParseLimitValue(const std::string& text, uint64_t* value);

// "unlimited" for kUnlimited, else the number.
std::string LimitText(uint64_t value);

struct UdevRule {
  std::vector<std::string> kernel_patterns;  // KERNEL=="a|b": {"a", "b"} (fnmatch patterns)
  std::map<std::string, std::string> attrs;  // ATTR{queue/scheduler}="none": {"queue/scheduler",
                                             // "none"}
};
std::vector<UdevRule> ParseUdevRules(std::string_view text);

// The first rule whose KERNEL pattern matches the device name, or nullptr.
const UdevRule* MatchUdevRule(const std::vector<UdevRule>& rules, const std::string& device);

}  // namespace dbb::tune
