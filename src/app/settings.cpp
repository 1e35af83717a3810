#include "app/settings.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

#include "io/small_file.h"

namespace dbb::app {
namespace {

constexpr uint64_t kMaxConfigBytes = 1 << 20;
// Keys that are not options: the target's kind and the connection's secrets.
const std::set<std::string> kTargetKeys = {"kind", "password", "passfile"};
// The commands a target's keys belong to.
const std::vector<std::vector<std::string>> kTargetCommands = {
    {"backup", "single"}, {"backup", "cluster"}, {"prune"}};

std::string g_config_path = kDefaultConfigPath;  // --config

Status ConfigError(const std::string& message) {
  return Status(StatusCode::kInvalidArgument, message);
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

bool IsName(const std::string& s, const char* extra) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [extra](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(extra, c) != nullptr;
  });
}

// A value: "quoted" as it is, else up to a comment after white space (`jobs = 4  # why`).
std::string ValueOf(const std::string& text) {
  const std::string v = Trim(text);
  if (v.size() >= 2 && v.front() == '"') {
    const size_t close = v.find('"', 1);
    if (close != std::string::npos) return v.substr(1, close - 1);
  }
  for (size_t i = 1; i < v.size(); ++i) {
    if ((v[i] == '#' || v[i] == ';') && (v[i - 1] == ' ' || v[i - 1] == '\t')) {
      return Trim(v.substr(0, i));
    }
  }
  return v;
}

using Sections = std::map<std::string, std::map<std::string, std::vector<ConfigValue>>>;

// The sections of the file and the line of its first password, if any.
Result<Sections> ParseConfig(const std::string& text, const std::string& path, int* password_line) {
  Sections sections;
  std::map<std::string, std::vector<ConfigValue>>* section = nullptr;
  std::map<std::string, int> section_lines;
  std::istringstream in(text);
  std::string raw;
  for (int line = 1; std::getline(in, raw); ++line) {
    const std::string where = path + ":" + std::to_string(line);
    const std::string s = Trim(raw);
    if (s.empty() || s[0] == '#' || s[0] == ';') continue;
    if (s.front() == '[') {
      const std::string name = s.back() == ']' ? Trim(s.substr(1, s.size() - 2)) : "";
      if (!IsName(name, "_.-")) {
        return ConfigError(where +
                           ": a section is [defaults] or [NAME], NAME of letters, "
                           "digits, '_', '.' and '-'");
      }
      if (!section_lines.emplace(name, line).second) {
        return ConfigError(where + ": [" + name + "] again (first at line " +
                           std::to_string(section_lines[name]) + "): give each section once");
      }
      section = &sections[name];
      continue;
    }
    const size_t eq = s.find('=');
    const std::string key = eq == std::string::npos ? "" : Trim(s.substr(0, eq));
    if (!IsName(key, "-")) {
      return ConfigError(where + ": expected KEY = VALUE, [defaults] or [NAME]");
    }
    if (section == nullptr) {
      return ConfigError(where + ": " + key + " outside a section: put it under [defaults] or " +
                         "a target's [NAME]");
    }
    if (key == "password" && *password_line == 0) *password_line = line;
    (*section)[key].push_back({.value = ValueOf(s.substr(eq + 1)), .where = where});
  }
  return sections;
}

// A password in the file: refused unless only its owner can read it, as libpq refuses a
// ~/.pgpass that others can.
Status CheckPrivate(const std::string& path, int password_line) {
  struct stat st {};
  if (password_line == 0) return Status::Ok();
  if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "config file " + path);
  if ((st.st_mode & 077) == 0) return Status::Ok();
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
  return ConfigError(path + " holds a password (line " + std::to_string(password_line) +
                     ") but its mode " + mode + " lets others read it: chmod 600 " + path +
                     " (its owner alone may read it), or move the password into a passfile "
                     "(passfile = FILE, a .pgpass file of mode 0600)");
}

std::string TargetList(const Sections& sections) {
  std::string names;
  for (const auto& [name, keys] : sections) {
    if (name == "defaults") continue;
    names += (names.empty() ? "" : ", ") + name;
  }
  return names.empty() ? "none" : names;
}

