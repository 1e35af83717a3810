#include "engine/metrics_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "io/unique_fd.h"
#include "support/prometheus_text.h"
#include "support/test_util.h"

namespace dbb::engine {
namespace {

using Labels = std::map<std::string, std::string>;
using testing::TempDir;
using testing::prom::Exposition;
using testing::prom::Family;
using testing::prom::ParsePrometheusText;

constexpr const char* kFamilyNames[] = {
    "dbbackup_last_run_compression_ratio", "dbbackup_last_run_cpu_seconds",
    "dbbackup_last_run_duration_seconds",  "dbbackup_last_run_errors",
    "dbbackup_last_run_peak_memory_bytes", "dbbackup_last_run_raw_bytes",
    "dbbackup_last_run_stored_bytes",      "dbbackup_last_run_success",
    "dbbackup_last_run_timestamp_seconds", "dbbackup_last_success_timestamp_seconds",
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::set<std::string> DirEntries(const std::string& dir) {
  std::set<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  while (const dirent* e = d != nullptr ? ::readdir(d) : nullptr) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.insert(name);
  }
  if (d != nullptr) ::closedir(d);
  return names;
}

DatabaseRunMetrics MakeRun(const std::string& database, bool success, double finished_unix_s) {
  DatabaseRunMetrics r;
  r.database = database;
  r.success = success;
  r.finished_unix_s = finished_unix_s;
  r.metrics.duration_s = 12.5;
  r.metrics.raw_bytes = 9'007'199'254'740'993ull;  // 2^53 + 1: not a double, must stay exact
  r.metrics.stored_bytes = 1'000'000'000;
  r.metrics.peak_memory_bytes = 536'870'912;
  r.metrics.cpu_user_s = 30.25;
  r.metrics.cpu_system_s = 0.1;
  r.metrics.errors = success ? 2 : 1;
  return r;
}

Exposition ParseFile(const std::string& path) {
  Result<Exposition> e = ParsePrometheusText(ReadText(path));
  EXPECT_TRUE(e.ok()) << e.status().message() << "\n" << ReadText(path);
  return e.ok() ? std::move(e).value() : Exposition{};
}

// The sample of `family` for (command, database); fails the test when absent.
const testing::prom::Sample* Get(const Exposition& e, const std::string& family,
                                 const std::string& command, const std::string& database) {
  const Family* f = e.Find(family);
  const testing::prom::Sample* s =
      f == nullptr ? nullptr : f->Find({{"command", command}, {"database", database}});
  EXPECT_NE(s, nullptr) << family << "{" << command << "," << database << "}";
  return s;
}

bool Has(const Exposition& e, const std::string& family, const std::string& command,
         const std::string& database) {
  const Family* f = e.Find(family);
  return f != nullptr && f->Find({{"command", command}, {"database", database}}) != nullptr;
}

double Value(const Exposition& e, const std::string& family, const std::string& command,
             const std::string& database) {
  const testing::prom::Sample* s = Get(e, family, command, database);
  return s == nullptr ? -1 : s->value;
}

TEST(MetricsFile, WritesEveryFamilyAsGaugeWithExactValues) {
  TempDir dir;
  const std::string path = dir.file("dbbackup.prom");
  const double finished = 1'700'000'123.456789;
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("app", true, finished)}).ok());
  const Exposition e = ParseFile(path);

  ASSERT_EQ(e.families.size(), std::size(kFamilyNames));
  for (size_t i = 0; i < e.families.size(); ++i) {
    const Family& f = e.families[i];
    EXPECT_EQ(f.name, kFamilyNames[i]);  // sorted by name
    EXPECT_EQ(f.type, "gauge");
    EXPECT_TRUE(f.has_type_line);
    ASSERT_TRUE(f.help.has_value());
    EXPECT_FALSE(f.help->empty());
    ASSERT_EQ(f.samples.size(), 1u);
    EXPECT_EQ(f.samples[0].labels, (Labels{{"command", "backup"}, {"database", "app"}}));
    EXPECT_FALSE(f.samples[0].timestamp_ms.has_value());  // the textfile collector refuses them
  }
  const auto text = [&](const char* family) { return Get(e, family, "backup", "app")->value_text; };
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", "app"), finished);
  EXPECT_EQ(Value(e, "dbbackup_last_success_timestamp_seconds", "backup", "app"), finished);
  EXPECT_EQ(text("dbbackup_last_run_success"), "1");
  EXPECT_EQ(Value(e, "dbbackup_last_run_duration_seconds", "backup", "app"), 12.5);
  EXPECT_EQ(text("dbbackup_last_run_raw_bytes"), "9007199254740993");
  EXPECT_EQ(text("dbbackup_last_run_stored_bytes"), "1000000000");
  EXPECT_EQ(Value(e, "dbbackup_last_run_compression_ratio", "backup", "app"),
            9'007'199'254'740'993.0 / 1e9);
  EXPECT_EQ(text("dbbackup_last_run_peak_memory_bytes"), "536870912");
  EXPECT_EQ(Value(e, "dbbackup_last_run_cpu_seconds", "backup", "app"), 30.25 + 0.1);
  EXPECT_EQ(text("dbbackup_last_run_errors"), "2");

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_EQ(DirEntries(dir.path()), std::set<std::string>{"dbbackup.prom"});
}

