#include "engine/prune.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>

#include "common/check.h"
#include "common/utc_time.h"
#include "engine/backup_series.h"
#include "engine/cluster_backup.h"
#include "engine/cluster_manifest.h"
#include "engine/journal.h"
#include "engine/manifest.h"
#include "io/small_file.h"

namespace dbb::engine {
namespace {

constexpr int64_t kDay_s = 24 * 3600;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

struct TreeStats {
  int64_t newest_mtime_s = 0;
  uint64_t bytes = 0;
};

void Add(const struct stat& st, TreeStats* stats) {
  stats->newest_mtime_s = std::max<int64_t>(stats->newest_mtime_s, st.st_mtim.tv_sec);
  if (S_ISREG(st.st_mode)) stats->bytes += static_cast<uint64_t>(st.st_size);
}

// Adds everything under the directory `path` (not the directory itself), without following
// symbolic links. Entries that vanish meanwhile are skipped: a running backup renames its files.
Status WalkTree(const std::string& path, TreeStats* stats) {
  const std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(path.c_str()), ::closedir);
  if (!d) return errno == ENOENT ? Status::Ok() : Status::FromErrno(errno, "open " + path);
  errno = 0;
  while (const dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) return Status::FromErrno(errno, "stat " + path + "/" + name);
      continue;
    }
    Add(st, stats);
    if (S_ISDIR(st.st_mode)) DBB_RETURN_IF_ERROR(WalkTree(path + "/" + name, stats));
    errno = 0;
  }
  if (errno != 0) return Status::FromErrno(errno, "read directory " + path);
  return Status::Ok();
}

// The tree of the directory `path` whose own stat is `st`.
Result<TreeStats> StatTree(const std::string& path, const struct stat& st) {
  TreeStats stats;
  Add(st, &stats);
  DBB_RETURN_IF_ERROR(WalkTree(path, &stats));
  return stats;
}

void MarkDamaged(ScannedBackup* b, const std::string& problem) {
  b->state = BackupState::kDamaged;
  b->problem = problem;
}

// A finished backup: its time is when it started (not the files' mtimes, which copies change).
void SetFinished(ScannedBackup* b, const std::string& started_at, BackupState state) {
  const std::optional<int64_t> t = ParseUtcTime(started_at);
  if (!t) return MarkDamaged(b, "its manifest's started_at '" + started_at + "' is not a UTC time");
  b->state = state;
  b->started_at = started_at;
  b->time_s = *t;
}

// What the directory b->path holds, by its manifest or journal.
void ClassifyContents(ScannedBackup* b) {
  const std::string& p = b->path;
  if (Exists(p + "/" + kClusterManifestName)) {
    b->kind = BackupKind::kCluster;
    auto m = ReadClusterManifest(p);
    if (!m.ok()) return MarkDamaged(b, m.status().message());
    return SetFinished(b, m->started_at,
                       m->partial() ? BackupState::kPartial : BackupState::kComplete);
  }
  if (Exists(p + "/" + kManifestName)) {
    auto m = ReadManifest(p);
    if (!m.ok()) return MarkDamaged(b, m.status().message());
    if (!m->complete) return MarkDamaged(b, "its manifest.json says it is not complete");
    return SetFinished(b, m->started_at, BackupState::kComplete);
  }
  // A removal cut short (RemoveBackup renamed the manifest or journal to this first): finished
  // as an incomplete backup idle since then.
  if (Exists(p + "/" + kRemovingName)) {
    b->state = BackupState::kIncomplete;
    b->problem = "a removal that was cut short";
    return;
  }
  if (Exists(p + "/" + kClusterJournalName) || Exists(p + "/" + kJournalName)) {
    b->kind = Exists(p + "/" + kClusterJournalName) ? BackupKind::kCluster : BackupKind::kSingle;
    b->state = BackupState::kIncomplete;
    return;
  }
  b->state = BackupState::kNotABackup;
  b->problem = "no manifest.json, cluster.json or journal";
}

// The entry `name` of `dir`; nullopt for what is neither a directory nor a symbolic link (plain
// files next to the backups: logs, metrics) or vanished meanwhile.
std::optional<ScannedBackup> Classify(const std::string& dir, const std::string& name,
                                      const struct stat* latest_target, bool* is_latest) {
  ScannedBackup b{.name = name, .path = dir + "/" + name};
  struct stat st {};
  if (::lstat(b.path.c_str(), &st) != 0) return std::nullopt;
  if (S_ISLNK(st.st_mode)) {
    b.problem = "a symbolic link";
    return b;
  }
  if (!S_ISDIR(st.st_mode)) return std::nullopt;
  *is_latest = latest_target != nullptr && latest_target->st_dev == st.st_dev &&
               latest_target->st_ino == st.st_ino;
  auto tree = StatTree(b.path, st);
  if (tree.ok()) {
    b.time_s = tree->newest_mtime_s;
    b.bytes = tree->bytes;
  }
  ClassifyContents(&b);
  // What cannot be looked at whole is not deleted: its last activity and size are not known.
  if (!tree.ok()) MarkDamaged(&b, tree.status().message());
  return b;
}

