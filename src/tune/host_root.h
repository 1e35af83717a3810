// Where the host's settings are read from: "/" on a real host, a fixture tree in tests.
#pragma once

#include <optional>
#include <string>

namespace dbb::tune {

// Reads a sysctl such as "vm.swappiness" from <root>/proc/sys/vm/swappiness, trimmed.
// nullopt when the file does not exist or cannot be read.
std::optional<std::string> ReadSysctl(const std::string& root, const std::string& name);

}  // namespace dbb::tune