TEST(MetricsFile, FloatsRoundTripAndSpecialValuesParse) {
  for (const double v :
       {0.0, 0.1, 1e-300, 1e300, 1'700'000'000.000001, 123456789.123456789,
        std::numeric_limits<double>::max(), std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN()}) {
    DatabaseRunMetrics r = MakeRun("db", true, v);
    r.metrics.duration_s = v;
    const std::string text = RenderMetrics("", "restore", {r});
    Result<Exposition> e = ParsePrometheusText(text);
    ASSERT_TRUE(e.ok()) << e.status().message() << "\n" << text;
    const double got = Value(*e, "dbbackup_last_run_duration_seconds", "restore", "db");
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(got));
    } else {
      EXPECT_EQ(got, v) << text;
    }
  }
}

TEST(MetricsFile, NothingStoredGivesRatioZero) {
  DatabaseRunMetrics r = MakeRun("empty", true, 1);
  r.metrics.raw_bytes = 0;
  r.metrics.stored_bytes = 0;
  Result<Exposition> e = ParsePrometheusText(RenderMetrics("", "backup", {r}));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(Get(*e, "dbbackup_last_run_compression_ratio", "backup", "empty")->value_text, "0");
}

TEST(MetricsFile, SamplesAreSortedWhateverTheOrderOfRuns) {
  const std::vector<DatabaseRunMetrics> runs = {
      MakeRun("zeta", true, 3), MakeRun("alpha", false, 2), MakeRun("mid", true, 1)};
  const std::string forward = RenderMetrics("", "backup", runs);
  const std::string backward = RenderMetrics("", "backup", {runs[2], runs[1], runs[0]});
  EXPECT_EQ(forward, backward);
  Result<Exposition> e = ParsePrometheusText(forward);
  ASSERT_TRUE(e.ok()) << e.status().message();
  const Family* f = e->Find("dbbackup_last_run_success");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->samples.size(), 3u);
  EXPECT_EQ(f->samples[0].labels.at("database"), "alpha");
  EXPECT_EQ(f->samples[1].labels.at("database"), "mid");
  EXPECT_EQ(f->samples[2].labels.at("database"), "zeta");
  // A later run of the same database in one call replaces the earlier one.
  const std::string twice =
      RenderMetrics("", "backup", {MakeRun("db", true, 5), MakeRun("db", false, 6)});
  Result<Exposition> t = ParsePrometheusText(twice);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Value(*t, "dbbackup_last_run_success", "backup", "db"), 0);
  EXPECT_EQ(Value(*t, "dbbackup_last_success_timestamp_seconds", "backup", "db"), 5);
}

TEST(MetricsFile, DatabaseNamesWithQuotesBackslashNewlineAndNonUtf8RoundTrip) {
  TempDir dir;
  const std::string path = dir.file("m.prom");
  const std::string odd = "we\"ird\\name\nline2 \xC3\xA9";  // é in UTF-8
  const std::string latin1 = std::string("caf\xE9") + "\xC0\xAF";
  ASSERT_TRUE(
      WriteMetricsFile(path, "backup", {MakeRun(odd, true, 1), MakeRun(latin1, true, 2)}).ok());
  EXPECT_NE(ReadText(path).find(R"(database="we\"ird\\name\nline2 )"), std::string::npos);
  Exposition e = ParseFile(path);
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", odd), 1);
  // Each byte that is not UTF-8 becomes U+FFFD: Prometheus refuses a file with such labels.
  const std::string replaced = "caf\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD";
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", replaced), 2);

  // Rewriting the file keeps both series unchanged (the escaped names parse back).
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("other", true, 3)}).ok());
  e = ParseFile(path);
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", odd), 1);
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", replaced), 2);
  // And the same name written again replaces its series instead of adding one.
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun(latin1, false, 4)}).ok());
  e = ParseFile(path);
  EXPECT_EQ(e.Find("dbbackup_last_run_success")->samples.size(), 3u);
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", replaced), 4);
}

