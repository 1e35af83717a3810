// The limits rows: for each item of limits/dbbackup.conf (nofile, nproc), the running process's
// hard limit, and what limits.conf and limits.d grant the user that runs backups, resolved the way
// pam_limits(8) does.
#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "tune/audit.h"
#include "tune/conf_files.h"
#include "tune/host_root.h"
#include "tune/recommended.h"

namespace dbb::tune {
namespace {

constexpr const char* kLimitsConf = "/etc/security/limits.conf";
constexpr const char* kLimitsDir = "/etc/security/limits.d";

// /proc/self/limits names the items by their description.
const char* ProcLimitsName(const std::string& item) {
  if (item == "nofile") return "Max open files";
  if (item == "nproc") return "Max processes";
  return nullptr;
}

const char* ItemWhy(const std::string& item) {
  if (item == "nofile") return "open files: connections, output files, io_uring rings";
  return "processes and threads of the user: connections, compression and writer threads, "
         "pg_dump and pg_restore";
}

// What one domain line is worth to a user, as pam_limits ranks it: the user's own name beats a
// group, a group beats "*"; a better rank replaces a value, an equal rank read later does too.
// Group and "*" lines do not apply to root.
struct UserIdentity {
  std::string name;
  std::vector<std::string> groups;
};

std::optional<int> Rank(const UserIdentity& user, const std::string& domain) {
  if (domain == user.name) return 0;
  if (user.name == "root") return std::nullopt;
  if (domain.size() > 1 && domain[0] == '@' &&
      std::find(user.groups.begin(), user.groups.end(), domain.substr(1)) != user.groups.end()) {
    return 1;
  }
  if (domain == "*") return 2;
  return std::nullopt;
}

// Splits a line of /etc/passwd or /etc/group on ':'.
std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, ':');) out.push_back(f);
  return out;
}

UserIdentity LookUpUser(const std::string& root, const std::string& name) {
  UserIdentity user{.name = name};
  std::string gid;
  if (Result<std::string> passwd = ReadHostFile(root, "/etc/passwd"); passwd.ok()) {
    std::stringstream in(passwd.value());
    for (std::string line; std::getline(in, line);) {
      const std::vector<std::string> f = Fields(line);
      if (f.size() > 3 && f[0] == name) gid = f[3];
    }
  }
  if (Result<std::string> group = ReadHostFile(root, "/etc/group"); group.ok()) {
    std::stringstream in(group.value());
    for (std::string line; std::getline(in, line);) {
      const std::vector<std::string> f = Fields(line);
      if (f.size() < 3) continue;
      bool member = f[2] == gid && !gid.empty();
      if (f.size() > 3) {
        std::stringstream members(f[3]);
        for (std::string m; std::getline(members, m, ',');) member = member || m == name;
      }
      if (member) user.groups.push_back(f[0]);
    }
  }
  return user;
}

struct Grant {
  uint64_t value = 0;
  std::string source;  // the file that set it
  int rank = 99;
};
// (item, "soft" | "hard") -> the grant.
using Grants = std::map<std::pair<std::string, std::string>, Grant>;

void AddGrants(const UserIdentity& user, const std::vector<LimitLine>& lines,
               const std::string& source, Grants* grants) {
  for (const LimitLine& line : lines) {
    const std::optional<int> rank = Rank(user, line.domain);
    if (!rank) continue;
    for (const char* type : {"soft", "hard"}) {
      if (line.type != "-" && line.type != type) continue;
      Grant& g = (*grants)[{line.item, type}];
      if (*rank <= g.rank) g = {.value = line.value, .source = source, .rank = *rank};
    }
  }
}

// limits.conf, then limits.d/*.conf in file-name order, as pam_limits reads them.
Grants HostGrants(const std::string& root, const UserIdentity& user) {
  std::vector<std::string> files = {kLimitsConf};
  std::vector<std::string> dropins;
  std::error_code ec;
  std::filesystem::directory_iterator it(UnderRoot(root, kLimitsDir), ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename();
    if (name.ends_with(".conf")) dropins.push_back(std::string(kLimitsDir) + "/" + name);
  }
  std::sort(dropins.begin(), dropins.end());
  files.insert(files.end(), dropins.begin(), dropins.end());
  Grants grants;
  for (const std::string& file : files) {
    Result<std::string> text = ReadHostFile(root, file);
    if (text.ok()) AddGrants(user, ParseLimitsConf(text.value()), file, &grants);
  }
  return grants;
}

