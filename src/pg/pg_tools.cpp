#include "pg/pg_tools.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include "common/log.h"
#include "common/subprocess.h"

namespace dbb::pg {

namespace {

constexpr size_t kMessageTailBytes = 4096;

struct Tool {
  std::string path;
  int version_num = 0;  // major only, in server_version_num units: 150000, 90600
  std::string version;  // as --version prints it: "15.4"
};

// The major version in server_version_num units: 16.2 -> 160000, 9.6.24 -> 90600.
int MajorNum(int version_num) {
  return version_num >= 100000 ? version_num / 10000 * 10000 : version_num / 100 * 100;
}

std::string MajorText(int major_num) {
  if (major_num >= 100000) return std::to_string(major_num / 10000);
  return std::to_string(major_num / 10000) + "." + std::to_string(major_num / 100 % 100);
}

// "pg_dump (PostgreSQL) 15.4 (Debian 15.4-1)" -> 150000 and "15.4"; 0 when unrecognised.
Tool ParseVersion(const std::string& path, std::string_view text) {
  Tool tool{.path = path};
  const size_t at = text.find("(PostgreSQL) ");
  if (at == std::string_view::npos) return tool;
  const std::string_view rest = text.substr(at + 13);
  tool.version = std::string(rest.substr(0, rest.find_first_of(" \n")));
  int major = 0;
  int minor = 0;
  const char* end = rest.data() + rest.size();
  auto [p, ec] = std::from_chars(rest.data(), end, major);
  if (ec != std::errc() || major <= 0) return tool;
  if (p < end && *p == '.') std::from_chars(p + 1, end, minor);
  tool.version_num = major >= 10 ? major * 10000 : major * 10000 + minor * 100;
  return tool;
}

// A file of our own in /tmp (mkstemp: 0600, a name nobody else holds), removed on scope exit.
// pg sits below io, so io::TempFile is not available here.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& prefix) {
    std::string name = "/tmp/" + prefix + "-XXXXXX";
    const int fd = ::mkstemp(name.data());
    if (fd < 0) {
      error_ = Status::FromErrno(errno, "create a temporary file in /tmp");
      return;
    }
    ::close(fd);
    path_ = std::move(name);
  }
  ~ScratchFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  const Status& status() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  Status error_;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Tool RunVersion(const std::string& path) {
  ScratchFile out("dbbackup-version");
  if (!out.status().ok()) return Tool{.path = path};
  Result<ProcessResult> run =
      RunProcess(ProcessOptions{.argv = {path, "--version"}, .stdout_path = out.path()});
  if (!run.ok() || run->exit_code != 0) return Tool{.path = path};
  return ParseVersion(path, ReadText(out.path()));
}

// A tool's version, asked once per process: a cluster run finds pg_dump and pg_restore for every
// database.
Tool Probe(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, Tool> probed;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = probed.find(path); it != probed.end()) return it->second;
  }
  Tool tool = RunVersion(path);
  std::lock_guard<std::mutex> lock(mu);
  probed.emplace(path, tool);
  return tool;
}

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const size_t colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Debian/Ubuntu install each major's client side by side.
std::vector<Tool> VersionedTools(const std::string& name) {
  std::vector<Tool> tools;
  glob_t matches{};
  const std::string pattern = "/usr/lib/postgresql/*/bin/" + name;
  if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i) tools.push_back(Probe(matches.gl_pathv[i]));
  }
  ::globfree(&matches);
  std::sort(tools.begin(), tools.end(),
            [](const Tool& a, const Tool& b) { return a.version_num > b.version_num; });
  return tools;
}

std::string Tail(const std::string& text) {
  std::string out = text;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (out.size() > kMessageTailBytes) {
    out.erase(0, out.size() - kMessageTailBytes);
    const size_t newline = out.find('\n');
    if (newline != std::string::npos) out.erase(0, newline + 1);
  }
  return out;
}

Status CheckExit(const std::string& tool, const ProcessResult& result) {
  if (result.exit_code == 0) return Status::Ok();
  const std::string how = result.term_signal != 0
                              ? "killed by signal " + std::to_string(result.term_signal)
                              : "exit " + std::to_string(result.exit_code);
  return Status(StatusCode::kServer, tool + " failed (" + how + "): " + Tail(result.stderr_text));
}

