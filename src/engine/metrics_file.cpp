#include "engine/metrics_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <thread>
#include <tuple>

#include "common/check.h"
#include "common/log.h"
#include "io/small_file.h"
#include "io/unique_fd.h"

namespace dbb::engine {
namespace {

// A metrics file is a few hundred bytes per database; anything this large is not ours.
constexpr uint64_t kMaxExistingBytes = 16ull << 20;
// A temp file this old belongs to a writer that died (a live one holds its temp for the
// milliseconds of write + fsync + rename).
constexpr time_t kStaleTempAge_s = 600;

constexpr const char* kLastSuccess = "dbbackup_last_success_timestamp_seconds";

struct FamilyInfo {
  const char* name;
  const char* help;
};

// Sorted by name: the order of the file.
constexpr FamilyInfo kFamilies[] = {
    {"dbbackup_last_run_compression_ratio",
     "Raw data bytes divided by stored bytes of the last run (0 when nothing was stored)."},
    {"dbbackup_last_run_cpu_seconds", "User plus system CPU time of the last run's process."},
    {"dbbackup_last_run_duration_seconds", "Wall-clock duration of the last run."},
    {"dbbackup_last_run_errors",
     "Failures of the last run; for a successful run, the problems it recovered from."},
    {"dbbackup_last_run_peak_memory_bytes", "Peak resident set size of the last run's process."},
    {"dbbackup_last_run_raw_bytes", "Data bytes (COPY streams, large objects) of the last run."},
    {"dbbackup_last_run_stored_bytes", "Bytes of the backup's files in the last run."},
    {"dbbackup_last_run_success", "1 when the last run succeeded, 0 when it failed."},
    {"dbbackup_last_run_timestamp_seconds", "Unix time at which the last run ended."},
    {kLastSuccess, "Unix time at which the last successful run ended."},
};

const FamilyInfo* FindFamily(std::string_view name) {
  for (const FamilyInfo& f : kFamilies) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

// One series: (family, command, database), its labels unescaped. The map's order is the file's.
using SeriesKey = std::tuple<std::string, std::string, std::string>;
using SeriesMap = std::map<SeriesKey, std::string>;  // the value as it is written

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), 0 when there is none.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F)) return 0;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) > 0x8F)) return 0;
    return 4;
  }
  return 0;
}

bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8Length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Label values must be UTF-8 (Prometheus rejects the whole file otherwise); a database name in
// another encoding keeps its ASCII and gets U+FFFD for each byte that is not UTF-8.
std::string ToUtf8(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string EscapeLabelValue(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Shortest text that reads back as the same double; Prometheus' names for the special values.
std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  DBB_CHECK(r.ec == std::errc());
  return std::string(buf, r.ptr);
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

void SkipBlanks(std::string_view& in) {
  while (!in.empty() && IsBlank(in.front())) in.remove_prefix(1);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A sample value as Prometheus reads it (Go's ParseFloat), restricted to what a writer of this
// format produces: decimal with optional fraction and exponent, NaN, +Inf, -Inf.
bool IsValueText(std::string_view v) {
  if (v == "NaN" || v == "+Inf" || v == "-Inf") return true;
  size_t i = 0;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
  size_t digits = 0;
  while (i < v.size() && IsDigit(v[i])) ++i, ++digits;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && IsDigit(v[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    const size_t exp_start = i;
    while (i < v.size() && IsDigit(v[i])) ++i;
    if (i == exp_start) return false;
  }
  return i == v.size();
}

// `"..."` at the start of `in`, unescaped into `out`; false for a bad escape, a missing quote or
// text that is not UTF-8.
bool ReadQuoted(std::string_view& in, std::string* out) {
  if (in.empty() || in.front() != '"') return false;
  in.remove_prefix(1);
  out->clear();
  while (!in.empty() && in.front() != '"') {
    char c = in.front();
    in.remove_prefix(1);
    if (c == '\n') return false;
    if (c == '\\') {
      if (in.empty()) return false;
      const char e = in.front();
      in.remove_prefix(1);
      if (e == 'n') {
        c = '\n';
      } else if (e == '\\' || e == '"') {
        c = e;
      } else {
        return false;
      }
    }
    *out += c;
  }
  if (in.empty()) return false;
  in.remove_prefix(1);
  return IsUtf8(*out);
}

// `{command="...",database="..."}` (either order, optional blanks and trailing comma, no other
// label) at the start of `in`.
bool ReadOurLabels(std::string_view& in, std::string* command, std::string* database) {
  if (in.empty() || in.front() != '{') return false;
  in.remove_prefix(1);
  bool have_command = false;
  bool have_database = false;
  for (;;) {
    SkipBlanks(in);
    if (!in.empty() && in.front() == '}') break;
    const size_t eq = in.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view name = in.substr(0, eq);
    while (!name.empty() && IsBlank(name.back())) name.remove_suffix(1);
    in.remove_prefix(eq + 1);
    SkipBlanks(in);
    bool* seen = name == "command" ? &have_command : name == "database" ? &have_database : nullptr;
    if (seen == nullptr || *seen) return false;
    *seen = true;
    if (!ReadQuoted(in, name == "command" ? command : database)) return false;
    SkipBlanks(in);
    if (!in.empty() && in.front() == ',')
      in.remove_prefix(1);
    else if (in.empty() || in.front() != '}')
      return false;
  }
  in.remove_prefix(1);
  return have_command && have_database;
}

// One sample line of ours: a family we write, our two labels, a value, no timestamp (the
// textfile collector refuses timestamps).
bool ParseOurSample(std::string_view line, SeriesKey* key, std::string* value) {
  const size_t brace = line.find('{');
  if (brace == std::string_view::npos) return false;
  std::string_view name = line.substr(0, brace);
  while (!name.empty() && IsBlank(name.back())) name.remove_suffix(1);
  if (FindFamily(name) == nullptr) return false;
  std::string_view rest = line.substr(brace);
  std::string command;
  std::string database;
  if (!ReadOurLabels(rest, &command, &database)) return false;
  if (rest.empty() || !IsBlank(rest.front())) return false;
  SkipBlanks(rest);
  while (!rest.empty() && IsBlank(rest.back())) rest.remove_suffix(1);
  if (!IsValueText(rest)) return false;
  *key = {std::string(name), std::move(command), std::move(database)};
  *value = std::string(rest);
  return true;
}

// The samples of ours in an old file; `dropped` counts the other non-comment lines.
SeriesMap ParseExisting(std::string_view text, int* dropped) {
  SeriesMap series;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    // A last line without its newline was cut short: dropped like any other broken line.
    const bool complete = nl != std::string_view::npos;
    std::string_view line = text.substr(0, complete ? nl : text.size());
    text.remove_prefix(complete ? nl + 1 : text.size());
    SkipBlanks(line);
    if (line.empty() || line.front() == '#') continue;
    SeriesKey key;
    std::string value;
    if (complete && ParseOurSample(line, &key, &value)) {
      series[std::move(key)] = std::move(value);
    } else {
      ++*dropped;
    }
  }
  return series;
}

void EraseRunSeries(SeriesMap* series, const std::string& command, const std::string& database) {
  for (const FamilyInfo& f : kFamilies) series->erase(SeriesKey{f.name, command, database});
}

// Replaces the pair's series with those of `run`, as if each run were written by its own call.
void ApplyRun(SeriesMap* series, const std::string& command, const DatabaseRunMetrics& run) {
  const std::string database = ToUtf8(run.database);
  const auto previous_success = series->find(SeriesKey{kLastSuccess, command, database});
  std::string kept_success;
  if (previous_success != series->end()) kept_success = previous_success->second;
  EraseRunSeries(series, command, database);
  const auto set = [&](const char* family, std::string value) {
    (*series)[SeriesKey{family, command, database}] = std::move(value);
  };
  const RunMetrics& m = run.metrics;
  set("dbbackup_last_run_compression_ratio", FormatDouble(m.compression_ratio()));
  set("dbbackup_last_run_cpu_seconds", FormatDouble(m.cpu_user_s + m.cpu_system_s));
  set("dbbackup_last_run_duration_seconds", FormatDouble(m.duration_s));
  set("dbbackup_last_run_errors", std::to_string(m.errors));
  set("dbbackup_last_run_peak_memory_bytes", std::to_string(m.peak_memory_bytes));
  set("dbbackup_last_run_raw_bytes", std::to_string(m.raw_bytes));
  set("dbbackup_last_run_stored_bytes", std::to_string(m.stored_bytes));
  set("dbbackup_last_run_success", run.success ? "1" : "0");
  set("dbbackup_last_run_timestamp_seconds", FormatDouble(run.finished_unix_s));
  if (run.success) {
    set(kLastSuccess, FormatDouble(run.finished_unix_s));
  } else if (!kept_success.empty()) {
    set(kLastSuccess, std::move(kept_success));
  }
}

std::string Render(const SeriesMap& series) {
  std::string out;
  std::string_view family;
  for (const auto& [key, value] : series) {
    const auto& [name, command, database] = key;
    if (name != family) {
      family = name;
      out += "# HELP " + name + " " + FindFamily(name)->help + "\n";
      out += "# TYPE " + name + " gauge\n";
    }
    out += name + "{command=\"" + EscapeLabelValue(command) + "\",database=\"" +
           EscapeLabelValue(database) + "\"} " + value + "\n";
  }
  return out;
}

// ---- The file ----

const char* FixFor(int err) {
  switch (err) {
    case ENOENT:
      return "create the directory first";
    case ENOTDIR:
      return "a part of the path is not a directory";
    case EACCES:
    case EPERM:
      return "choose a directory this user can write, or fix its permissions";
    case EROFS:
      return "the file system is read-only; choose another directory";
    case ENOSPC:
    case EDQUOT:
      return "free some space there";
    case EISDIR:
      return "the path is a directory; name a file in it, such as dbbackup.prom";
    default:
      return nullptr;
  }
}

// "--metrics-file PATH: [STEP: ]<strerror> (<fix>)".
Status Fail(int err, const std::string& path, const std::string& step) {
  const Status s =
      Status::FromErrno(err, "--metrics-file " + path + (step.empty() ? "" : ": " + step));
  const char* fix = FixFor(err);
  if (fix == nullptr) return s;
  return Status(s.code(), s.message() + " (" + fix + ")", err);
}

// flock(2) on the directory, waiting at most `wait` for another writer.
Status LockDir(int dir_fd, const std::string& path, const std::string& dir,
               std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::milliseconds(2);
  for (;;) {
    if (::flock(dir_fd, LOCK_EX | LOCK_NB) == 0) return Status::Ok();
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK) {
      // NFS emulates flock with fcntl locks, which need a descriptor open for writing, and a
      // directory cannot be: the write stays atomic, only two writers at the same moment could
      // lose one's update (until its next run).
      log::Verbose("--metrics-file " + path + ": no lock on " + dir + " (" + std::strerror(err) +
                   "); writing without it");
      return Status::Ok();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Status(StatusCode::kIoError,
                    "--metrics-file " + path + ": another dbbackup held the lock on " + dir +
                        " for more than " + std::to_string(wait.count()) +
                        " ms (check for a hung dbbackup with: fuser -v " + dir + ")",
                    err);
    }
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
}

// Removes `.NAME.tmp.XXXXXX` files of writers that died (best effort; the caller holds the lock).
void RemoveStaleTemps(int dir_fd, const std::string& dir, const std::string& name) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  const std::string prefix = "." + name + ".tmp.";
  const time_t now = ::time(nullptr);
  while (const dirent* e = ::readdir(d)) {
    const std::string_view entry = e->d_name;
    if (entry.size() != prefix.size() + 6 || !entry.starts_with(prefix)) continue;
    struct stat st {};
    if (::fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
      continue;
    }
    if (now - st.st_mtime >= kStaleTempAge_s) ::unlinkat(dir_fd, e->d_name, 0);
  }
  ::closedir(d);
}

// The old file's text; "" (with a warning) when there is none we can use. A directory there is
// an error: the rename could not replace it.
Result<std::string> ReadExisting(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err != ENOENT) log::Warn("--metrics-file " + path + ": " + std::strerror(err));
    return std::string();
  }
  if (S_ISDIR(st.st_mode)) return Fail(EISDIR, path, "");
  if (!S_ISREG(st.st_mode)) {
    log::Warn("--metrics-file " + path + ": not a regular file; replacing it");
    return std::string();
  }
  Result<std::string> text = io::ReadSmallFile(path, kMaxExistingBytes);
  if (!text.ok()) {
    log::Warn("--metrics-file " + path + ": cannot use the old file (" + text.status().message() +
              "); replacing it");
    return std::string();
  }
  return text;
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path, const std::string& tmp) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(errno, path, "write " + tmp);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Temp file, 0644, fsync, rename over `path`, fsync of the directory.
Status ReplaceFile(int dir_fd, const std::string& dir, const std::string& path, size_t name_at,
                   std::string_view text) {
  std::string tmp = path.substr(0, name_at) + "." + path.substr(name_at) + ".tmp.XXXXXX";
  io::UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.get() < 0) return Fail(errno, path, "create a temporary file in " + dir);
  Status st;
  // mkstemp makes 0600; the collector may run as another user.
  if (::fchmod(fd.get(), 0644) != 0) st = Fail(errno, path, "chmod " + tmp);
  if (st.ok()) st = WriteAll(fd.get(), text, path, tmp);
  if (st.ok() && ::fsync(fd.get()) != 0) st = Fail(errno, path, "fsync " + tmp);
  if (const int err = fd.Close(); st.ok() && err != 0) st = Fail(err, path, "close " + tmp);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = Fail(errno, path, "rename " + tmp + " over it");
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::fsync(dir_fd) != 0) return Fail(errno, path, "fsync its directory");
  return Status::Ok();
}

}  // namespace

