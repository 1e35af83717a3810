#include "tune/host_root.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace dbb::tune {

std::optional<std::string> ReadSysctl(const std::string& root, const std::string& name) {
  std::string rel = name;
  std::replace(rel.begin(), rel.end(), '.', '/');
  std::ifstream in(root + "/proc/sys/" + rel);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string value = ss.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

}  // namespace dbb::tune