// The password travels in the environment only: argv is visible to every user through ps.
std::vector<std::pair<std::string, std::string>> PasswordEnv(const Connection& conn) {
  const std::string password = conn.Password();
  if (password.empty()) return {};
  return {{"PGPASSWORD", password}};
}

// Created 0600 before pg_dump writes to it: pg_dump opens with the umask's mode, and the schema
// may hold secrets (function bodies, comments, role names).
Status CreatePrivate(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "create " + path);
  const int rc = ::fchmod(fd, 0600);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::FromErrno(err, "chmod " + path);
  return Status::Ok();
}

Status RunTool(const std::string& name, const ProcessOptions& options) {
  Result<ProcessResult> run = RunProcess(options);
  if (!run.ok()) return run.status().WithContext(name);
  return CheckExit(name, *run);
}

// One error line of psql's stderr, `psql:FILE:LINE: ERROR:  SQLSTATE: message` (VERBOSITY
// verbose) or psql's own `psql:FILE:LINE: error: message` (an unknown meta-command); nullopt for
// every other line: NOTICE, WARNING, DETAIL, HINT, LOCATION, continuation lines.
std::optional<SqlError> ParseErrorLine(std::string_view line) {
  if (!line.starts_with("psql:")) return std::nullopt;
  bool server = true;
  size_t marker = line.find(": ERROR:  ");
  size_t marker_size = 10;
  if (marker == std::string_view::npos) {
    server = false;
    marker = line.find(": error: ");
    marker_size = 9;
  }
  if (marker == std::string_view::npos) return std::nullopt;
  // FILE may hold colons: the line number is what follows the last one.
  const std::string_view where = line.substr(0, marker);
  const std::string_view number = where.substr(where.rfind(':') + 1);
  SqlError error;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), error.line);
  if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
  std::string_view rest = line.substr(marker + marker_size);
  const bool has_state = rest.size() > 7 && rest.substr(5, 2) == ": " &&
                         std::all_of(rest.begin(), rest.begin() + 5, [](char c) {
                           return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
                         });
  if (server && has_state) {
    error.sqlstate = std::string(rest.substr(0, 5));
    rest.remove_prefix(7);
  }
  error.message = std::string(rest);
  return error;
}

// A CREATE TABLESPACE line's LOCATION: the decoded path and where its literal starts.
struct Location {
  size_t literal_at = 0;
  std::string path;
};

// pg_dumpall ends the statement with the literal (`... LOCATION '/a/it''s';`), so it is read
// from the end: a name or owner spelled like " LOCATION '" cannot mislead it. Inside the literal
// quotes come in pairs, so the one quote left unpaired, going left, is the opening one.
std::optional<Location> FindLocation(std::string_view line) {
  if (!line.starts_with("CREATE TABLESPACE ") || !line.ends_with("';")) return std::nullopt;
  std::string reversed;
  size_t i = line.size() - 2;  // the closing quote
  while (i > 0) {
    --i;
    if (line[i] != '\'') {
      reversed += line[i];
    } else if (i > 0 && line[i - 1] == '\'') {
      reversed += '\'';
      --i;
    } else {
      if (!line.substr(0, i).ends_with(" LOCATION ")) return std::nullopt;
      return Location{.literal_at = i, .path = std::string(reversed.rbegin(), reversed.rend())};
    }
  }
  return std::nullopt;
}