const CLI::App* RootOf(const CLI::App* cmd) {
  while (cmd->get_parent() != nullptr) cmd = cmd->get_parent();
  return cmd;
}

const CLI::App* FindCommand(const CLI::App* root, const std::vector<std::string>& path) {
  for (const std::string& name : path) {
    if (root == nullptr) return nullptr;
    auto found = root->get_subcommands([&](const CLI::App* a) { return a->get_name() == name; });
    root = found.empty() ? nullptr : found[0];
  }
  return root;
}

// A file asks for no help and names no other target.
bool MayBeSet(const std::string& key) { return key != "help" && key != "target"; }

// The long option --KEY of `cmd`, if it has one a configuration file may set.
CLI::Option* OptionFor(CLI::App* cmd, const std::string& key) {
  return MayBeSet(key) ? cmd->get_option_no_throw("--" + key) : nullptr;
}

bool IsTargetKey(const CLI::App* root, const std::string& key) {
  if (kTargetKeys.count(key) != 0) return true;
  return std::any_of(kTargetCommands.begin(), kTargetCommands.end(), [&](const auto& path) {
    const CLI::App* cmd = FindCommand(root, path);
    return cmd != nullptr && MayBeSet(key) && cmd->get_option_no_throw("--" + key) != nullptr;
  });
}

// Sets `opt` from the file's values; CLI11 converts and checks them as it does the command line's.
Status SetFromConfig(CLI::Option* opt, const std::string& key,
                     const std::vector<ConfigValue>& values) {
  const bool list = opt->get_items_expected_max() > 1;
  if (!list && values.size() > 1) {
    return ConfigError(values[1].where + ": " + key + " again (first at " + values[0].where +
                       "): it takes one value");
  }
  for (const ConfigValue& v : values) opt->add_result(v.value);
  try {
    opt->run_callback();
  } catch (const CLI::Error& e) {
    return ConfigError(values.back().where + ": " + key + ": " + e.what());
  }
  return Status::Ok();
}

// `backup single --target T` where T is a cluster target (or the other way round).
Status CheckKind(const Target& target, const CLI::App* cmd) {
  const CLI::App* parent = cmd->get_parent();
  if (parent == nullptr || parent->get_name() != "backup") return Status::Ok();
  const std::string kind = target.cluster() ? "cluster" : "single";
  if (cmd->get_name() == kind) return Status::Ok();
  return ConfigError("target " + target.name + " is a " + kind + " target (kind = " + kind +
                     " in " + target.config_path + "): run dbbackup backup --target " +
                     target.name + " (or backup " + kind + ")");
}

}  // namespace

std::string EnvNameOf(const std::string& long_name) {
  std::string name = "DBBACKUP_";
  for (const char c : long_name) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::string EnvNameFor(const CLI::Option& opt) {
  const std::vector<std::string>& names = opt.get_lnames();
  if (names.empty() || names[0] == "help" || names[0] == "version") return "";
  return EnvNameOf(names[0]);
}

// A command's options get their variables when it is invoked (CLI11 calls the preparse callback
// then): CLI11 converts and checks every option that has a value, so a variable meant for one
// command's option must not reach another command's.
void BindEnvironment(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (const std::string name = EnvNameFor(*opt); !name.empty()) opt->envname(name);
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->preparse_callback([sub](size_t) { BindEnvironment(*sub); });
  }
}

bool Target::cluster() const {
  auto kind = values.find("kind");
  return kind != values.end() && kind->second.back().value == "cluster";
}