TEST(MetricsFile, MergingKeepsOtherDatabasesAndCommands) {
  TempDir dir;
  const std::string path = dir.file("m.prom");
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("app", true, 10)}).ok());
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("shop", true, 20)}).ok());
  ASSERT_TRUE(WriteMetricsFile(path, "restore", {MakeRun("app", true, 30)}).ok());
  Exposition e = ParseFile(path);
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", "app"), 10);
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", "shop"), 20);
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "restore", "app"), 30);
  for (const Family& f : e.families) EXPECT_EQ(f.samples.size(), 3u) << f.name;

  DatabaseRunMetrics again = MakeRun("app", true, 40);
  again.metrics.stored_bytes = 7;
  const std::string before = ReadText(path);
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {again}).ok());
  e = ParseFile(path);
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", "app"), 40);
  EXPECT_EQ(Get(e, "dbbackup_last_run_stored_bytes", "backup", "app")->value_text, "7");
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", "shop"), 20);
  EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "restore", "app"), 30);
  for (const Family& f : e.families) EXPECT_EQ(f.samples.size(), 3u) << f.name;

  // Writing nothing new leaves the file byte for byte as it was.
  const std::string now = ReadText(path);
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {}).ok());
  EXPECT_EQ(ReadText(path), now);
  EXPECT_NE(now, before);
}

