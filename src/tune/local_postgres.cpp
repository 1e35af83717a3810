#include "tune/local_postgres.h"

#include <filesystem>

#include "tune/host_root.h"

namespace dbb::tune {
namespace {

bool IsPostgres(const std::string& root, const std::string& pid) {
  Result<std::string> comm = ReadHostValue(root, "/proc/" + pid + "/comm");
  return comm.ok() && (comm.value() == "postgres" || comm.value() == "postmaster");
}

std::string ParentPid(const std::string& root, const std::string& pid) {
  return ReadHostNumberAfter(root, "/proc/" + pid + "/status", "\nPPid:");
}

std::string DataDir(const std::string& root, const std::string& pid) {
  Result<std::string> cmdline = ReadHostFile(root, "/proc/" + pid + "/cmdline");
  if (!cmdline.ok()) return "";
  std::string previous;
  for (size_t pos = 0; pos < cmdline->size();) {
    size_t end = cmdline->find('\0', pos);
    if (end == std::string::npos) end = cmdline->size();
    const std::string arg = cmdline->substr(pos, end - pos);
    if (previous == "-D") return arg;
    if (arg.rfind("-D", 0) == 0 && arg.size() > 2) return arg.substr(2);
    previous = arg;
    pos = end + 1;
  }
  return "";
}

}  // namespace

std::optional<LocalPostgres> FindLocalPostgres(const std::string& root) {
  std::error_code ec;
  std::filesystem::directory_iterator it(UnderRoot(root, "/proc"), ec);
  std::optional<LocalPostgres> any;
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string pid = it->path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos || !IsPostgres(root, pid)) {
      continue;
    }
    LocalPostgres found{.pid = std::stoi(pid), .data_dir = DataDir(root, pid)};
    const std::string parent = ParentPid(root, pid);
    if (parent.empty() || !IsPostgres(root, parent)) return found;
    if (!any) any = found;
  }
  return any;
}

}  // namespace dbb::tune
