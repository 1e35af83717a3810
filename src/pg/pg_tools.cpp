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
#include <sstream>
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

Tool Probe(const std::string& path) {
  char temp[] = "/tmp/dbbackup-version-XXXXXX";
  const int fd = ::mkstemp(temp);
  if (fd < 0) return Tool{.path = path};
  ::close(fd);
  Result<ProcessResult> run =
      RunProcess(ProcessOptions{.argv = {path, "--version"}, .stdout_path = temp});
  std::ifstream in(temp);
  std::stringstream text;
  text << in.rdbuf();
  ::unlink(temp);
  if (!run.ok() || run->exit_code != 0) return Tool{.path = path};
  return ParseVersion(path, text.str());
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
  const std::string verb = tool == "pg_dump" ? " cannot dump a" : " cannot restore into a";
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