TEST(MetricsFile, FailedRunKeepsThePreviousSuccessTimestamp) {
  TempDir dir;
  const std::string path = dir.file("m.prom");
  // No success yet: no sample, so `time() - last_success > 86400` has nothing to compare.
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("app", false, 100)}).ok());
  Exposition e = ParseFile(path);
  EXPECT_FALSE(Has(e, "dbbackup_last_success_timestamp_seconds", "backup", "app"));
  EXPECT_EQ(Value(e, "dbbackup_last_run_success", "backup", "app"), 0);

  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("app", true, 1'700'000'000.25)}).ok());
  ASSERT_TRUE(WriteMetricsFile(path, "restore", {MakeRun("app", true, 1'700'000'500)}).ok());
  for (const double t : {1'700'086'400.5, 1'700'172'800.0}) {
    ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("app", false, t)}).ok());
    e = ParseFile(path);
    EXPECT_EQ(Value(e, "dbbackup_last_success_timestamp_seconds", "backup", "app"),
              1'700'000'000.25);
    EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", "backup", "app"), t);
    EXPECT_EQ(Value(e, "dbbackup_last_run_success", "backup", "app"), 0);
    EXPECT_EQ(Value(e, "dbbackup_last_run_errors", "backup", "app"), 1);
  }
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("app", true, 1'700'200'000)}).ok());
  e = ParseFile(path);
  EXPECT_EQ(Value(e, "dbbackup_last_success_timestamp_seconds", "backup", "app"), 1'700'200'000);
  EXPECT_EQ(Value(e, "dbbackup_last_success_timestamp_seconds", "restore", "app"), 1'700'000'500);
}

TEST(MetricsFile, GarbageInTheOldFileIsDroppedAndOurSamplesKept) {
  const std::string ours =
      "dbbackup_last_run_success{command=\"backup\",database=\"kept\"} 1\n"
      "  dbbackup_last_run_errors { database = \"kept\" , command = \"backup\" , }   3 \n"
      "dbbackup_last_run_raw_bytes{command=\"backup\",database=\"kept\"} "
      "18446744073709551615\n";
  const std::string broken =
      "\x01\x02\xff binary\n"
      "dbbackup_last_run_success{command=\"backup\",database=\"bad\\q\"} 1\n"     // bad escape
      "dbbackup_last_run_success{command=\"backup\",database=\"ts\"} 1 123\n"     // timestamp
      "dbbackup_last_run_success{command=\"backup\"} 1\n"                         // no database
      "dbbackup_last_run_success{command=\"backup\",database=\"x\",y=\"z\"} 1\n"  // extra label
      "dbbackup_unknown_family{command=\"backup\",database=\"x\"} 1\n"
      "node_load1 0.5\n"
      "dbbackup_last_run_success{command=\"backup\",database=\"x\"} one\n"
      "dbbackup_last_run_success{command=\"backup\",database=\"\xC0\"} 1\n"  // not UTF-8
      "# TYPE dbbackup_last_run_success counter\n"
      "dbbackup_last_run_success{command=\"backup\",database=\"cut\"} 1";  // no final newline
  int dropped = 0;
  const std::string text =
      RenderMetrics(ours + broken, "backup", {MakeRun("new", true, 5)}, &dropped);
  EXPECT_EQ(dropped, 10);
  Result<Exposition> e = ParsePrometheusText(text);
  ASSERT_TRUE(e.ok()) << e.status().message() << "\n" << text;
  EXPECT_EQ(Value(*e, "dbbackup_last_run_success", "backup", "kept"), 1);
  EXPECT_EQ(Get(*e, "dbbackup_last_run_errors", "backup", "kept")->value_text, "3");
  EXPECT_EQ(Get(*e, "dbbackup_last_run_raw_bytes", "backup", "kept")->value_text,
            "18446744073709551615");  // kept as written, not through a double
  EXPECT_EQ(e->Find("dbbackup_last_run_success")->samples.size(), 2u);  // kept, new
  EXPECT_EQ(e->Find("dbbackup_last_run_success")->type, "gauge");

  // Through the file: a binary old file is replaced, the backup does not fail.
  TempDir dir;
  const std::string path = dir.file("m.prom");
  WriteText(path, std::string("\0\0\0garbage{{{\n\"", 15));
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("new", true, 5)}).ok());
  const Exposition from_file = ParseFile(path);
  EXPECT_EQ(from_file.Find("dbbackup_last_run_success")->samples.size(), 1u);
  EXPECT_EQ(ReadText(path), RenderMetrics("", "backup", {MakeRun("new", true, 5)}));
}

TEST(MetricsFile, ErrorsNameThePathAndTheFix) {
  TempDir dir;
  const std::string missing = dir.file("missing/m.prom");
  Status st = WriteMetricsFile(missing, "backup", {MakeRun("app", true, 1)});
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_EQ(st.message(), "--metrics-file " + missing + ": open directory " + dir.file("missing") +
                              ": No such file or directory (create the directory first)");

  WriteText(dir.file("plain"), "x");
  const std::string under_file = dir.file("plain/m.prom");
  st = WriteMetricsFile(under_file, "backup", {MakeRun("app", true, 1)});
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_EQ(st.message(), "--metrics-file " + under_file + ": open directory " + dir.file("plain") +
                              ": Not a directory (a part of the path is not a directory)");

  ASSERT_EQ(::mkdir(dir.file("sub.prom").c_str(), 0755), 0);
  st = WriteMetricsFile(dir.file("sub.prom"), "backup", {MakeRun("app", true, 1)});
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_EQ(st.message(), "--metrics-file " + dir.file("sub.prom") +
                              ": Is a directory (the path is a directory; name a file in it, "
                              "such as dbbackup.prom)");

  st = WriteMetricsFile(dir.path() + "/", "backup", {});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "--metrics-file '" + dir.path() +
                              "/': not a file name (name a file such as "
                              "/var/lib/node_exporter/textfile/dbbackup.prom)");
  EXPECT_EQ(DirEntries(dir.path()), (std::set<std::string>{"plain", "sub.prom"}));
}

// WriteMetricsFile into a directory this user cannot write; as root, in a child process that
// drops to nobody (root writes anywhere). Returns the error message ("" when it succeeded).
std::string WriteAsUnprivileged(const std::string& path) {
  if (::geteuid() != 0) {
    const Status st = WriteMetricsFile(path, "backup", {MakeRun("app", true, 1)});
    return st.ok() ? "" : std::string(StatusCodeName(st.code())) + ": " + st.message();
  }
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    const Status st = WriteMetricsFile(path, "backup", {MakeRun("app", true, 1)});
    const std::string msg =
        st.ok() ? "" : std::string(StatusCodeName(st.code())) + ": " + st.message();
    const ssize_t n = ::write(fds[1], msg.data(), msg.size());
    ::_exit(n == static_cast<ssize_t>(msg.size()) ? 0 : 3);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    msg.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) return "child failed";
  return msg;
}

