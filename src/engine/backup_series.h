// A target's directory of backups (`backup --target NAME`): each run writes a new time-stamped
// subdirectory, DIR/20261128T054016Z, and DIR/latest is a symbolic link to the newest complete
// one, replaced atomically only after a run succeeded. A lock on DIR (flock) keeps two runs of
// the target apart, and tells `prune` that a backup is under way there.
#pragma once

#include <ctime>
#include <string>

#include "common/status.h"
#include "io/unique_fd.h"

namespace dbb::engine {

inline constexpr const char* kLatestName = "latest";

// The subdirectory name for a backup started at `t`: UTC, ISO 8601 basic, sortable.
std::string SeriesDirName(std::time_t t);

// Holds DIR's lock for one run.
class SeriesRun {
 public:
  // Creates DIR (0700, with parents) when missing, locks it, and picks the new backup's name: a
  // time stamp of now (with -2, -3 ... when taken). kRefused when another run holds the lock.
  static Result<SeriesRun> Start(const std::string& dir);

  // With --resume: this run completes the newest interrupted backup of `kind` in DIR (one with a
  // journal and no manifest) instead of starting a new one; false when there is none.
  bool ResumeNewestInterrupted(bool cluster);

  const std::string& dir() const { return dir_; }
  std::string backup_dir() const { return dir_ + "/" + name_; }

  // Points DIR/latest at this run's backup: a new link renamed over the old one, then an fsync
  // of DIR, so `latest` is always the old backup or the new one.
  Status PublishLatest() const;

 private:
  SeriesRun(io::UniqueFd lock, std::string dir, std::string name)
      : lock_(std::move(lock)), dir_(std::move(dir)), name_(std::move(name)) {}

  io::UniqueFd lock_;
  std::string dir_;
  std::string name_;
};

// Whether a run holds DIR's lock now (false also where DIR cannot be opened or locked).
bool SeriesRunActive(const std::string& dir);

}  // namespace dbb::engine
