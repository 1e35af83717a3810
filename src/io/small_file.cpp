#include "io/small_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/unique_fd.h"

namespace dbb::io {
namespace {

std::string Parent(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "write " + path);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// "<what>: <strerror>; <fix>" as kRefused: the destination cannot be used, nothing was written.
Status Refused(int sys_errno, const std::string& what, const std::string& fix) {
  const Status s = Status::FromErrno(sys_errno, what);
  return Status(StatusCode::kRefused, s.message() + "; " + fix, sys_errno);
}

}  // namespace

std::string TrimTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Status MakeDirs(const std::string& dir) {
  if (dir.empty() || dir == "/" || dir == ".") return Status::Ok();
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) return Status::Ok();
  DBB_RETURN_IF_ERROR(MakeDirs(Parent(dir)));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Refused(errno, "create directory " + dir, "check the path and its permissions");
  }
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::string_view contents, unsigned mode) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (fd.get() < 0) return Status::FromErrno(errno, "create " + tmp);
  Status st = WriteAll(fd.get(), contents, tmp);
  if (st.ok() && ::fsync(fd.get()) != 0) st = Status::FromErrno(errno, "fsync " + tmp);
  if (const int err = fd.Close(); st.ok() && err != 0) st = Status::FromErrno(err, "close " + tmp);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = Status::FromErrno(errno, "rename " + tmp + " to " + path);
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return FsyncDir(Parent(path));
}

Result<bool> WriteNewFile(const std::string& path, std::string_view contents, unsigned mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0 && errno == EEXIST) return false;
  if (fd.get() < 0) return Status::FromErrno(errno, "create " + path);
  Status st = WriteAll(fd.get(), contents, path);
  if (const int err = fd.Close(); st.ok() && err != 0) st = Status::FromErrno(err, "close " + path);
  if (!st.ok()) {
    ::unlink(path.c_str());
    return st;
  }
  return true;
}

Result<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open " + path);
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "read " + path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return Status(StatusCode::kCorrupt,
                    path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  return out;
}

Status FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open directory " + dir);
  if (::fsync(fd.get()) != 0) return Status::FromErrno(errno, "fsync directory " + dir);
  return Status::Ok();
}

Status SyncFileSystem(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open directory " + dir);
  if (::syncfs(fd.get()) != 0) return Status::FromErrno(errno, "syncfs " + dir);
  return Status::Ok();
}

Result<bool> PrepareEmptyDir(const std::string& dir) {
  bool created = false;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return Refused(errno, "backup dir " + dir, "choose another path");
    DBB_RETURN_IF_ERROR(MakeDirs(Parent(dir)));
    if (::mkdir(dir.c_str(), 0700) != 0) {
      return Refused(errno, "backup dir " + dir + ": cannot create it",
                     "check the path and its parent's permissions");
    }
    created = true;
  } else if (!S_ISDIR(st.st_mode)) {
    return Status(StatusCode::kRefused,
                  "backup dir " + dir + " exists and is not a directory; choose another path");
  } else {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return Status::FromErrno(errno, "backup dir " + dir);
    bool empty = true;
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") empty = false;
    }
    ::closedir(d);
    if (!empty) {
      return Status(StatusCode::kRefused,
                    "backup dir " + dir +
                        " is not empty; choose a new or empty directory (dbbackup never "
                        "overwrites a backup)");
    }
  }
  const std::string probe = dir + "/.dbbackup-probe";
  UniqueFd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    return Refused(errno, "backup dir " + dir + ": cannot write there",
                   "choose a directory this user can write (or fix its owner)");
  }
  ::unlink(probe.c_str());
  return created;
}

TempFile::~TempFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

Status TempFile::Create(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string path =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + ".XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) return Status::FromErrno(errno, "create a temporary file " + path);
  ::close(fd);
  path_ = std::move(path);
  return Status::Ok();
}

}  // namespace dbb::io