TEST(MetricsFile, UnwritableDirectoryIsAnErrorAndTheOldFileStays) {
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  const std::string ro = dir.file("ro");
  ASSERT_EQ(::mkdir(ro.c_str(), 0755), 0);
  const std::string path = ro + "/m.prom";
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("app", true, 1)}).ok());
  const std::string before = ReadText(path);
  ASSERT_EQ(::chmod(ro.c_str(), 0555), 0);
  EXPECT_EQ(WriteAsUnprivileged(path),
            "I/O error: --metrics-file " + path + ": create a temporary file in " + ro +
                ": Permission denied (choose a directory this user can write, or fix its "
                "permissions)");
  EXPECT_EQ(ReadText(path), before);
  EXPECT_EQ(DirEntries(ro), std::set<std::string>{"m.prom"});
  ASSERT_EQ(::chmod(ro.c_str(), 0755), 0);
}

TEST(MetricsFile, TempFilesOfDeadWritersAreRemovedOthersKept) {
  TempDir dir;
  const std::string path = dir.file("m.prom");
  const std::string stale = dir.file(".m.prom.tmp.AbC123");
  const std::string fresh = dir.file(".m.prom.tmp.XyZ789");
  const std::string other = dir.file(".other.prom.tmp.AbC123");
  for (const std::string& p : {stale, fresh, other}) WriteText(p, "partial");
  const timespec old_times[2] = {{.tv_sec = 1'000'000'000, .tv_nsec = 0},
                                 {.tv_sec = 1'000'000'000, .tv_nsec = 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, stale.c_str(), old_times, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, other.c_str(), old_times, 0), 0);
  ASSERT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("app", true, 1)}).ok());
  EXPECT_EQ(DirEntries(dir.path()),
            (std::set<std::string>{"m.prom", ".m.prom.tmp.XyZ789", ".other.prom.tmp.AbC123"}));
}

TEST(MetricsFile, WaitsForTheLockBoundedly) {
  TempDir dir;
  const std::string path = dir.file("m.prom");
  io::UniqueFd held(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_EQ(::flock(held.get(), LOCK_EX), 0);
  const Status st = WriteMetricsFile(path, "backup", {MakeRun("app", true, 1)},
                                     {.lock_wait = std::chrono::milliseconds(100)});
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_EQ(st.message(), "--metrics-file " + path + ": another dbbackup held the lock on " +
                              dir.path() +
                              " for more than 100 ms (check for a hung dbbackup with: "
                              "fuser -v " +
                              dir.path() + ")");
  EXPECT_EQ(DirEntries(dir.path()), std::set<std::string>{});

  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held.Close();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(WriteMetricsFile(path, "backup", {MakeRun("app", true, 1)}).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  release.join();
  ParseFile(path);
}

TEST(MetricsFile, ConcurrentWritersLoseNoDatabase) {
  TempDir dir;
  const std::string path = dir.file("m.prom");
  constexpr int kWriters = 4;
  constexpr int kRounds = 25;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kRounds; ++i) {
        const Status st =
            WriteMetricsFile(path, w % 2 == 0 ? "backup" : "restore",
                             {MakeRun("db" + std::to_string(w), true, static_cast<double>(i))});
        EXPECT_TRUE(st.ok()) << st.message();
      }
    });
  }
  for (std::thread& t : writers) t.join();
  const Exposition e = ParseFile(path);
  for (int w = 0; w < kWriters; ++w) {
    EXPECT_EQ(Value(e, "dbbackup_last_run_timestamp_seconds", w % 2 == 0 ? "backup" : "restore",
                    "db" + std::to_string(w)),
              kRounds - 1);
  }
  EXPECT_EQ(DirEntries(dir.path()), std::set<std::string>{"m.prom"});
}

