// `dbbackup tune --check`: audits a host against the recommended settings (recommended.h) and
// returns one row per setting. Nothing here changes the host; apply.h turns the rows that differ
// into changes, so what --check reports and what --apply fixes are the same list.
#pragma once

#include <string>
#include <vector>

#include "tune/recommended.h"

namespace dbb::tune {

enum class Verdict {
  kOk,        // the setting is as recommended (or better)
  kDiffers,   // it is not; `why` says what it costs and how to fix it
  kUnknown,   // it could not be read; `why` says what failed
  kOptional,  // a trade-off the operator may choose (ext4 data=writeback); never a failure
};
const char* VerdictName(Verdict v);  // "ok", "differs", "unknown", "optional"

// How --apply fixes a row that differs.
struct Fix {
  enum class Kind {
    kNone,     // nothing to do, or nothing --apply may do: `why` tells the operator
    kWrite,    // write `value` into the existing file `path` (a sysctl or sysfs attribute)
    kInstall,  // install `value` as the file `path`
    kRemount,  // remount the file system at `path` adding the options in `value` ("noatime")
  };
  Kind kind = Kind::kNone;
  std::string path;  // a host path ("/proc/sys/vm/swappiness"), looked up under the root
  std::string value;
};

struct Row {
  std::string group;    // "sysctl", "limits", "disk", "mount", "files"
  std::string setting;  // "vm.swappiness", "nofile (this process)", "sda scheduler", "noatime"
  std::string current;
  std::string recommended;
  Verdict verdict = Verdict::kUnknown;
  std::string why;  // one line: what the setting does for backups and how to fix it
  Fix fix;          // kNone unless verdict is kDiffers and --apply can fix it
};

// The processes and threads (nproc) a user needs at least: audited, not installed (see
// limits/dbbackup.conf).
constexpr uint64_t kNprocMinimum = 4096;

struct AuditOptions {
  std::string root = "/";  // the host's root, or a fixture tree
  std::string dir;         // the backup directory whose disk and mount are audited; "" = skip
  std::string user;        // the user whose limits.d grants are audited
};

std::vector<Row> AuditHost(const AuditOptions& options);

// Each part of the audit (sysctl_audit.cpp, limits_audit.cpp, disk_audit.cpp). The sysctl part
// includes the row for sysctl/99-dbbackup.conf; AuditHost adds the one for the udev rule.
std::vector<Row> AuditSysctl(const std::string& root);
std::vector<Row> AuditLimits(const std::string& root, const std::string& user);
std::vector<Row> AuditDisk(const std::string& root, const std::string& dir);
// Whether a recommended file is installed unchanged (group "files"); kInstall when not.
Row InstalledFileRow(const std::string& root, const RecommendedFile& file);

}  // namespace dbb::tune