// Refuses a DIR that is a backup itself, or the databases/ of a cluster backup: its files would
// be taken for entries to judge.
Status CheckNotABackup(const std::string& dir) {
  for (const char* marker :
       {kManifestName, kClusterManifestName, kJournalName, kClusterJournalName}) {
    if (Exists(dir + "/" + marker)) {
      return Status(StatusCode::kRefused, dir + " is a backup itself (it holds " + marker +
                                              "): give the directory that holds the backups");
    }
  }
  const std::string parent = std::filesystem::path(dir).parent_path().string();
  for (const char* marker : {kClusterManifestName, kClusterJournalName}) {
    if (Exists(parent + "/" + marker)) {
      return Status(StatusCode::kRefused, dir + " is inside the cluster backup " + parent +
                                              ": give the directory that holds the backups");
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ListNames(DIR* d, const std::string& dir) {
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  if (errno != 0) return Status::FromErrno(errno, "read the directory " + dir);
  std::sort(names.begin(), names.end());
  return names;
}

PruneDecision Keep(std::string reason) { return {.remove = false, .reason = std::move(reason)}; }
PruneDecision Delete(std::string reason) { return {.remove = true, .reason = std::move(reason)}; }

std::string Days(double days) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g day%s", days, days == 1 ? "" : "s");
  return buf;
}

bool YoungerThanKeepDays(const ScannedBackup& b, const RetentionPolicy& p, int64_t now_s) {
  return p.keep_days && static_cast<double>(now_s - b.time_s) < *p.keep_days * kDay_s;
}

// The complete backup that is the rank-th newest (from 0).
PruneDecision JudgeComplete(const ScannedBackup& b, size_t rank, const RetentionPolicy& p,
                            int64_t now_s, const std::string& latest) {
  if (rank == 0) return Keep("newest complete backup: always kept");
  if (b.name == latest) return Keep("pointed to by latest");
  if (p.keep_last && rank < static_cast<size_t>(*p.keep_last)) {
    return Keep("one of the newest " + std::to_string(*p.keep_last));
  }
  if (YoungerThanKeepDays(b, p, now_s)) return Keep("younger than " + Days(*p.keep_days));
  std::string why;
  if (p.keep_last) why = "not one of the newest " + std::to_string(*p.keep_last);
  if (p.keep_days) why += (why.empty() ? "" : ", ") + ("older than " + Days(*p.keep_days));
  return Delete(why);
}

PruneDecision JudgeIncomplete(const ScannedBackup& b, const RetentionPolicy& p, int64_t now_s,
                              bool run_active) {
  if (run_active) return Keep("incomplete, and a backup run holds the directory's lock");
  const int64_t idle_s = std::max<int64_t>(0, now_s - b.time_s);
  const std::string grace = " (grace " + FormatAge(p.grace_s) + ")";
  if (idle_s < p.grace_s) {
    return Keep("incomplete, active " + FormatAge(idle_s) + " ago: may be running" + grace);
  }
  return Delete("incomplete, idle for " + FormatAge(idle_s) + grace + ": interrupted");
}

// Damaged and not-a-backup entries: never deleted, whatever the policy.
PruneDecision Untouchable(const ScannedBackup& b) {
  if (b.state == BackupState::kDamaged) return Keep("damaged: " + b.problem + ": never deleted");
  return Keep("not a backup (" + b.problem + "): never touched");
}

// Complete backups, newest first (a tie in started_at broken by name, for a stable order).
std::vector<size_t> CompleteNewestFirst(const std::vector<ScannedBackup>& backups) {
  std::vector<size_t> order;
  for (size_t i = 0; i < backups.size(); ++i) {
    if (backups[i].state == BackupState::kComplete) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const ScannedBackup& x = backups[a];
    const ScannedBackup& y = backups[b];
    return x.time_s != y.time_s ? x.time_s > y.time_s : x.name > y.name;
  });
  return order;
}

}  // namespace

const char* BackupKindName(BackupKind kind) {
  return kind == BackupKind::kCluster ? "cluster" : "single";
}

const char* BackupStateName(BackupState state) {
  switch (state) {
    case BackupState::kComplete:
      return "complete";
    case BackupState::kPartial:
      return "partial";
    case BackupState::kIncomplete:
      return "incomplete";
    case BackupState::kDamaged:
      return "damaged";
    case BackupState::kNotABackup:
      return "not a backup";
  }
  return "?";
}