std::string Literal(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// "/a/b/" -> "/a/b": the server reports locations without the slash a user may type.
std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

Result<std::string> FindTool(const std::string& tool, int server_version_num) {
  const int need = MajorNum(server_version_num);
  const std::string on_path = FindOnPath(tool);
  Tool found;
  if (!on_path.empty()) {
    found = Probe(on_path);
    if (found.version_num >= need) return found.path;
  }
  for (const Tool& candidate : VersionedTools(tool)) {
    if (candidate.version_num >= need) {
      log::Verbose(tool + ": using " + candidate.path + " (" + candidate.version + ")");
      return candidate.path;
    }
    if (found.path.empty()) found = candidate;
  }
  const std::string need_text = MajorText(need);
  if (found.path.empty()) {
    return Status(StatusCode::kUnsupported,
                  tool +
                      " not found (looked on PATH and in /usr/lib/postgresql/*/bin); install "
                      "postgresql-client-" +
                      need_text);
  }
  const std::string what = found.version.empty() ? "of unknown version" : found.version;
  const std::string verb = tool == "pg_dump" || tool == "pg_dumpall" ? " cannot dump a"
                           : tool == "pg_restore"                    ? " cannot restore into a"
                                                                     : " cannot run against a";
  return Status(StatusCode::kUnsupported, tool + " " + what + " (" + found.path + ")" + verb +
                                              " PostgreSQL " + need_text +
                                              " server; install postgresql-client-" + need_text);
}

Status DumpSchema(const Connection& conn, const DumpSchemaOptions& options) {
  Result<std::string> tool = FindTool("pg_dump", conn.server_version_num());
  if (!tool.ok()) return tool.status();
  DBB_RETURN_IF_ERROR(CreatePrivate(options.out_path));
  // --no-password: the tool must never sit at a password prompt; it gets the one we used.
  std::vector<std::string> argv = {*tool,
                                   "--schema-only",
                                   "--format=custom",
                                   "--snapshot=" + options.snapshot,
                                   "--file=" + options.out_path,
                                   "--no-password"};
  if (options.lock_wait_timeout_ms > 0) {
    argv.push_back("--lock-wait-timeout=" + std::to_string(options.lock_wait_timeout_ms));
  }
  argv.push_back("--dbname=" + conn.ConninfoWithoutPassword());
  DBB_RETURN_IF_ERROR(RunTool(
      "pg_dump",
      ProcessOptions{.argv = std::move(argv), .env = PasswordEnv(conn), .stop = options.stop}));
  if (::chmod(options.out_path.c_str(), 0600) != 0) {
    return Status::FromErrno(errno, "chmod " + options.out_path);
  }
  return Status::Ok();
}

Status RestoreSection(const Connection& conn, const RestoreSectionOptions& options) {
  Result<std::string> tool = FindTool("pg_restore", conn.server_version_num());
  if (!tool.ok()) return tool.status();
  std::vector<std::string> argv = {*tool,
                                   "--section=" + options.section,
                                   "--exit-on-error",
                                   "--jobs=" + std::to_string(std::max(options.jobs, 1)),
                                   "--no-password",
                                   "--dbname=" + conn.ConninfoWithoutPassword()};
  if (!options.list_path.empty()) argv.push_back("--use-list=" + options.list_path);
  argv.push_back(options.archive_path);
  return RunTool(
      "pg_restore",
      ProcessOptions{.argv = std::move(argv), .env = PasswordEnv(conn), .stop = options.stop});
}

Status DumpGlobals(const Connection& conn, const DumpGlobalsOptions& options) {
  Result<std::string> tool = FindTool("pg_dumpall", conn.server_version_num());
  if (!tool.ok()) return tool.status();
  // Role passwords are secrets: the file is private before pg_dumpall writes a byte of it.
  DBB_RETURN_IF_ERROR(CreatePrivate(options.out_path));
  std::vector<std::string> argv = {*tool, "--globals-only", "--no-password",
                                   "--file=" + options.out_path};
  if (!options.role_passwords) argv.push_back("--no-role-passwords");
  argv.push_back("--dbname=" + conn.ConninfoWithoutPassword());
  Status st = RunTool(
      "pg_dumpall",
      ProcessOptions{.argv = std::move(argv), .env = PasswordEnv(conn), .stop = options.stop});
  if (!st.ok()) {
    // Password hashes live in pg_authid, which only a superuser may read.
    if (st.code() == StatusCode::kServer &&
        st.message().find("permission denied") != std::string::npos &&
        st.message().find("pg_authid") != std::string::npos) {
      return Status(st.code(), st.message() +
                                   "\nconnect as a superuser, or leave the role passwords out "
                                   "(--no-role-passwords)");
    }
    return st;
  }
  if (::chmod(options.out_path.c_str(), 0600) != 0) {
    return Status::FromErrno(errno, "chmod " + options.out_path);
  }
  return Status::Ok();
}

Result<GlobalsOutcome> RunGlobals(const Connection& conn, const std::string& sql_path,
                                  StopSource* stop) {
  Result<std::string> tool = FindTool("psql", conn.server_version_num());
  if (!tool.ok()) return tool.status();
  // Every error matters (each role that failed to restore), not a tail of them: stderr goes to
  // a file. VERBOSITY=verbose puts the SQLSTATE into each error line.
  ScratchFile err("dbbackup-psql");
  DBB_RETURN_IF_ERROR(err.status());
  Result<ProcessResult> run = RunProcess(ProcessOptions{
      .argv = {*tool, "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=0", "-v",
               "VERBOSITY=verbose", "-f", sql_path, "--dbname=" + conn.ConninfoWithoutPassword()},
      .env = PasswordEnv(conn),
      .stderr_path = err.path(),
      .stop = stop});
  if (!run.ok()) return run.status().WithContext("psql");
  std::string text = ReadText(err.path());
  if (run->exit_code != 0) {
    run->stderr_text = std::move(text);
    return CheckExit("psql", *run);
  }
  GlobalsOutcome outcome;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    std::optional<SqlError> error = ParseErrorLine(line);
    if (!error) continue;
    (error->sqlstate == "42710" ? outcome.existing : outcome.errors).push_back(std::move(*error));
  }
  return outcome;
}

