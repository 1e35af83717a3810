// Retention (`dbbackup prune`): which backups in a directory a --keep-last / --keep-days policy
// no longer keeps, and their removal.
//
// Backups are found by what they hold, never by their names: each subdirectory of DIR with
// manifest.json (single database) or cluster.json (cluster) is a finished backup, one with
// backup.journal or cluster.journal but no manifest an incomplete one (interrupted, or still
// running). Anything else is not a backup and is never touched; symbolic links are never
// followed (DIR/latest, which `backup --target` points at the newest complete backup, is only
// read to know its target). Nothing is deleted that cannot be read: a manifest that does not
// read (damaged, or of a newer format) keeps its backup.
//
// The rules (PlanPrune), safest first:
//   - with no complete backup in DIR, nothing is deleted;
//   - the newest complete backup, and the one DIR/latest points to, are always kept;
//   - complete backups (ordered by their manifest's started_at) are kept when among the newest
//     keep_last or younger than keep_days, deleted otherwise;
//   - partial cluster backups (some databases missing) are kept when not older than the oldest
//     complete backup kept: they may hold the only copy of the databases they have;
//   - incomplete backups are kept while their last activity (the newest mtime in their tree) is
//     within the grace period, and all of them while a `backup --target` run holds DIR's lock: a
//     backup may be running there;
//   - damaged entries and directories that are not backups are never deleted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace dbb::engine {

inline constexpr int64_t kDefaultPruneGrace_s = 24 * 3600;
// What RemoveBackup renames the manifest (or journal) to before it deletes the rest: a removal
// cut short leaves a directory that is finished later, never one that looks complete.
inline constexpr const char* kRemovingName = "prune.removing";

enum class BackupKind { kSingle, kCluster };
const char* BackupKindName(BackupKind kind);  // "single", "cluster"

enum class BackupState {
  kComplete,    // a manifest that reads (cluster: no database missing)
  kPartial,     // a cluster backup that finished with some databases missing
  kIncomplete,  // a journal and no manifest: interrupted, or still running
  kDamaged,     // a manifest that does not read, or a tree that cannot be read: never deleted
  kNotABackup,  // neither manifest nor journal, or a symbolic link: never touched
};
const char* BackupStateName(BackupState state);  // "complete", ..., "not a backup"

// One entry of DIR.
struct ScannedBackup {
  std::string name;  // in DIR
  std::string path;  // DIR/name
  BackupKind kind = BackupKind::kSingle;
  BackupState state = BackupState::kNotABackup;
  std::string started_at;  // complete and partial: the manifest's (UTC, ISO 8601)
  // Unix seconds: complete and partial, started_at; otherwise the last activity (the newest
  // mtime of anything in the tree, the directory included).
  int64_t time_s = 0;
  uint64_t bytes = 0;   // of the regular files in the tree
  std::string problem;  // damaged, not a backup: why
};

struct BackupScan {
  std::string dir;
  std::vector<ScannedBackup> backups;  // every subdirectory and symbolic link, by name
  std::string latest;                  // the entry DIR/latest points to; "" when none
  bool run_active = false;  // a `backup --target` run holds DIR's lock (the caller sets it)
};

// Classifies each entry of `dir`. Refused (kRefused, naming the fix) when `dir` itself is a
// backup (holds a manifest or a journal); kIoError "DIR: No such file or directory" and the like
// when it cannot be read.
Result<BackupScan> ScanBackups(const std::string& dir);

struct RetentionPolicy {
  std::optional<int> keep_last;     // >= 1
  std::optional<double> keep_days;  // >= 0
  int64_t grace_s = kDefaultPruneGrace_s;
};

struct PruneDecision {
  bool remove = false;
  std::string reason;  // "one of the newest 7", "incomplete, active 3 min ago: may be running..."
};

// One decision per entry of scan.backups, in its order. Pure (`now_s`: the Unix time to judge
// ages by). The policy keeps something: keep_last or keep_days is set (checked).
std::vector<PruneDecision> PlanPrune(const BackupScan& scan, const RetentionPolicy& policy,
                                     int64_t now_s);

// The first step of RemoveBackup: renames the manifest (or the journal) to kRemovingName and
// syncs the directory, so that from here on the backup can never be taken for a complete one,
// and a removal cut short is finished by a later prune (as an incomplete backup, after the grace
// period).
Status UnmarkBackup(const ScannedBackup& backup);

// Removes a complete, partial or incomplete backup: UnmarkBackup, then the whole tree (symbolic
// links inside are removed, never followed). An incomplete backup is looked at again first and
// kept (kRefused) when it was active since `backup.time_s`: a run may have resumed it.
// Errors name the path.
Status RemoveBackup(const ScannedBackup& backup);

// A duration for people: "45 s", "3 min", "5 h", "3 days" (the largest unit that gives >= 2,
// hours up to 48 h).
std::string FormatAge(int64_t seconds);

}  // namespace dbb::engine