std::string RenderMetrics(std::string_view existing, std::string_view command,
                          const std::vector<DatabaseRunMetrics>& runs, int* dropped_lines) {
  DBB_CHECK_MSG(!command.empty(), "RenderMetrics: empty command");
  int dropped = 0;
  SeriesMap series = ParseExisting(existing, &dropped);
  const std::string command_label = ToUtf8(command);
  for (const DatabaseRunMetrics& run : runs) ApplyRun(&series, command_label, run);
  if (dropped_lines != nullptr) *dropped_lines = dropped;
  return Render(series);
}

Status WriteMetricsFile(const std::string& path, std::string_view command,
                        const std::vector<DatabaseRunMetrics>& runs,
                        const MetricsFileOptions& options) {
  const size_t slash = path.find_last_of('/');
  const size_t name_at = slash == std::string::npos ? 0 : slash + 1;
  const std::string name = path.substr(name_at);
  if (name.empty() || name == "." || name == "..") {
    return Status(StatusCode::kInvalidArgument,
                  "--metrics-file '" + path +
                      "': not a file name (name a file such as "
                      "/var/lib/node_exporter/textfile/dbbackup.prom)");
  }
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  io::UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return Fail(errno, path, "open directory " + dir);
  DBB_RETURN_IF_ERROR(LockDir(dir_fd.get(), path, dir, options.lock_wait));
  RemoveStaleTemps(dir_fd.get(), dir, name);
  Result<std::string> existing = ReadExisting(path);
  if (!existing.ok()) return existing.status();
  int dropped = 0;
  const std::string text = RenderMetrics(*existing, command, runs, &dropped);
  if (dropped > 0) {
    log::Warn("--metrics-file " + path + ": dropped " + std::to_string(dropped) +
              " line(s) of the old file that are not dbbackup samples or do not parse");
  }
  return ReplaceFile(dir_fd.get(), dir, path, name_at, text);
  // The lock goes with dir_fd.
}

}  // namespace dbb::engine
