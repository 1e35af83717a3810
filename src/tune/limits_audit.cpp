// The limits rows: for nofile (limits/dbbackup.conf) and nproc (kNprocMinimum), the running
// process's hard limit, and what the user that runs backups gets at login: limits.conf and
// limits.d resolved the way pam_limits(8) does, or, where they set nothing, what the session
// inherits (taken to be what this process has).
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
constexpr const char* kInherited = "inherited";

const char* ItemWhy(const std::string& item) {
  if (item == "nofile") return "open files: connections, output files, io_uring rings";
  return "processes and threads: connections, compression and writer threads, pg_dump and "
         "pg_restore";
}

// What one domain line is worth to a user, as pam_limits ranks it: the user's own name beats a
// group, a group beats "*"; a better rank replaces a value, an equal rank read later does too.
// Group and "*" lines do not apply to root.
struct UserIdentity {
  std::string name;
  bool known = true;  // false: /etc/passwd was read and has no such user
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

// The lines of /etc/passwd or /etc/group, split on ':'.
std::vector<std::vector<std::string>> ColonFile(const std::string& root, const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  Result<std::string> text = ReadHostFile(root, path);
  if (!text.ok()) return rows;
  std::stringstream lines(text.value());
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::stringstream in(line);
    for (std::string f; std::getline(in, f, ':');) fields.push_back(f);
    rows.push_back(std::move(fields));
  }
  return rows;
}

UserIdentity LookUpUser(const std::string& root, const std::string& name) {
  UserIdentity user{.name = name};
  const auto passwd = ColonFile(root, "/etc/passwd");
  std::string gid;
  for (const auto& f : passwd) {
    if (f.size() > 3 && f[0] == name) gid = f[3];
  }
  user.known = passwd.empty() || !gid.empty();
  for (const auto& f : ColonFile(root, "/etc/group")) {
    if (f.size() < 3) continue;
    bool member = !gid.empty() && f[2] == gid;
    if (f.size() > 3) {
      std::stringstream members(f[3]);
      for (std::string m; std::getline(members, m, ',');) member = member || m == name;
    }
    if (member) user.groups.push_back(f[0]);
  }
  return user;
}

struct Grant {
  uint64_t value = 0;
  std::string source;  // the file that set it, or kInherited
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

// Where our file stands in the resolution.
enum class Ours { kAsOnTheHost, kLeftOut, kInstalled };

// limits.conf, then limits.d/*.conf in file-name order, as pam_limits reads them; then, for what
// none of them sets, the inherited limits.
Grants ResolveGrants(const std::string& root, const UserIdentity& user, Ours ours,
                     const Grants& inherited) {
  const std::string our_path(LimitsFile().install_path);
  std::vector<std::string> dropins;
  std::error_code ec;
  std::filesystem::directory_iterator it(UnderRoot(root, kLimitsDir), ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename();
    if (name.ends_with(".conf")) dropins.push_back(std::string(kLimitsDir) + "/" + name);
  }
  if (ours == Ours::kInstalled) dropins.push_back(our_path);
  std::sort(dropins.begin(), dropins.end());
  dropins.erase(std::unique(dropins.begin(), dropins.end()), dropins.end());
  dropins.insert(dropins.begin(), kLimitsConf);
  Grants grants;
  for (const std::string& file : dropins) {
    if (file == our_path && ours != Ours::kAsOnTheHost) {
      if (ours == Ours::kInstalled)
        AddGrants(user, ParseLimitsConf(LimitsFile().text), file, &grants);
      continue;
    }
    Result<std::string> text = ReadHostFile(root, file);
    if (text.ok()) AddGrants(user, ParseLimitsConf(text.value()), file, &grants);
  }
  for (const auto& [key, grant] : inherited) grants.emplace(key, grant);
  return grants;
}

// /proc/self/limits: "Max open files   1024   524288   files" -> the inherited grants.
Grants ProcessLimits(const std::string& text) {
  Grants grants;
  for (const auto& [item, name] : {std::pair<std::string, std::string>{"nofile", "Max open files"},
                                   {"nproc", "Max processes"}}) {
    const size_t at = text.find(name);
    if (at == std::string::npos) continue;
    std::istringstream in(text.substr(at + name.size()));
    std::string soft, hard;
    in >> soft >> hard;
    Grant s{.source = kInherited}, h{.source = kInherited};
    if (ParseLimitValue(soft, &s.value) && ParseLimitValue(hard, &h.value)) {
      grants[{item, "soft"}] = s;
      grants[{item, "hard"}] = h;
    }
  }
  return grants;
}

const Grant* Find(const Grants& grants, const std::string& item, const std::string& type) {
  auto it = grants.find({item, type});
  return it == grants.end() ? nullptr : &it->second;
}

std::string GrantText(const Grants& grants, const std::string& item, const std::string& type) {
  const Grant* g = Find(grants, item, type);
  if (g == nullptr) return type + " ?";
  return type + " " + LimitText(g->value) + " (" + g->source + ")";
}

// The minimums for the user: our file's lines that apply to them, and kNprocMinimum (soft).
Grants Wanted(const UserIdentity& user) {
  Grants wanted;
  AddGrants(user, ParseLimitsConf(LimitsFile().text), std::string(LimitsFile().install_path),
            &wanted);
  if (user.name != "root") wanted[{"nproc", "soft"}] = {.value = kNprocMinimum};
  return wanted;
}

// "hard 524288 from 1048576": each limit `grants` would lower below what `now` gives.
std::string Lowered(const Grants& now, const Grants& grants) {
  std::string out;
  for (const auto& [key, g] : grants) {
    const Grant* before = Find(now, key.first, key.second);
    if (before != nullptr && g.value < before->value) {
      out += (out.empty() ? "" : ", ") + key.second + " " + key.first + " from " +
             LimitText(before->value) + " to " + LimitText(g.value);
    }
  }
  return out;
}

Row ProcessRow(const Result<std::string>& read, const Grants& process, const std::string& item,
               uint64_t wanted) {
  Row row{.group = "limits",
          .setting = item + " (this process)",
          .recommended = "hard at least " + LimitText(wanted),
          .why = std::string(ItemWhy(item)) + "; dbbackup raises its soft limits to the hard ones"};
  const Grant* hard = Find(process, item, "hard");
  if (hard == nullptr) {
    row.current = "?";
    row.why = read.ok() ? "/proc/self/limits has no line for " + item
                        : "cannot read " + read.status().message();
    return row;
  }
  row.current =
      "soft " + LimitText(Find(process, item, "soft")->value) + ", hard " + LimitText(hard->value);
  row.verdict = hard->value >= wanted ? Verdict::kOk : Verdict::kDiffers;
  if (row.verdict == Verdict::kDiffers) {
    row.why +=
        "; limits.d applies from the next login (log in again after --apply); a systemd "
        "service needs Limit" +
        std::string(item == "nofile" ? "NOFILE" : "NPROC") + "=" + LimitText(wanted) +
        " in its unit";
  }
  return row;
}

// Which grants fall short of `wanted` for `item`: "" when none.
std::string Shortfall(const Grants& grants, const Grants& wanted, const std::string& item) {
  for (const auto& [key, w] : wanted) {
    if (key.first != item) continue;
    const Grant* g = Find(grants, item, key.second);
    if (g == nullptr || g->value < w.value) return g == nullptr ? "?" : g->source;
  }
  return "";
}

}  // namespace