Result<std::string> MapTablespaceLocations(
    const std::string& globals_sql,
    const std::vector<std::pair<std::string, std::string>>& old_to_new) {
  std::map<std::string, std::string> mapping;
  for (const auto& [old_dir, new_dir] : old_to_new) {
    for (const std::string& dir : {old_dir, new_dir}) {
      if (!dir.starts_with("/")) {
        return Status(StatusCode::kInvalidArgument, "tablespace mapping " + old_dir + "=" +
                                                        new_dir + ": \"" + dir +
                                                        "\" is not an absolute path");
      }
    }
    if (!mapping.emplace(WithoutTrailingSlash(old_dir), WithoutTrailingSlash(new_dir)).second) {
      return Status(StatusCode::kInvalidArgument,
                    "tablespace mapping: " + old_dir + " is mapped more than once");
    }
  }
  std::set<std::string> used;
  std::vector<std::string> locations;
  std::string out;
  std::string_view rest = globals_sql;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    const std::string_view line =
        rest.substr(0, newline == std::string_view::npos ? rest.size() : newline + 1);
    rest.remove_prefix(line.size());
    const std::string_view body = line.ends_with('\n') ? line.substr(0, line.size() - 1) : line;
    const std::optional<Location> location = FindLocation(body);
    if (location) locations.push_back(location->path);
    const auto mapped = location ? mapping.find(location->path) : mapping.end();
    if (mapped == mapping.end()) {
      out += line;
      continue;
    }
    used.insert(mapped->first);
    out += std::string(body.substr(0, location->literal_at)) + Literal(mapped->second) + ";" +
           std::string(line.substr(body.size()));
  }
  for (const auto& [old_dir, new_dir] : mapping) {
    if (used.contains(old_dir)) continue;
    std::string known;
    for (const std::string& l : locations) known += (known.empty() ? "" : ", ") + l;
    return Status(StatusCode::kInvalidArgument,
                  "tablespace mapping " + old_dir + "=" + new_dir +
                      ": no tablespace of the backup is at " + old_dir +
                      (known.empty() ? " (it has none)" : " (they are at " + known + ")"));
  }
  return out;
}

Status ListArchive(const std::string& archive_path, int server_version_num,
                   const std::string& out_path, StopSource* stop) {
  Result<std::string> tool = FindTool("pg_restore", server_version_num);
  if (!tool.ok()) return tool.status();
  return RunTool("pg_restore --list",
                 ProcessOptions{.argv = {*tool, "--list", "--verbose", archive_path},
                                .stdout_path = out_path,
                                .stop = stop});
}

}  // namespace dbb::pg
