// A target's directory of backups (`backup --target NAME`): each run writes a new time-stamped
// subdirectory, DIR/20261128T054016Z, and DIR/latest is a symbolic link to the newest complete
// one, replaced atomically only after a run succeeded. A lock on DIR (flock) is held by a run for
// its whole length and by `prune` while it scans and deletes: two runs of a target never overlap,
// and prune never deletes what a run is writing or resuming.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

#include "common/status.h"
#include "io/unique_fd.h"

namespace dbb::engine {

inline constexpr const char* kLatestName = "latest";

// The subdirectory name for a backup started at `t`: UTC, ISO 8601 basic, sortable.
std::string SeriesDirName(std::time_t t);

// DIR's lock, held while this lives.
class SeriesLock {
 public:
  // Takes the lock, trying for up to `wait`. kRefused naming DIR when someone else still holds
  // it; the errno of open or flock otherwise (DIR missing, a file system without flock).
  static Result<SeriesLock> Acquire(const std::string& dir, std::chrono::milliseconds wait);

 private:
  explicit SeriesLock(io::UniqueFd fd) : fd_(std::move(fd)) {}
  io::UniqueFd fd_;
};

// One run of a target: holds DIR's lock.
class SeriesRun {
 public:
  // Creates DIR (0700, with parents) when missing, locks it (a second, for a prune to finish its
  // look), and picks the new backup's name: a time stamp of now (with -2, -3 ... when taken).
  // kRefused when the lock stays held, or DIR/latest is there but not a symbolic link.
  static Result<SeriesRun> Start(const std::string& dir);

  // With --resume: this run completes the newest interrupted backup of its kind in DIR (a
  // journal, no manifest) when no finished backup is newer; false when there is none.
  Result<bool> ResumeNewestInterrupted(bool cluster);

  const std::string& dir() const { return dir_; }
  std::string backup_dir() const { return dir_ + "/" + name_; }

  // Points DIR/latest at this run's backup: a new link renamed over the old one, then an fsync
  // of DIR, so `latest` is always the old backup or the new one.
  Status PublishLatest() const;

 private:
  SeriesRun(SeriesLock lock, std::string dir, std::string name)
      : lock_(std::move(lock)), dir_(std::move(dir)), name_(std::move(name)) {}

  SeriesLock lock_;
  std::string dir_;
  std::string name_;
};

}  // namespace dbb::engine
