// The sysctl rows: each setting of sysctl/99-dbbackup.conf against its live value (and against
// sysctl.d files that set it again later at boot), and vm.overcommit_memory, which is judged
// rather than set.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "tune/audit.h"
#include "tune/conf_files.h"
#include "tune/host_root.h"
#include "tune/local_postgres.h"
#include "tune/recommended.h"

namespace dbb::tune {
namespace {

struct SysctlRule {
  const char* key;
  const char* why;
  const char* bytes_key;  // the *_bytes setting that replaces this ratio when non-zero
};

// Each setting of the recommended file is a ceiling: a lower value serves backups as well.
constexpr SysctlRule kRules[] = {
    {"vm.dirty_background_ratio",
     "starts writeback of dirty page cache early, so the disk writes steadily instead of in bursts",
     "vm.dirty_background_bytes"},
    {"vm.dirty_ratio",
     "caps dirty page cache; past it every writer on the host stalls until pages are flushed",
     "vm.dirty_bytes"},
    {"vm.swappiness", "keeps the page pool, compressor state and libpq buffers in RAM", nullptr},
};

std::optional<double> ParseNumber(const std::string& s) {
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> MemTotalBytes(const std::string& root) {
  const std::optional<double> kib =
      ParseNumber(ReadHostNumberAfter(root, "/proc/meminfo", "MemTotal:"));
  if (!kib) return std::nullopt;
  return *kib * 1024;
}

std::string Percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

// The sysctl.d files read at boot, in systemd-sysctl's order (by file name across these
// directories; the first directory holding a name wins), then /etc/sysctl.conf, which
// `sysctl --system` reads last; split at where ours stands. A later setting replaces an earlier.
struct BootFiles {
  std::vector<std::string> before;  // read before 99-dbbackup.conf
  std::vector<std::string> after;   // read after it: they undo what it sets
};
BootFiles SysctlBootFiles(const std::string& root) {
  const std::string ours = std::filesystem::path(SysctlFile().install_path).filename();
  std::map<std::string, std::string> by_name;
  for (const char* dir : {"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d",
                          "/usr/lib/sysctl.d", "/lib/sysctl.d"}) {
    std::error_code ec;
    std::filesystem::directory_iterator it(UnderRoot(root, dir), ec);
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename();
      if (name.size() > 5 && name.ends_with(".conf")) {
        by_name.emplace(name, std::string(dir) + "/" + name);
      }
    }
  }
  BootFiles files;
  for (const auto& [name, path] : by_name) {
    if (name != ours) (name < ours ? files.before : files.after).push_back(path);
  }
  files.after.push_back("/etc/sysctl.conf");
  return files;
}

// The last of `files` that sets `key`, with its value.
std::optional<std::pair<std::string, std::string>> LastSetting(
    const std::string& root, const std::vector<std::string>& files, const std::string& key) {
  std::optional<std::pair<std::string, std::string>> found;
  for (const std::string& path : files) {
    Result<std::string> text = ReadHostFile(root, path);
    if (!text.ok()) continue;
    for (const SysctlLine& line : ParseSysctlConf(text.value())) {
      if (line.key == key) found = {path, line.value};
    }
  }
  return found;
}

const SysctlRule& RuleFor(const std::string& key) {
  const SysctlRule* rule = std::find_if(std::begin(kRules), std::end(kRules),
                                        [&](const SysctlRule& r) { return key == r.key; });
  DBB_CHECK_MSG(rule != std::end(kRules),
                "sysctl/99-dbbackup.conf sets a key tune has no rule for");
  return *rule;
}

// Our file's row. Installing it must not make the host worse at boot: a value an earlier file
// sets lower would be raised, and a *_bytes setting would be reset by our ratio.
Row FileRow(const std::string& root, const BootFiles& boot, bool live_ok) {
  Row row = InstalledFileRow(root, SysctlFile());
  if (row.verdict != Verdict::kDiffers) return row;
  std::vector<std::string> all = boot.before;
  all.insert(all.end(), boot.after.begin(), boot.after.end());
  std::string worse;
  for (const SysctlLine& line : ParseSysctlConf(SysctlFile().text)) {
    const SysctlRule& rule = RuleFor(line.key);
    const auto earlier = LastSetting(root, boot.before, line.key);
    const std::optional<double> theirs = earlier ? ParseNumber(earlier->second) : std::nullopt;
    if (theirs && *theirs < *ParseNumber(line.value)) {
      worse += (worse.empty() ? "" : "; ") + earlier->first + " sets " + line.key + " = " +
               earlier->second;
    }
    const auto bytes = rule.bytes_key ? LastSetting(root, all, rule.bytes_key) : std::nullopt;
    if (bytes && ParseNumber(bytes->second).value_or(1) != 0) {
      worse += (worse.empty() ? "" : "; ") + bytes->first + " sets " + rule.bytes_key + " = " +
               bytes->second;
    }
  }
  if (worse.empty()) return row;
  row.fix = {};
  if (live_ok) {
    row.verdict = Verdict::kOk;
    row.why = "not needed: the host's own files set these at boot (" + worse +
              "), and installing it would override them";
  } else {
    row.why = "installing it would override the host's own settings at boot (" + worse +
              "): set the values that differ in that file instead";
  }
  return row;
}

Row AuditCeiling(const std::string& root, const SysctlRule& rule, const std::string& wanted,
                 const std::vector<std::string>& after) {
  Row row{
      .group = "sysctl", .setting = rule.key, .recommended = "at most " + wanted, .why = rule.why};
  Result<std::string> live = ReadHostValue(root, SysctlPath(rule.key));
  const std::optional<double> limit = ParseNumber(wanted);
  std::optional<double> value = live.ok() ? ParseNumber(live.value()) : std::nullopt;
  if (!live.ok() || !value || !limit) {
    row.current = live.ok() ? live.value() : "?";
    row.why =
        live.ok() ? "not a number: " + live.value() : "cannot read " + live.status().message();
    return row;  // kUnknown
  }
  row.current = live.value();
  if (*value == 0 && rule.bytes_key != nullptr) {
    // The kernel keeps either the ratio or the byte count; the other reads 0.
    const std::optional<std::string> bytes = ReadSysctl(root, rule.bytes_key);
    const std::optional<double> mem = MemTotalBytes(root);
    const std::optional<double> n = bytes ? ParseNumber(*bytes) : std::nullopt;
    if (n && *n > 0 && mem && *mem > 0) {
      value = *n * 100 / *mem;
      row.current = "0 (" + std::string(rule.bytes_key) + " = " + *bytes + ", " + Percent(*value) +
                    " of RAM)";
    }
  }
  row.verdict = *value <= *limit ? Verdict::kOk : Verdict::kDiffers;
  if (row.verdict == Verdict::kDiffers) {
    row.why += "; `dbbackup tune --apply` sets it";
    row.fix = {.kind = Fix::Kind::kWrite, .path = SysctlPath(rule.key), .value = wanted};
  }
  if (auto boot = LastSetting(root, after, rule.key)) {
    const std::optional<double> at_boot = ParseNumber(boot->second);
    if (!at_boot || *at_boot > *limit) {
      row.verdict = Verdict::kDiffers;
      row.why = boot->first + " sets " + rule.key + " = " + boot->second + " at boot, after " +
                std::string(SysctlFile().install_path) + ": remove that line (or lower it)";
      row.fix = {};
    }
  }
  return row;
}

Row AuditOvercommit(const std::string& root) {
  Row row{.group = "sysctl", .setting = "vm.overcommit_memory"};
  const std::optional<LocalPostgres> pg = FindLocalPostgres(root);
  const std::optional<std::string> live = ReadSysctl(root, row.setting);
  row.current = live.value_or("?");
  if (pg) {
    row.recommended = "2 (a PostgreSQL server runs here)";
    const std::string server = "a PostgreSQL server runs on this host (pid " +
                               std::to_string(pg->pid) +
                               (pg->data_dir.empty() ? "" : ", " + pg->data_dir) + ")";
    if (!live) {
      row.why = server + "; cannot read /proc/sys/vm/overcommit_memory";
    } else if (*live == "2") {
      row.verdict = Verdict::kOk;
      row.why = server + ": strict accounting, as the PostgreSQL documentation advises";
    } else {
      // 1 is a hazard for the server; 0, the kernel's default, is a choice the docs advise
      // against but many servers run with.
      row.verdict = *live == "1" ? Verdict::kDiffers : Verdict::kOptional;
      row.why = server +
                (*live == "1" ? ": with 1 the OOM killer, not an error, ends whoever "
                                "runs out, possibly the postmaster;"
                              : ";") +
                " the PostgreSQL documentation (Linux Memory Overcommit) advises 2 with "
                "vm.overcommit_ratio sized for the host; --apply leaves this host-wide policy "
                "to you";
    }
    return row;
  }
  row.recommended = "0 or 2";
  if (!live) {
    row.why = "cannot read /proc/sys/vm/overcommit_memory";
  } else if (*live == "0" || *live == "2") {
    row.verdict = Verdict::kOk;
    row.why =
        "dbbackup allocates its memory up front; heuristic (0) or strict (2) accounting both "
        "serve it";
  } else {
    row.verdict = Verdict::kDiffers;
    row.why =
        "1 lets every allocation succeed and leaves the OOM killer to end whoever runs out; "
        "set 0 (the default) in /etc/sysctl.d; --apply leaves this host-wide policy to you";
  }
  return row;
}

}  // namespace

std::vector<Row> AuditSysctl(const std::string& root) {
  const BootFiles boot = SysctlBootFiles(root);
  std::vector<Row> rows;
  bool live_ok = true;
  for (const SysctlLine& line : ParseSysctlConf(SysctlFile().text)) {
    rows.push_back(AuditCeiling(root, RuleFor(line.key), line.value, boot.after));
    live_ok = live_ok && rows.back().verdict == Verdict::kOk;
  }
  rows.push_back(AuditOvercommit(root));
  rows.push_back(FileRow(root, boot, live_ok));
  return rows;
}

}  // namespace dbb::tune
