// `dbbackup tune --apply`: turns the audit's rows that differ into changes (audit.h, Fix), merges
// the ones that touch the same thing (one install of the limits file for two items, one remount
// for noatime and nodiratime), and makes them. A second apply finds nothing that differs, so it
// changes nothing.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "tune/audit.h"

namespace dbb::tune {

struct Change {
  Fix fix;                            // kWrite, kInstall or kRemount; value merged for remounts
  std::vector<std::string> settings;  // the rows it fixes
  std::string before;                 // the live value, "missing" or "different contents"
};

struct ApplyPlan {
  std::vector<Change> changes;  // live writes, then installs, then remounts; each in row order
  std::vector<Row> manual;      // rows that differ but are the operator's to change (the why says)
};

ApplyPlan PlanApply(const std::string& root, const std::vector<Row>& rows);

// The command a remount runs: {"mount", "-o", "remount,noatime,nodiratime", "/var/backups"}.
std::vector<std::string> RemountCommand(const Change& change);

// Makes one change under the root. A remount runs mount(8) on the real root; in a fixture root it
// rewrites the mount's options in proc/self/mountinfo, which stands in for the kernel there.
Status MakeChange(const std::string& root, const Change& change);

}  // namespace dbb::tune