std::vector<Row> AuditLimits(const std::string& root, const std::string& user_name) {
  const UserIdentity user = LookUpUser(root, user_name);
  const Grants wanted = Wanted(user);
  Result<std::string> proc_limits = ReadHostFile(root, "/proc/self/limits");
  const Grants process = proc_limits.ok() ? ProcessLimits(proc_limits.value()) : Grants{};
  const Grants granted = ResolveGrants(root, user, Ours::kAsOnTheHost, process);
  const Grants without_ours = ResolveGrants(root, user, Ours::kLeftOut, process);
  const Grants with_ours = ResolveGrants(root, user, Ours::kInstalled, process);
  const std::string install_lowers = Lowered(without_ours, with_ours);
  const std::string our_path(LimitsFile().install_path);

  std::vector<Row> rows;
  for (const std::string item : {"nofile", "nproc"}) {
    const Grant* minimum = Find(wanted, item, "soft");
    if (minimum == nullptr) continue;  // root: no nproc limit applies
    rows.push_back(ProcessRow(proc_limits, process, item, minimum->value));

    Row row{.group = "limits",
            .setting = item + " (login of " + user.name + ")",
            .current = GrantText(granted, item, "soft") + ", " + GrantText(granted, item, "hard"),
            .why = ItemWhy(item)};
    for (const auto& [key, w] : wanted) {
      if (key.first == item) {
        row.recommended +=
            (row.recommended.empty() ? "" : ", ") + key.second + " at least " + LimitText(w.value);
      }
    }
    if (!user.known) {
      row.why = "no user " + user.name +
                " in /etc/passwd: give the user that runs backups with "
                "--user";
      rows.push_back(std::move(row));
      continue;
    }
    const std::string short_now = Shortfall(granted, wanted, item);
    row.verdict = short_now.empty() ? Verdict::kOk : Verdict::kDiffers;
    const bool ours_sets_it = std::any_of(wanted.begin(), wanted.end(), [&](const auto& w) {
      return w.first.first == item && !w.second.source.empty();
    });
    if (row.verdict == Verdict::kOk) {
      // ok as it is
    } else if (!ours_sets_it) {
      row.why += "; " + short_now + " grants less: raise it there (" + our_path + " does not set " +
                 item + ")";
    } else if (const std::string after = Shortfall(with_ours, wanted, item); !after.empty()) {
      row.why +=
          "; " + after + " grants less and takes precedence over " + our_path + ": change it there";
    } else if (!install_lowers.empty()) {
      row.why += "; installing " + our_path + " would lower " + install_lowers + ": raise " + item +
                 " in limits.d yourself";
    } else {
      row.why += "; `dbbackup tune --apply` installs " + our_path + " (new logins get it)";
      row.fix = {
          .kind = Fix::Kind::kInstall, .path = our_path, .value = std::string(LimitsFile().text)};
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace dbb::tune
