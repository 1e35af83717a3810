#include "integration/dbbackup_cli.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/db_compare.h"
#include "support/test_util.h"

namespace dbb::testing {

std::string DbbBinary() { return DBB_BINARY; }
std::string SourceDir() { return DBB_SOURCE_DIR; }

ProcessResult RunDbb(const std::vector<std::string>& args, const EnvList& env,
                     const std::string& os_user) {
  std::vector<std::string> argv = {DbbBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess({.argv = argv, .env = env, .run_as_user = os_user});
}

namespace {

std::string CommandText(const std::vector<std::string>& args) {
  std::string s = "dbbackup";
  for (const auto& a : args) s += " " + a;
  return s;
}

// Runs `args` + the server's connection flags + `extra`; a non-zero exit is a test failure.
ProcessResult RunExpectingSuccess(const PgServer& pg, std::vector<std::string> args,
                                  const std::vector<std::string>& extra) {
  for (const auto& a : pg.ConnArgs()) args.push_back(a);
  args.insert(args.end(), extra.begin(), extra.end());
  ProcessResult r = RunDbb(args);
  if (r.exit_code != 0) {
    ADD_FAILURE() << CommandText(args) << "\nfailed: " << r.Describe() << "\nstdout:\n" << r.out;
  }
  return r;
}

}  // namespace

ProcessResult Backup(const PgServer& pg, const std::string& db, const std::string& dir,
                     const std::vector<std::string>& extra) {
  return RunExpectingSuccess(pg, {"backup", "single", db, "--dir", dir}, extra);
}

ProcessResult Restore(const PgServer& pg, const std::string& dir, const std::string& db,
                      const std::vector<std::string>& extra) {
  return RunExpectingSuccess(pg, {"restore", "single", dir, "-d", db}, extra);
}

std::string TestDbName(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = "it_";
  if (info != nullptr) name += std::string(info->test_suite_name()) + "_" + info->name() + "_";
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
  }
  // Keep the tag whole: trim the test part so the name fits PostgreSQL's 63 bytes.
  const size_t room = 63 - std::min<size_t>(tag.size(), 40);
  if (out.size() > room) out.resize(room);
  return out + tag.substr(0, 40);
}

void CreateGeneratedDb(const PgServer& pg, const std::string& db, Volume volume) {
  // Loaded once per server into a template database, then cloned (a file copy: much faster
  // than running the SQL again for every test).
  static std::map<Volume, std::string> templates;
  auto it = templates.find(volume);
  if (it == templates.end()) {
    const std::string name =
        volume == Volume::kBulk ? "it_template_generated_bulk" : "it_template_generated_small";
    pg.DropDatabase(name);
    pg.CreateDatabase(name);
    pg.PsqlFile(name, SourceDir() + "/tests/integration/sql/generated_db.sql");
    if (volume == Volume::kBulk) {
      pg.PsqlFile(name, SourceDir() + "/tests/integration/sql/generated_bulk.sql");
    }
    it = templates.emplace(volume, name).first;
  }
  pg.Psql("postgres", "CREATE DATABASE " + QuoteIdent(db) + " TEMPLATE " + QuoteIdent(it->second));
}

void CreateLargeDb(const PgServer& pg, const std::string& db, int mib) {
  static std::map<int, std::string> templates;  // made once per server and size, then cloned
  auto it = templates.find(mib);
  if (it == templates.end()) {
    const std::string name = "it_template_large_" + std::to_string(mib);
    pg.DropDatabase(name);
    pg.CreateDatabase(name);
    // 64 KiB rows of md5 hex text: compresses to about half, and only slowly at high levels.
    pg.Psql(name,
            "CREATE SCHEMA app;\n"
            "CREATE TABLE app.big (id integer PRIMARY KEY, payload text);\n"
            "ALTER TABLE app.big ALTER COLUMN payload SET STORAGE EXTERNAL;\n"
            "INSERT INTO app.big SELECT g, (SELECT string_agg(md5((g * 4096 + k)::text), '') "
            "FROM generate_series(1, 2048) AS k) FROM generate_series(1, " +
                std::to_string(mib * 16) +
                ") AS g;\n"
                "CREATE TABLE app.small (id integer);\n"
                "INSERT INTO app.small VALUES (1), (2);\n");
    it = templates.emplace(mib, name).first;
  }
  pg.Psql("postgres", "CREATE DATABASE " + QuoteIdent(db) + " TEMPLATE " + QuoteIdent(it->second));
}

LockHolder::LockHolder(const PgServer& pg, const std::string& db, const std::string& table) {
  std::vector<std::string> argv = {pg.Tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"};
  for (const auto& a : pg.ConnArgs()) argv.push_back(a);
  argv.insert(argv.end(), {"-d", db});
  psql_ = std::make_unique<Subprocess>(ProcessOptions{
      .argv = argv,
      .stdin_data =
          "BEGIN;\nLOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(60);\n"});
  if (!psql_->started()) {
    ADD_FAILURE() << "psql: " << psql_->start_error();
    return;
  }
  for (int i = 0; i < 250 && !ok_; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ok_ = pg.Psql(db, "SELECT count(*) FROM pg_locks WHERE relation = " + QuoteLiteral(table) +
                          "::regclass AND mode = 'AccessExclusiveLock' AND granted") == "1\n";
  }
  if (!ok_) ADD_FAILURE() << "the lock on " << table << " was not granted";
}

nlohmann::json ReadManifest(const std::string& dir) {
  const std::string path = dir + "/manifest.json";
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "no " << path;
    return nullptr;
  }
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    ADD_FAILURE() << path << ": " << e.what();
    return nullptr;
  }
}

