#include "tune/recommended.h"

namespace dbb::tune {

// Defined in the generated embedded_files.cpp.
extern const char kSysctlConfText[];
extern const char kLimitsConfText[];
extern const char kUdevRulesText[];

const RecommendedFile& SysctlFile() {
  static const RecommendedFile file{"sysctl/99-dbbackup.conf", "/etc/sysctl.d/99-dbbackup.conf",
                                    kSysctlConfText};
  return file;
}

const RecommendedFile& LimitsFile() {
  static const RecommendedFile file{"limits/dbbackup.conf", "/etc/security/limits.d/dbbackup.conf",
                                    kLimitsConfText};
  return file;
}

const RecommendedFile& UdevFile() {
  static const RecommendedFile file{"udev/60-dbbackup.rules", "/etc/udev/rules.d/60-dbbackup.rules",
                                    kUdevRulesText};
  return file;
}

std::vector<const RecommendedFile*> RecommendedFiles() {
  return {&SysctlFile(), &LimitsFile(), &UdevFile()};
}

}  // namespace dbb::tune
