#include "engine/backup_series.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/utc_time.h"
#include "engine/prune.h"
#include "io/small_file.h"

namespace dbb::engine {

std::string SeriesDirName(std::time_t t) { return FormatUtcTime(t, "%Y%m%dT%H%M%SZ"); }

Result<SeriesLock> SeriesLock::Acquire(const std::string& dir, std::chrono::milliseconds wait) {
  io::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open the target directory " + dir);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return Status::FromErrno(errno, "lock the target directory " + dir);
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(StatusCode::kRefused,
                    "a backup or prune of this target is running in " + dir +
                        " (it holds the directory's lock): let it finish, or stop it");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return SeriesLock(std::move(fd));
}

Result<SeriesRun> SeriesRun::Start(const std::string& dir) {
  DBB_RETURN_IF_ERROR(io::MakeDirs(dir));
  auto lock = SeriesLock::Acquire(dir, std::chrono::seconds(1));
  if (!lock.ok()) return lock.status();
  const std::string latest = dir + "/" + kLatestName;
  struct stat st {};
  if (::lstat(latest.c_str(), &st) == 0 && !S_ISLNK(st.st_mode)) {
    return Status(StatusCode::kRefused, latest +
                                            " is not a symbolic link: move it away, so that "
                                            "backups of the target can point it to the newest");
  }
  const std::string stamp = SeriesDirName(std::time(nullptr));
  std::string name = stamp;
  for (int n = 2; ::lstat((dir + "/" + name).c_str(), &st) == 0; ++n) {
    name = stamp + "-" + std::to_string(n);
  }
  return SeriesRun(std::move(lock.value()), dir, name);
}

Result<bool> SeriesRun::ResumeNewestInterrupted(bool cluster) {
  auto scan = ScanBackups(dir_);
  if (!scan.ok()) return scan.status();
  const ScannedBackup* newest = nullptr;
  int64_t newest_finished_s = 0;
  for (const ScannedBackup& b : scan->backups) {
    if (b.state == BackupState::kComplete || b.state == BackupState::kPartial) {
      newest_finished_s = std::max(newest_finished_s, b.time_s);
    }
    if (b.state != BackupState::kIncomplete || (b.kind == BackupKind::kCluster) != cluster) {
      continue;
    }
    if (newest == nullptr || b.time_s > newest->time_s) newest = &b;
  }
  // An interrupted backup older than a finished one is not worth completing: prune removes it.
  if (newest == nullptr || newest->time_s < newest_finished_s) return false;
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

}  // namespace dbb::engine
