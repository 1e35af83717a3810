#include "tune/mountinfo.h"

#include <sstream>

#include "tune/host_root.h"

namespace dbb::tune {
namespace {

constexpr const char* kMountInfo = "/proc/self/mountinfo";

// "\040" -> " ": mountinfo escapes space, tab, newline and backslash in octal.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool octal = s[i] == '\\' && i + 3 < s.size() &&
                       s.substr(i + 1, 3).find_first_not_of("01234567") == std::string::npos;
    if (octal) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

Result<std::vector<MountEntry>> ReadMountInfo(const std::string& root) {
  Result<std::string> text = ReadHostFile(root, kMountInfo);
  if (!text.ok()) return text.status();
  std::vector<MountEntry> mounts;
  const std::vector<std::string> lines = Lines(text.value());
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    // id parent major:minor root mount-point options [optional fields...] - type source super
    const std::vector<std::string> w = Words(lines[i]);
    size_t dash = 6;
    while (dash < w.size() && w[dash] != "-") ++dash;
    if (w.size() < 7 || dash + 3 >= w.size()) {
      return Status(StatusCode::kCorrupt, std::string(kMountInfo) + " line " +
                                              std::to_string(i + 1) +
                                              " does not parse: " + lines[i]);
    }
    mounts.push_back({.dev = w[2],
                      .mount_point = Unescape(w[4]),
                      .options = w[5],
                      .fs_type = w[dash + 1],
                      .source = Unescape(w[dash + 2]),
                      .super_options = w[dash + 3],
                      .line = i + 1});
  }
  return mounts;
}

const MountEntry* FindMount(const std::vector<MountEntry>& mounts, const std::string& path) {
  const MountEntry* best = nullptr;
  for (const MountEntry& m : mounts) {
    const std::string& mp = m.mount_point;
    const bool holds =
        mp == "/" || path == mp ||
        (path.size() > mp.size() && path.compare(0, mp.size(), mp) == 0 && path[mp.size()] == '/');
    if (holds && (best == nullptr || mp.size() >= best->mount_point.size())) best = &m;
  }
  return best;
}

bool HasOption(const std::string& options, const std::string& option) {
  std::istringstream in(options);
  for (std::string o; std::getline(in, o, ',');) {
    if (o == option) return true;
  }
  return false;
}

Status AddMountOptionsInFixture(const std::string& root, size_t line, const std::string& added) {
  Result<std::string> text = ReadHostFile(root, kMountInfo);
  if (!text.ok()) return text.status();
  std::vector<std::string> lines = Lines(text.value());
  if (line == 0 || line > lines.size()) {
    return Status(StatusCode::kInternal,
                  std::string(kMountInfo) + " has no line " + std::to_string(line));
  }
  std::vector<std::string> w = Words(lines[line - 1]);
  w[5] += "," + added;
  std::string joined, out;
  for (const std::string& word : w) joined += (joined.empty() ? "" : " ") + word;
  lines[line - 1] = joined;
  for (const std::string& l : lines) out += l + "\n";
  return InstallHostFile(root, kMountInfo, out);
}

}  // namespace dbb::tune
