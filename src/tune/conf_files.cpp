#include "tune/conf_files.h"

#include <fnmatch.h>

#include <charconv>
#include <sstream>

namespace dbb::tune {
namespace {

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// Calls fn(line) for each line that is not blank or a comment ('#' or ';' first).
template <typename Fn>
void ForEachSetting(std::string_view text, Fn fn) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    fn(line);
  }
}

// The value of `key=="..."` or `key="..."` in a udev rule line, or "" when absent.
std::string UdevValue(const std::string& line, const std::string& key) {
  const size_t at = line.find(key);
  if (at == std::string::npos) return "";
  const size_t open = line.find('"', at + key.size());
  const size_t close = open == std::string::npos ? open : line.find('"', open + 1);
  if (close == std::string::npos) return "";
  return line.substr(open + 1, close - open - 1);
}

}  // namespace

std::vector<SysctlLine> ParseSysctlConf(std::string_view text) {
  std::vector<SysctlLine> out;
  ForEachSetting(text, [&](const std::string& line) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) return;
    std::string key = Trim(std::string_view(line).substr(0, eq));
    if (!key.empty() && key[0] == '-') key = Trim(std::string_view(key).substr(1));
    if (key.empty()) return;
    out.push_back({std::move(key), Trim(std::string_view(line).substr(eq + 1))});
  });
  return out;
}

std::vector<LimitLine> ParseLimitsConf(std::string_view text) {
  std::vector<LimitLine> out;
  ForEachSetting(text, [&](const std::string& line) {
    std::istringstream in(line);
    LimitLine l;
    std::string value;
    if (!(in >> l.domain >> l.type >> l.item >> value)) return;
    if (l.type != "soft" && l.type != "hard" && l.type != "-") return;
    if (!ParseLimitValue(value, &l.value)) return;
    out.push_back(std::move(l));
  });
  return out;
}

bool ParseLimitValue(const std::string& text, uint64_t* value) {
  if (text == "unlimited" || text == "infinity" || text == "-1") {
    *value = kUnlimited;
    return true;
  }
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string LimitText(uint64_t value) {
  return value == kUnlimited ? "unlimited" : std::to_string(value);
}

std::vector<UdevRule> ParseUdevRules(std::string_view text) {
  std::vector<UdevRule> out;
  ForEachSetting(text, [&](const std::string& line) {
    UdevRule rule;
    std::string kernel = UdevValue(line, "KERNEL==");
    for (size_t pos = 0; !kernel.empty() && pos <= kernel.size();) {
      size_t bar = kernel.find('|', pos);
      if (bar == std::string::npos) bar = kernel.size();
      rule.kernel_patterns.push_back(kernel.substr(pos, bar - pos));
      pos = bar + 1;
    }
    for (const char* attr : {"queue/scheduler", "queue/add_random"}) {
      const std::string value = UdevValue(line, std::string("ATTR{") + attr + "}=");
      if (!value.empty()) rule.attrs[attr] = value;
    }
    if (!rule.kernel_patterns.empty() && !rule.attrs.empty()) out.push_back(std::move(rule));
  });
  return out;
}

const UdevRule* MatchUdevRule(const std::vector<UdevRule>& rules, const std::string& device) {
  for (const UdevRule& rule : rules) {
    for (const std::string& pattern : rule.kernel_patterns) {
      if (::fnmatch(pattern.c_str(), device.c_str(), 0) == 0) return &rule;
    }
  }
  return nullptr;
}

}  // namespace dbb::tune
