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

// Fields separated by single spaces: a field's own spaces are escaped, and a field may be empty
// (a mount whose source is "" prints as "- tmpfs  rw").
std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t pos = 0;
  for (size_t sp; (sp = line.find(' ', pos)) != std::string::npos; pos = sp + 1) {
    fields.push_back(line.substr(pos, sp - pos));
  }
  fields.push_back(line.substr(pos));
  return fields;
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
    // id parent major:minor root mount-point options [optional fields...] - type source super
    const std::vector<std::string> w = Fields(lines[i]);
    size_t dash = 6;
    while (dash < w.size() && w[dash] != "-") ++dash;
    if (dash + 3 >= w.size()) continue;  // not a mount line; the others still count
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
  std::vector<std::string> w = Fields(lines[line - 1]);
  if (w.size() < 6) return Status(StatusCode::kInternal, "not a mount line: " + lines[line - 1]);
  w[5] += "," + added;
  std::string joined, out;
  for (size_t i = 0; i < w.size(); ++i) joined += (i == 0 ? "" : " ") + w[i];
  lines[line - 1] = joined;
  for (const std::string& l : lines) out += l + "\n";
  return InstallHostFile(root, kMountInfo, out);
}

}  // namespace dbb::tune