Result<BackupScan> ScanBackups(const std::string& dir_as_given) {
  const std::string dir = io::TrimTrailingSlashes(dir_as_given);
  const std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return Status::FromErrno(errno, dir);
  DBB_RETURN_IF_ERROR(CheckNotABackup(dir));
  struct stat latest_st {};
  const bool has_latest = ::stat((dir + "/" + kLatestName).c_str(), &latest_st) == 0;
  BackupScan scan{.dir = dir};
  auto names = ListNames(d.get(), dir);
  if (!names.ok()) return names.status();
  for (const std::string& name : names.value()) {
    bool is_latest = false;
    auto b = Classify(dir, name, has_latest ? &latest_st : nullptr, &is_latest);
    if (!b) continue;
    if (is_latest) scan.latest = name;
    scan.backups.push_back(std::move(*b));
  }
  return scan;
}

std::vector<PruneDecision> PlanPrune(const BackupScan& scan, const RetentionPolicy& policy,
                                     int64_t now_s) {
  const std::vector<ScannedBackup>& backups = scan.backups;
  const std::string& latest = scan.latest;
  DBB_CHECK_MSG(policy.keep_last || policy.keep_days, "a retention policy keeps something");
  DBB_CHECK(!policy.keep_last || *policy.keep_last >= 1);
  std::vector<PruneDecision> out(backups.size());
  const std::vector<size_t> complete = CompleteNewestFirst(backups);
  int64_t oldest_kept_s = std::numeric_limits<int64_t>::max();
  for (size_t rank = 0; rank < complete.size(); ++rank) {
    const ScannedBackup& b = backups[complete[rank]];
    out[complete[rank]] = JudgeComplete(b, rank, policy, now_s, latest);
    if (!out[complete[rank]].remove) oldest_kept_s = std::min(oldest_kept_s, b.time_s);
  }
  for (size_t i = 0; i < backups.size(); ++i) {
    const ScannedBackup& b = backups[i];
    if (b.state == BackupState::kComplete) continue;
    if (b.state == BackupState::kDamaged || b.state == BackupState::kNotABackup) {
      out[i] = Untouchable(b);
    } else if (complete.empty()) {
      out[i] = Keep("no complete backup in the directory: nothing is deleted");
    } else if (b.name == latest) {
      out[i] = Keep("pointed to by latest");
    } else if (b.state == BackupState::kPartial) {
      out[i] = b.time_s >= oldest_kept_s
                   ? Keep("partial, not older than the oldest complete backup kept")
                   : Delete("partial, older than the oldest complete backup kept");
    } else {
      out[i] = JudgeIncomplete(b, policy, now_s, scan.run_active);
    }
  }
  return out;
}

Status UnmarkBackup(const ScannedBackup& backup) {
  const bool cluster = backup.kind == BackupKind::kCluster;
  const char* mark = backup.state != BackupState::kIncomplete
                         ? (cluster ? kClusterManifestName : kManifestName)
                         : (cluster ? kClusterJournalName : kJournalName);
  const std::string from = backup.path + "/" + mark;
  const std::string to = backup.path + "/" + kRemovingName;
  if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
    return Status::FromErrno(errno, "rename " + from + " to " + kRemovingName);
  }
  return io::FsyncDir(backup.path);
}

Status RemoveBackup(const ScannedBackup& backup) {
  const BackupState s = backup.state;
  DBB_CHECK_MSG(
      s == BackupState::kComplete || s == BackupState::kPartial || s == BackupState::kIncomplete,
      "only backups are removed");
  struct stat st {};
  if (::lstat(backup.path.c_str(), &st) != 0) return Status::FromErrno(errno, backup.path);
  if (!S_ISDIR(st.st_mode)) {
    return Status(StatusCode::kRefused, backup.path + ": no longer a directory: not removed");
  }
  if (s == BackupState::kIncomplete) {
    auto tree = StatTree(backup.path, st);
    if (!tree.ok()) return tree.status();
    if (tree->newest_mtime_s > backup.time_s) {
      return Status(StatusCode::kRefused,
                    backup.path +
                        ": active again since it was looked at (a backup may have "
                        "resumed there): not removed");
    }
  }
  DBB_RETURN_IF_ERROR(UnmarkBackup(backup));
  std::error_code ec;
  std::filesystem::remove_all(backup.path, ec);
  if (ec)
    return Status(StatusCode::kIoError, "remove " + backup.path + ": " + ec.message(), ec.value());
  return Status::Ok();
}

std::string FormatAge(int64_t seconds) {
  if (seconds < 120) return std::to_string(seconds) + " s";
  if (seconds < 120 * 60) return std::to_string(seconds / 60) + " min";
  if (seconds < 48 * 3600) return std::to_string(seconds / 3600) + " h";
  return std::to_string(seconds / kDay_s) + " days";
}

}  // namespace dbb::engine
