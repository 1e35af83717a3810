// The recommended host settings: the repository's sysctl/99-dbbackup.conf, limits/dbbackup.conf
// and udev/60-dbbackup.rules, compiled in (embed_files.cmake). `tune --check` takes the values it
// expects from these texts and `tune --apply` installs them unchanged.
#pragma once

#include <string_view>
#include <vector>

namespace dbb::tune {

struct RecommendedFile {
  std::string_view repo_path;     // "sysctl/99-dbbackup.conf"
  std::string_view install_path;  // "/etc/sysctl.d/99-dbbackup.conf"
  std::string_view text;          // the file, byte for byte
};

const RecommendedFile& SysctlFile();
const RecommendedFile& LimitsFile();
const RecommendedFile& UdevFile();
// The three, in the order they are audited and installed.
std::vector<const RecommendedFile*> RecommendedFiles();

}  // namespace dbb::tune