std::vector<std::string> QualifiedNames(
    const PgServer& pg, const std::vector<std::pair<std::string, std::string>>& names) {
  if (names.empty()) return {};
  std::string values;
  for (size_t i = 0; i < names.size(); ++i) {
    values += std::string(i ? ", " : "") + "(" + std::to_string(i) + ", " +
              QuoteLiteral(names[i].first) + ", " + QuoteLiteral(names[i].second) + ")";
  }
  std::istringstream lines(pg.Psql("postgres", "SELECT format('%I.%I', s, n) FROM (VALUES " +
                                                   values + ") AS v(i, s, n) ORDER BY i"));
  std::vector<std::string> out;
  std::string line;
  while (std::getline(lines, line)) out.push_back(line);
  return out;
}

void ExpectManifestMatches(const PgServer& pg, const nlohmann::json& manifest,
                           const std::map<std::string, std::string>& fingerprints) {
  if (!manifest.is_object() || !manifest.contains("tables") || manifest.at("tables").empty()) {
    ADD_FAILURE() << "manifest without tables: " << manifest.dump().substr(0, 2000);
    return;
  }
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& t : manifest.at("tables")) {
    names.emplace_back(t.at("schema").get<std::string>(), t.at("name").get<std::string>());
  }
  const std::vector<std::string> keys = QualifiedNames(pg, names);
  std::map<std::string, uint64_t> listed;
  for (size_t i = 0; i < manifest.at("tables").size(); ++i) {
    const auto& t = manifest.at("tables")[i];
    const std::string key = i < keys.size() ? keys[i] : "?";
    uint64_t file_rows = 0;
    for (const auto& f : t.at("files")) file_rows += f.at("rows").get<uint64_t>();
    EXPECT_EQ(file_rows, t.at("rows").get<uint64_t>()) << key << ": rows of its files";
    EXPECT_TRUE(listed.emplace(key, t.at("rows").get<uint64_t>()).second) << key << " listed twice";
  }
  for (const auto& [key, fp] : fingerprints) {
    const uint64_t count = std::stoull(fp.substr(0, fp.find(' ')));
    auto it = listed.find(key);
    if (it == listed.end()) {
      EXPECT_EQ(count, 0u) << key << " has " << count << " rows but is not in the manifest";
    } else {
      EXPECT_EQ(it->second, count) << key << ": manifest rows vs count(*) FROM ONLY";
    }
  }
  for (const auto& [key, rows] : listed) {
    EXPECT_EQ(fingerprints.count(key), 1u)
        << "manifest lists " << key << " (" << rows << " rows), not a table of the source";
  }
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string SessionsLeftAfterWait(const PgServer& pg, const std::string& db) {
  std::string n;
  for (int i = 0; i < 100; ++i) {
    n = pg.Psql("postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE datname = " + QuoteLiteral(db));
    if (n == "0\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return n;
}

bool ContainsNoCase(const std::string& haystack, const std::string& needle) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  return lower(haystack).find(lower(needle)) != std::string::npos;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<Subprocess> StartBackupBlockedOnLock(const PgServer& pg, const std::string& db,
                                                     const std::string& dir) {
  std::vector<std::string> argv = {DbbBinary(), "backup", "single", db, "--dir", dir};
  for (const auto& a : pg.ConnArgs()) argv.push_back(a);
  auto p = std::make_unique<Subprocess>(ProcessOptions{.argv = argv});
  if (!p->started()) {
    ADD_FAILURE() << p->start_error();
    return nullptr;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!p->Exited() && std::chrono::steady_clock::now() < deadline) {
    const ProcessResult q =
        pg.TryPsql("postgres",
                   "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbbackup' "
                   "AND wait_event_type = 'Lock' AND datname = " +
                       QuoteLiteral(db));
    if (q.exit_code == 0 && q.out != "0\n") return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (p->Exited()) {
    ADD_FAILURE() << "the backup ended while a table was locked: " << p->Wait().Describe();
  } else {
    ADD_FAILURE() << "the backup never waited for the lock";
  }
  return nullptr;
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) {
      out.push_back(std::filesystem::relative(it->path(), dir).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void ServerTest::SetUp() {
  pg_ = PgServer::Shared();
  if (pg_ == nullptr) GTEST_SKIP() << PgServer::SkipReason();
}

void ServerTest::RoundTrip(const std::string& src, const std::string& dst,
                           const std::vector<std::string>& backup_flags,
                           const std::vector<std::string>& restore_flags) {
  const DbSnapshot before = TakeSnapshot(*pg_, src);
  TempDir tmp;
  const std::string dir = tmp.file("backup");
  if (Backup(*pg_, src, dir, backup_flags).exit_code != 0) return;
  if (Restore(*pg_, dir, dst, restore_flags).exit_code != 0) return;
  ExpectSameDatabase(before, TakeSnapshot(*pg_, dst));
  ExpectSameEntries(before.tables, TableFingerprints(*pg_, src), "source after backup");
}

// The JSON objects among `text`'s lines (other lines are plain messages).
std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("{")) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

// The progress lines of one run: well formed, never going backwards, the last one "done" at
// 100 %; then exactly one summary line. Returns the summary.
nlohmann::json CheckProgressLines(const std::string& stderr_text, const std::string& command) {
  const std::vector<nlohmann::json> lines = JsonLines(stderr_text);
  EXPECT_GE(lines.size(), 3u) << stderr_text;
  if (lines.size() < 2) return nlohmann::json::object();
  nlohmann::json previous;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    const nlohmann::json& j = lines[i];
    SCOPED_TRACE(j.dump());
    EXPECT_EQ(j["type"], "progress");
    EXPECT_EQ(j["command"], command);
    for (const char* key : {"bytes_done", "bytes_total", "units_done", "units_total",
                            "rate_bytes_per_s", "peak_memory_bytes", "errors"}) {
      EXPECT_TRUE(j[key].is_number_unsigned()) << key;
    }
    EXPECT_TRUE(j["current"].is_array());
    EXPECT_TRUE(j["eta_s"].is_null() || j["eta_s"].is_number());
    EXPECT_GE(j["percent"].get<double>(), 0);
    EXPECT_LE(j["percent"].get<double>(), 100);
    if (!previous.is_null()) {
      for (const char* key : {"bytes_done", "units_done", "percent", "elapsed_s"}) {
        EXPECT_GE(j[key].get<double>(), previous[key].get<double>()) << key;
      }
    }
    previous = j;
  }
  EXPECT_EQ(previous["phase"], "done");
  EXPECT_EQ(previous["percent"], 100.0);
  EXPECT_EQ(previous["units_done"], previous["units_total"]);
  const nlohmann::json& summary = lines.back();
  EXPECT_EQ(summary["type"], "summary") << summary.dump();
  EXPECT_EQ(summary["command"], command);
  return summary;
}

}  // namespace dbb::testing
