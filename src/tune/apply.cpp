#include "tune/apply.h"

#include <algorithm>

#include "common/subprocess.h"
#include "tune/host_root.h"
#include "tune/mountinfo.h"

namespace dbb::tune {

ApplyPlan PlanApply(const std::string& root, const std::vector<Row>& rows) {
  ApplyPlan plan;
  for (const Row& row : rows) {
    if (row.verdict != Verdict::kDiffers) continue;
    if (row.fix.kind == Fix::Kind::kNone) {
      plan.manual.push_back(row);
      continue;
    }
    auto same = std::find_if(plan.changes.begin(), plan.changes.end(), [&](const Change& c) {
      return c.fix.kind == row.fix.kind && c.fix.path == row.fix.path;
    });
    if (same == plan.changes.end()) {
      Change change{.fix = row.fix, .settings = {row.setting}, .before = row.current};
      if (row.fix.kind == Fix::Kind::kInstall) {
        change.before = ReadHostFile(root, row.fix.path).ok() ? "different contents" : "missing";
      }
      plan.changes.push_back(std::move(change));
    } else {
      same->settings.push_back(row.setting);
      if (row.fix.kind == Fix::Kind::kRemount) same->fix.value += "," + row.fix.value;
    }
  }
  // Live values first, then the files that keep them, then the remount.
  std::stable_sort(plan.changes.begin(), plan.changes.end(),
                   [](const Change& a, const Change& b) { return a.fix.kind < b.fix.kind; });
  return plan;
}

std::vector<std::string> RemountCommand(const Change& change) {
  return {"mount", "-o", "remount," + change.fix.value, change.fix.path};
}

Status MakeChange(const std::string& root, const Change& change) {
  switch (change.fix.kind) {
    case Fix::Kind::kWrite:
      return WriteHostValue(root, change.fix.path, change.fix.value);
    case Fix::Kind::kInstall:
      return InstallHostFile(root, change.fix.path, change.fix.value);
    case Fix::Kind::kRemount:
      break;
    case Fix::Kind::kNone:
      return Status::Ok();
  }
  if (!IsRealRoot(root)) {
    Result<std::vector<MountEntry>> mounts = ReadMountInfo(root);
    if (!mounts.ok()) return mounts.status();
    const MountEntry* m = FindMount(mounts.value(), change.fix.path);
    if (m == nullptr) return Status(StatusCode::kIoError, "no mount at " + change.fix.path);
    return AddMountOptionsInFixture(root, m->line, change.fix.value);
  }
  Result<ProcessResult> run = RunProcess({.argv = RemountCommand(change)});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    std::string err = run->stderr_text;
    while (!err.empty() && err.back() == '\n') err.pop_back();
    return Status(StatusCode::kIoError, "mount -o remount," + change.fix.value + " " +
                                            change.fix.path + " failed: " + err);
  }
  return Status::Ok();
}

}  // namespace dbb::tune
