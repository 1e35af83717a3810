#include "support/synthetic_backups.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>

#include "common/utc_time.h"
#include "engine/manifest.h"
#include "engine/prune.h"

namespace dbb::testing {

namespace fs = std::filesystem;

namespace {
constexpr int64_t kDay = 24 * 3600;
}  // namespace

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

std::string DaysAgo(double days) {
  return FormatUtcTime(Now() - static_cast<int64_t>(days * kDay));
}

void WriteFile(const std::string& path, const std::string& contents) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << contents;
}

void SetTreeMtime(const std::string& path, int64_t t) {
  const timespec times[2] = {{.tv_sec = t, .tv_nsec = 0}, {.tv_sec = t, .tv_nsec = 0}};
  for (const auto& e : fs::recursive_directory_iterator(path)) {
    ASSERT_EQ(::utimensat(AT_FDCWD, e.path().c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << e.path();
  }
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
}

void MakeSingle(const std::string& dir, double days) {
  WriteFile(dir + "/data/00001.public.t.gz", std::string(1000, 'x'));
  engine::Manifest m;
  m.complete = true;
  m.database = "shop";
  m.started_at = DaysAgo(days);
  m.finished_at = m.started_at;
  ASSERT_TRUE(engine::WriteManifest(dir, m).ok());
  SetTreeMtime(dir, Now() - static_cast<int64_t>((days - 1) * kDay));
}

void MakeIncomplete(const std::string& dir, const std::string& journal, int64_t idle_s) {
  WriteFile(dir + "/" + journal, "{\"journal\": 1}\n");
  WriteFile(dir + "/data/00001.public.t.gz.partial", std::string(500, 'y'));
  SetTreeMtime(dir, Now() - idle_s);
}

std::set<std::string> Entries(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename());
  return out;
}

}  // namespace dbb::testing
