#include "tune/audit.h"

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

std::vector<Row> AuditFiles(const std::string& root) {
  std::vector<Row> rows;
  for (const RecommendedFile* file : RecommendedFiles()) {
    Row row{.group = "files",
            .setting = std::string(file->install_path),
            .recommended = "installed (" + std::string(file->repo_path) + ")"};
    Result<std::string> text = ReadHostFile(root, row.setting);
    if (text.ok() && text.value() == file->text) {
      row.current = "installed";
      row.verdict = Verdict::kOk;
      row.why = "the settings persist across reboots";
    } else {
      row.current = text.ok() ? "different contents" : "missing";
      if (!text.ok() && text.status().sys_errno() != ENOENT) {
        row.current = "unreadable";
        row.verdict = Verdict::kUnknown;
        row.why = text.status().message();
        rows.push_back(std::move(row));
        continue;
      }
      row.verdict = Verdict::kDiffers;
      row.why =
          "without it the settings are lost at the next reboot; `dbbackup tune --apply` "
          "installs it";
      row.fix = {
          .kind = Fix::Kind::kInstall, .path = row.setting, .value = std::string(file->text)};
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<Row> AuditHost(const AuditOptions& options) {
  std::vector<Row> rows = AuditSysctl(options.root);
  for (std::vector<Row> part : {AuditLimits(options.root, options.user),
                                AuditDisk(options.root, options.dir), AuditFiles(options.root)}) {
    for (Row& row : part) rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace dbb::tune