Result<Target> LoadTarget(const std::string& path, const std::string& name) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return ConfigError("config file " + path +
                       " does not exist: create it, or name another with --config FILE");
  }
  auto text = io::ReadSmallFile(path, kMaxConfigBytes);
  if (!text.ok()) {
    return ConfigError("config file " + text.status().message() +
                       ": run as a user who may read it (the package makes it readable by the "
                       "dbbackup group), or name another with --config FILE");
  }
  int password_line = 0;
  auto sections = ParseConfig(text.value(), path, &password_line);
  if (!sections.ok()) return sections.status();
  DBB_RETURN_IF_ERROR(CheckPrivate(path, password_line));
  auto own = sections->find(name);
  if (name == "defaults" || own == sections->end()) {
    return ConfigError("no target " + name + " in " + path +
                       " (targets there: " + TargetList(sections.value()) + ")");
  }
  Target target{.name = name, .config_path = path, .values = {}};
  if (auto defaults = sections->find("defaults"); defaults != sections->end()) {
    target.values = defaults->second;
  }
  for (auto& [key, values] : own->second) target.values[key] = values;
  if (auto kind = target.values.find("kind"); kind != target.values.end()) {
    const std::string& k = kind->second.back().value;
    if (k != "single" && k != "cluster") {
      return ConfigError(kind->second.back().where + ": kind = " + k +
                         ": use single (one database) or cluster (the whole server)");
    }
  }
  return target;
}

void AddConfigFlag(CLI::App& root) {
  root.add_option("--config", g_config_path,
                  "the configuration file that --target NAME reads (INI: [defaults] and a "
                  "[NAME] section per target)")
      ->type_name("FILE")
      ->capture_default_str();
}

void AddTargetFlag(CLI::App* cmd, std::string* target) {
  cmd->add_option("--target", *target,
                  "take the options the command line and DBBACKUP_* variables leave out from "
                  "the target NAME of the configuration file (--config): its [NAME] section, "
                  "then [defaults]")
      ->type_name("NAME");
}

Result<bool> ApplyTarget(const std::string& name, CLI::App* cmd, pg::ConnParams* conn) {
  if (name.empty()) return false;
  auto target = LoadTarget(g_config_path, name);
  if (!target.ok()) return target.status();
  DBB_RETURN_IF_ERROR(CheckKind(target.value(), cmd));
  const CLI::App* root = RootOf(cmd);
  for (const auto& [key, values] : target->values) {
    if (!IsTargetKey(root, key)) {
      return ConfigError(values[0].where + ": unknown key " + key +
                         " (keys: the long options of backup single|cluster and prune, "
                         "without --; kind, password, passfile)");
    }
    if (conn != nullptr && key == "password") conn->password = values.back().value;
    if (conn != nullptr && key == "passfile") conn->passfile = values.back().value;
    CLI::Option* opt = OptionFor(cmd, key);
    if (opt == nullptr || opt->count() > 0) continue;  // another command's, or set already
    DBB_RETURN_IF_ERROR(SetFromConfig(opt, key, values));
  }
  return true;
}

std::vector<std::string> InsertTargetKind(std::vector<std::string> args, const CLI::App& root) {
  size_t i = 1;  // past the global options before the command
  while (i < args.size() && args[i].size() > 1 && args[i][0] == '-') {
    const CLI::Option* opt = root.get_option_no_throw(args[i]);
    i += (opt != nullptr && opt->get_expected_min() > 0) ? 2 : 1;
  }
  if (i + 1 > args.size() || args[i] != "backup") return args;
  if (i + 1 < args.size() && (args[i + 1] == "single" || args[i + 1] == "cluster" ||
                              args[i + 1] == "--help" || args[i + 1] == "-h")) {
    return args;
  }
  std::string target;
  std::string config = g_config_path;
  if (const char* env = std::getenv("DBBACKUP_TARGET")) target = env;
  if (const char* env = std::getenv("DBBACKUP_CONFIG")) config = env;
  for (size_t j = 1; j < args.size(); ++j) {
    for (auto [flag, value] : {std::pair{"--target", &target}, std::pair{"--config", &config}}) {
      const std::string with_eq = std::string(flag) + "=";
      if (args[j] == flag && j + 1 < args.size()) *value = args[j + 1];
      if (args[j].rfind(with_eq, 0) == 0) *value = args[j].substr(with_eq.size());
    }
  }
  if (target.empty()) return args;
  auto loaded = LoadTarget(config, target);
  const bool cluster = loaded.ok() && loaded->cluster();
  args.insert(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, cluster ? "cluster" : "single");
  return args;
}

}  // namespace dbb::app
