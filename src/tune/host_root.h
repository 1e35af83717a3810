// Where the host's settings are read from and written to: "/" on a real host, a fixture tree in
// tests (`dbbackup tune --root DIR`). Every path below is absolute as seen on the host
// ("/proc/sys/vm/swappiness") and is looked up under the root.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace dbb::tune {

// Whether `root` is the real host's root ("/" or "").
bool IsRealRoot(const std::string& root);

// <root><path>, with no doubled slash when root is "/".
std::string UnderRoot(const std::string& root, const std::string& path);

// <root><path> with symbolic links resolved, or "" when it does not exist or, in a fixture root,
// resolves to somewhere outside the root (an absolute link in an image tree would otherwise lead
// to the real host's /sys).
std::string ResolveUnderRoot(const std::string& root, const std::string& path);

// The whole file, or kIoError naming the host path ("/proc/sys/vm/swappiness: No such file or
// directory"); a directory in place of the file is an error too (EISDIR).
Result<std::string> ReadHostFile(const std::string& root, const std::string& path);

// The file's first line without trailing blanks; the errors of ReadHostFile.
Result<std::string> ReadHostValue(const std::string& root, const std::string& path);

// The digits that follow `key` in a /proc file read with ReadHostFile ("MemTotal:" in
// /proc/meminfo, "PPid:" in /proc/<pid>/status), or "" when the file cannot be read or has none.
std::string ReadHostNumberAfter(const std::string& root, const std::string& path,
                                const std::string& key);

// Reads a sysctl such as "vm.swappiness" from <root>/proc/sys/vm/swappiness, trimmed.
// nullopt when the file does not exist or cannot be read.
std::optional<std::string> ReadSysctl(const std::string& root, const std::string& name);

// "/proc/sys/vm/swappiness" for "vm.swappiness".
std::string SysctlPath(const std::string& name);

// Writes `value` into an existing file (a sysctl, a sysfs attribute) the way `echo value > path`
// does: no create, no truncate-and-rename. Errors name the host path. In a fixture root, a path
// that leads outside the root is refused (kRefused), as in InstallHostFile.
Status WriteHostValue(const std::string& root, const std::string& path, const std::string& value);

// Installs a configuration file: creates missing parent directories, writes a temporary file in
// the same directory, fsyncs it and renames it over `path` (mode 0644), so a reader sees the old
// file or the new one, never a part.
Status InstallHostFile(const std::string& root, const std::string& path,
                       const std::string& content);

}  // namespace dbb::tune