// The reference parser (the Python client's, as Prometheus' own is Go) reads what we write and
// finds the same families, types, samples and values as our test parser.
// The first Python that has prometheus_client: the one on PATH (a virtualenv or pyenv), else the
// system's, where python3-prometheus-client installs it. "" when there is none.
std::string PythonWithPrometheusClient() {
  for (const std::string python : {"python3", "/usr/bin/python3"}) {
    if (testing::RunCommand(python + " -c 'import prometheus_client' 2>/dev/null").exit_code == 0) {
      return python;
    }
  }
  return "";
}

TEST(MetricsFile, ReferenceParserAgrees) {
  const std::string python = PythonWithPrometheusClient();
  if (python.empty()) {
    GTEST_SKIP() << "no python3 with prometheus_client (apt-get install "
                    "python3-prometheus-client); the reference check did not run";
  }
  TempDir dir;
  const std::string path = dir.file("m.prom");
  ASSERT_TRUE(
      WriteMetricsFile(path, "backup",
                       {MakeRun("app", true, 1'700'000'000.5), MakeRun("q\"b\\n\nl", false, 7)})
          .ok());
  ASSERT_TRUE(WriteMetricsFile(path, "restore", {MakeRun("app", true, 1e9)}).ok());
  // One line per sample: family TAB type TAB sample name TAB labels as k=hex(v) TAB value.
  const auto hex = [](const std::string& s) {
    std::string out;
    char b[3];
    for (const unsigned char c : s) std::snprintf(b, sizeof b, "%02x", c), out += b;
    return out;
  };
  std::set<std::string> expected;
  for (const Family& f : ParseFile(path).families) {
    for (const testing::prom::Sample& s : f.samples) {
      std::string line = f.name + "\t" + f.type + "\t" + s.name + "\t";
      for (const auto& [k, v] : s.labels) line += k + "=" + hex(v) + ",";
      char value[64];
      std::snprintf(value, sizeof value, "%.17g", s.value);
      expected.insert(line + "\t" + value);
    }
  }
  const std::string script = dir.file("check.py");
  WriteText(
      script,
      "import sys\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "for f in text_string_to_metric_families(open(sys.argv[1], encoding='utf-8').read()):\n"
      "    for s in f.samples:\n"
      "        labels = ''.join(k + '=' + v.encode().hex() + ','\n"
      "                         for k, v in sorted(s.labels.items()))\n"
      "        print('%s\\t%s\\t%s\\t%s\\t%.17g' % (f.name, f.type, s.name, labels, s.value))\n");
  const testing::CommandResult r = testing::RunCommand(python + " " + script + " " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::set<std::string> got;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) got.insert(line);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got.size(), 3 * std::size(kFamilyNames) - 1);  // the failed run has no success time
}

// ---- The test parser itself: it must reject what Prometheus rejects, or it proves nothing. ----

namespace prom_test {

using testing::prom::ParsePrometheusText;

std::string ErrorOf(std::string_view text) {
  Result<Exposition> e = ParsePrometheusText(text);
  if (e.ok()) return "parsed";
  EXPECT_EQ(e.status().code(), StatusCode::kCorrupt);
  return e.status().message();
}

TEST(PrometheusTextParser, AcceptsTheFormat) {
  const std::string text =
      "# a comment\n"
      "\n"
      "# HELP http_requests_total The total \\\\ number\\n of requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\"}    3   1395066363000\n"
      "  # indented comment\n"
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
      "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
      "metric_without_timestamp_and_labels 12.47\n"
      "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
      "nan_value NaN\n"
      "neg\t-Inf\n"
      "trailing_comma{a=\"1\",} .5\n"
      "spaced { a = \"1\" , b=\"\xC3\xA9\" } 1e-3\n"
      "# TYPE h histogram\n"
      "h_bucket{le=\"0.5\"} 1\n"
      "h_bucket{le=\"+Inf\"} 2\n"
      "h_sum 3\n"
      "h_count 2\n";
  Result<Exposition> e = ParsePrometheusText(text);
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_EQ(e->families.size(), 9u);
  const Family& requests = e->families[0];
  EXPECT_EQ(requests.name, "http_requests_total");
  EXPECT_EQ(requests.type, "counter");
  EXPECT_EQ(*requests.help, "The total \\ number\n of requests.");
  ASSERT_EQ(requests.samples.size(), 2u);
  EXPECT_EQ(requests.samples[1].value, 3);
  EXPECT_EQ(requests.samples[1].timestamp_ms, 1395066363000);
  const Family* msdos = e->Find("msdos_file_access_time_seconds");
  ASSERT_NE(msdos, nullptr);
  EXPECT_EQ(msdos->type, "untyped");
  EXPECT_EQ(msdos->samples[0].labels.at("path"), "C:\\DIR\\FILE.TXT");
  EXPECT_EQ(msdos->samples[0].labels.at("error"), "Cannot find file:\n\"FILE.TXT\"");
  EXPECT_EQ(msdos->samples[0].value, 1.458255915e9);
  EXPECT_EQ(e->Find("something_weird")->samples[0].timestamp_ms, -3982045);
  EXPECT_TRUE(std::isnan(e->Find("nan_value")->samples[0].value));
  EXPECT_EQ(e->Find("neg")->samples[0].value, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(e->Find("trailing_comma")->samples[0].value, 0.5);
  EXPECT_EQ(e->Find("spaced")->samples[0].labels, (Labels{{"a", "1"}, {"b", "\xC3\xA9"}}));
  const Family* h = e->Find("h");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->samples.size(), 4u);
  EXPECT_NE(h->Find({}, "h_count"), nullptr);
  EXPECT_EQ(ErrorOf(""), "parsed");
}

TEST(PrometheusTextParser, RejectsMalformedInput) {
  const std::pair<std::string, std::string> cases[] = {
      {"a 1\n# TYPE a gauge\n", "line 2: TYPE line for a after its samples"},
      {"a 1\n# HELP a help\n", "line 2: HELP line for a after its samples"},
      {"# TYPE a gauge\n# TYPE a counter\na 1\n", "line 2: second TYPE line for a"},
      {"# HELP a x\n# HELP a y\n", "line 2: second HELP line for a"},
      {"a 1\nb 1\na{x=\"1\"} 2\n", "line 3: samples of a are not contiguous"},
      {"a 1\nb 1\n# TYPE a gauge\n", "line 3: TYPE line for a after its group of lines ended"},
      {"a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n", "line 2: duplicate series of a"},
      {"a 1\na 2\n", "line 2: duplicate series of a"},
      {"a{x=\"1\\t\"} 1\n", "line 1: invalid escape in label value"},
      {"a{x=\"1\\\"} 1\n", "line 1: unterminated label value"},
      {"# HELP a bad \\t escape\n", "line 1: invalid escape in HELP text of a"},
      {"a 1 2 3\n", "line 1: unexpected text after the sample: '3'"},
      {"a{x=\"1\"} 1 junk\n", "line 1: invalid timestamp 'junk'"},
      {"a{x=\"1\"} 1}\n", "line 1: invalid value '1}' for a"},
      {"a 1\nb 2", "line 2: missing newline at the end of the input"},
      {"a 1", "line 1: missing newline at the end of the input"},
      {"1a 1\n", "line 1: invalid metric name"},
      {"a-b 1\n", "line 1: invalid character after the metric name a"},
      {"a{1x=\"1\"} 1\n", "line 1: invalid label name"},
      {"a{x:y=\"1\"} 1\n", "line 1: expected '=' after label x"},
      {"a{__name__=\"b\"} 1\n", "line 1: label name __name__ is reserved"},
      {"a{x=\"1\",x=\"2\"} 1\n", "line 1: label x twice"},
      {"a{x=1} 1\n", "line 1: label value not quoted"},
      {"a{x=\"1\" y=\"2\"} 1\n", "line 1: expected ',' or '}' after the value of label x"},
      {"a{x=\"\xC0\xAF\"} 1\n", "line 1: label value is not UTF-8"},
      {"a 0x10\n", "line 1: invalid value '0x10' for a"},
      {"a one\n", "line 1: invalid value 'one' for a"},
      {"a +NaN\n", "line 1: invalid value '+NaN' for a"},
      {"a 1 99999999999999999999\n", "line 1: invalid timestamp '99999999999999999999'"},
      {"# TYPE a gauges\n", "line 1: unknown metric type 'gauges' for a"},
      {"# TYPE a gauge extra\n", "line 1: unexpected text after the TYPE of a"},
      {"# TYPE 9a gauge\n", "line 1: invalid metric name in TYPE line"},
  };
  for (const auto& [text, error] : cases) EXPECT_EQ(ErrorOf(text), error) << text;
}

}  // namespace prom_test

}  // namespace
}  // namespace dbb::engine