std::string GrantText(const Grants& grants, const std::string& item, const std::string& type) {
  auto it = grants.find({item, type});
  if (it == grants.end()) return type + " not set";
  return type + " " + LimitText(it->second.value) + " (" + it->second.source + ")";
}

// "Max open files   1024   524288   files" -> {soft, hard}.
std::optional<std::pair<uint64_t, uint64_t>> ProcessLimit(const std::string& limits,
                                                          const char* name) {
  const size_t at = limits.find(name);
  if (at == std::string::npos) return std::nullopt;
  std::istringstream in(limits.substr(at + std::string(name).size()));
  std::string soft, hard;
  in >> soft >> hard;
  std::vector<LimitLine> parsed = ParseLimitsConf("x soft y " + soft + "\nx hard y " + hard);
  if (parsed.size() != 2) return std::nullopt;
  return std::make_pair(parsed[0].value, parsed[1].value);
}

Row ProcessRow(Result<std::string>& limits, const std::string& item, uint64_t wanted) {
  Row row{.group = "limits",
          .setting = item + " (this process)",
          .recommended = "hard at least " + LimitText(wanted),
          .why = ItemWhy(item)};
  const char* name = ProcLimitsName(item);
  const auto pair = limits.ok() && name ? ProcessLimit(limits.value(), name) : std::nullopt;
  if (!pair) {
    row.current = "?";
    row.why = limits.ok() ? "/proc/self/limits has no line for " + item
                          : "cannot read " + limits.status().message();
    return row;
  }
  row.current = "soft " + LimitText(pair->first) + ", hard " + LimitText(pair->second);
  row.verdict = pair->second >= wanted ? Verdict::kOk : Verdict::kDiffers;
  row.why += item == "nofile" ? "; dbbackup raises its soft limit to the hard one" : "";
  if (row.verdict == Verdict::kDiffers) {
    row.why +=
        "; limits.d applies from the next login (log in again after --apply); a systemd "
        "service needs Limit" +
        std::string(item == "nofile" ? "NOFILE" : "NPROC") + "=" + LimitText(wanted) +
        " in its unit";
  }
  return row;
}

}  // namespace

std::vector<Row> AuditLimits(const std::string& root, const std::string& user_name) {
  const UserIdentity user = LookUpUser(root, user_name);
  Grants wanted;
  AddGrants(user, ParseLimitsConf(LimitsFile().text), std::string(LimitsFile().install_path),
            &wanted);
  const Grants granted = HostGrants(root, user);
  Result<std::string> proc_limits = ReadHostFile(root, "/proc/self/limits");
  const bool file_installed = [&] {
    Result<std::string> text = ReadHostFile(root, std::string(LimitsFile().install_path));
    return text.ok() && text.value() == LimitsFile().text;
  }();

  std::vector<Row> rows;
  std::vector<std::string> items;
  for (const auto& [key, grant] : wanted) {
    if (std::find(items.begin(), items.end(), key.first) == items.end()) items.push_back(key.first);
  }
  for (const std::string& item : items) {
    const auto soft = wanted.find({item, "soft"});
    const auto hard = wanted.find({item, "hard"});
    const uint64_t minimum = soft != wanted.end() ? soft->second.value : hard->second.value;
    rows.push_back(ProcessRow(proc_limits, item, minimum));

    Row row{.group = "limits",
            .setting = item + " (limits.d, user " + user.name + ")",
            .current = GrantText(granted, item, "soft") + ", " + GrantText(granted, item, "hard"),
            .verdict = Verdict::kOk,
            .why = ItemWhy(item)};
    std::string shortfall;
    for (const auto& w : {soft, hard}) {
      if (w == wanted.end()) continue;
      const std::string type = w->first.second;
      row.recommended +=
          (row.recommended.empty() ? "" : ", ") + type + " at least " + LimitText(w->second.value);
      auto g = granted.find(w->first);
      if (g == granted.end() || g->second.value < w->second.value) {
        row.verdict = Verdict::kDiffers;
        if (g != granted.end() && shortfall.empty()) shortfall = g->second.source;
      }
    }
    if (row.verdict == Verdict::kDiffers) {
      if (file_installed && !shortfall.empty()) {
        row.why += "; " + shortfall + " grants less and takes precedence: change it there";
      } else {
        row.why += "; `dbbackup tune --apply` installs " + std::string(LimitsFile().install_path) +
                   " (new logins get it)";
        row.fix = {.kind = Fix::Kind::kInstall,
                   .path = std::string(LimitsFile().install_path),
                   .value = std::string(LimitsFile().text)};
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace dbb::tune
