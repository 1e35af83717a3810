#include "tune/audit.h"

#include <algorithm>

#include "tune/host_root.h"
#include "tune/recommended.h"

namespace dbb::tune {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kDiffers:
      return "differs";
    case Verdict::kUnknown:
      return "unknown";
    case Verdict::kOptional:
      return "optional";
  }
  return "unknown";
}

Row InstalledFileRow(const std::string& root, const RecommendedFile& file) {
  Row row{.group = "files",
          .setting = std::string(file.install_path),
          .recommended = "installed (" + std::string(file.repo_path) + ")"};
  Result<std::string> text = ReadHostFile(root, row.setting);
  if (text.ok() && text.value() == file.text) {
    row.current = "installed";
    row.verdict = Verdict::kOk;
    row.why = "the settings are applied again at every boot";
    return row;
  }
  if (!text.ok() && text.status().sys_errno() != ENOENT) {
    row.current = "unreadable";
    row.why = text.status().message();
    return row;  // kUnknown
  }
  row.current = text.ok() ? "different contents" : "missing";
  row.verdict = Verdict::kDiffers;
  row.why = std::string(text.ok() ? "edited or from another version; " : "") +
            "without it the live settings are lost at the next reboot; `dbbackup tune --apply` "
            "installs " +
            std::string(file.repo_path);
  row.fix = {.kind = Fix::Kind::kInstall, .path = row.setting, .value = std::string(file.text)};
  return row;
}

std::vector<Row> AuditHost(const AuditOptions& options) {
  std::vector<Row> rows = AuditSysctl(options.root);
  for (std::vector<Row> part :
       {AuditLimits(options.root, options.user), AuditDisk(options.root, options.dir),
        std::vector<Row>{InstalledFileRow(options.root, UdevFile())}}) {
    for (Row& row : part) rows.push_back(std::move(row));
  }
  // Whether the files are installed comes last, after the settings they keep.
  std::stable_partition(rows.begin(), rows.end(), [](const Row& r) { return r.group != "files"; });
  return rows;
}

}  // namespace dbb::tune
