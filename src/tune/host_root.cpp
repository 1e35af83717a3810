#include "tune/host_root.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

namespace dbb::tune {
namespace {

Status WriteAll(int fd, const std::string& data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, what);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// In a fixture root, refuses a path whose existing part resolves outside the root.
Status CheckInsideRoot(const std::string& root, const std::string& path) {
  if (IsRealRoot(root)) return Status::Ok();
  std::error_code ec;
  const std::string base = std::filesystem::canonical(root, ec).string();
  const std::string real = std::filesystem::weakly_canonical(UnderRoot(root, path), ec).string();
  if (ec || real.compare(0, base.size(), base) != 0 ||
      (real.size() > base.size() && real[base.size()] != '/')) {
    return Status(StatusCode::kRefused, path + " leads outside " + root + " (a symbolic link?)");
  }
  return Status::Ok();
}

}  // namespace

bool IsRealRoot(const std::string& root) { return root.empty() || root == "/"; }

std::string ResolveUnderRoot(const std::string& root, const std::string& path) {
  std::error_code ec;
  const std::string real = std::filesystem::canonical(UnderRoot(root, path), ec).string();
  if (ec || !CheckInsideRoot(root, path).ok()) return "";
  return real;
}

std::string UnderRoot(const std::string& root, const std::string& path) {
  if (IsRealRoot(root)) return path;
  return (root.back() == '/' ? root.substr(0, root.size() - 1) : root) + path;
}

Result<std::string> ReadHostFile(const std::string& root, const std::string& path) {
  const int fd = ::open(UnderRoot(root, path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, path);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::FromErrno(err, path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<std::string> ReadHostValue(const std::string& root, const std::string& path) {
  Result<std::string> text = ReadHostFile(root, path);
  if (!text.ok()) return text.status();
  std::string value = text->substr(0, text->find('\n'));
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  return value;
}

std::string ReadHostNumberAfter(const std::string& root, const std::string& path,
                                const std::string& key) {
  Result<std::string> text = ReadHostFile(root, path);
  if (!text.ok()) return "";
  const size_t at = text->find(key);
  if (at == std::string::npos) return "";
  const size_t b = text->find_first_of("0123456789", at + key.size());
  if (b == std::string::npos) return "";
  return text->substr(b, text->find_first_not_of("0123456789", b) - b);
}

std::optional<std::string> ReadSysctl(const std::string& root, const std::string& name) {
  Result<std::string> value = ReadHostValue(root, SysctlPath(name));
  if (!value.ok()) return std::nullopt;
  return std::move(value).value();
}

std::string SysctlPath(const std::string& name) {
  std::string rel = name;
  std::replace(rel.begin(), rel.end(), '.', '/');
  return "/proc/sys/" + rel;
}

Status WriteHostValue(const std::string& root, const std::string& path, const std::string& value) {
  DBB_RETURN_IF_ERROR(CheckInsideRoot(root, path));
  const int fd = ::open(UnderRoot(root, path).c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "write " + path);
  Status st = WriteAll(fd, value + "\n", "write " + path);
  if (::close(fd) != 0 && st.ok()) st = Status::FromErrno(errno, "write " + path);
  return st;
}

Status InstallHostFile(const std::string& root, const std::string& path,
                       const std::string& content) {
  DBB_RETURN_IF_ERROR(CheckInsideRoot(root, path));
  const std::string target = UnderRoot(root, path);
  const std::filesystem::path dir = std::filesystem::path(target).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(StatusCode::kIoError, "create " + dir.string() + ": " + ec.message());
  const std::string tmp = target + ".dbbackup-new";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, "install " + path);
  Status st = WriteAll(fd, content, "install " + path);
  if (st.ok() && ::fchmod(fd, 0644) != 0) st = Status::FromErrno(errno, "install " + path);
  if (st.ok() && ::fsync(fd) != 0) st = Status::FromErrno(errno, "install " + path);
  if (::close(fd) != 0 && st.ok()) st = Status::FromErrno(errno, "install " + path);
  if (st.ok() && ::rename(tmp.c_str(), target.c_str()) != 0) {
    st = Status::FromErrno(errno, "install " + path);
  }
  if (!st.ok()) ::unlink(tmp.c_str());
  return st;
}

}  // namespace dbb::tune
