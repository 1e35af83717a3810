#include "engine/backup_series.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "engine/prune.h"
#include "io/small_file.h"

namespace dbb::engine {
namespace {

io::UniqueFd OpenDir(const std::string& dir) {
  return io::UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

}  // namespace

std::string SeriesDirName(std::time_t t) {
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char name[32];
  std::strftime(name, sizeof name, "%Y%m%dT%H%M%SZ", &utc);
  return name;
}

Result<SeriesRun> SeriesRun::Start(const std::string& dir) {
  DBB_RETURN_IF_ERROR(io::MakeDirs(dir));
  io::UniqueFd fd = OpenDir(dir);
  if (fd.get() < 0) return Status::FromErrno(errno, "open the target directory " + dir);
  // `prune` takes the lock for a moment to see whether a run holds it: a few tries over a second.
  int locked = -1;
  for (int tries = 0;
       tries < 20 && (locked = ::flock(fd.get(), LOCK_EX | LOCK_NB)) != 0 && errno == EWOULDBLOCK;
       ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (locked != 0) {
    if (errno == EWOULDBLOCK) {
      return Status(StatusCode::kRefused,
                    "another backup of this target is running in " + dir +
                        " (it holds the directory's lock): let it finish, or stop it");
    }
    return Status::FromErrno(errno, "lock the target directory " + dir);
  }
  const std::string stamp = SeriesDirName(std::time(nullptr));
  std::string name = stamp;
  struct stat st {};
  for (int n = 2; ::lstat((dir + "/" + name).c_str(), &st) == 0; ++n) {
    name = stamp + "-" + std::to_string(n);
  }
  return SeriesRun(std::move(fd), dir, name);
}

bool SeriesRun::ResumeNewestInterrupted(bool cluster) {
  auto scan = ScanBackups(dir_);
  if (!scan.ok()) return false;
  const ScannedBackup* newest = nullptr;
  for (const ScannedBackup& b : scan->backups) {
    if (b.state != BackupState::kIncomplete || (b.kind == BackupKind::kCluster) != cluster)
      continue;
    if (newest == nullptr || b.time_s > newest->time_s) newest = &b;
  }
  if (newest == nullptr) return false;
  name_ = newest->name;
  return true;
}

Status SeriesRun::PublishLatest() const {
  const std::string temp = dir_ + "/." + kLatestName + ".tmp." + std::to_string(::getpid());
  ::unlink(temp.c_str());
  if (::symlink(name_.c_str(), temp.c_str()) != 0)
    return Status::FromErrno(errno, "create " + temp);
  if (::rename(temp.c_str(), (dir_ + "/" + kLatestName).c_str()) != 0) {
    Status failed = Status::FromErrno(errno, "rename " + temp + " to " + kLatestName);
    ::unlink(temp.c_str());
    return failed;
  }
  return io::FsyncDir(dir_);
}

bool SeriesRunActive(const std::string& dir) {
  io::UniqueFd fd = OpenDir(dir);
  if (fd.get() < 0) return false;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) != 0) return errno == EWOULDBLOCK;
  ::flock(fd.get(), LOCK_UN);
  return false;
}

}  // namespace dbb::engine
