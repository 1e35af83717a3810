// Running the real dbbackup executable in the integration tests, and what they share: database
// names unique to the test, the generated source database, manifest reading.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "support/pg_server.h"

namespace dbb::testing {

// The dbbackup executable under test (DBB_BINARY, set by CMake).
std::string DbbBinary();
// The source tree (DBB_SOURCE_DIR, set by CMake).
std::string SourceDir();

using EnvList = std::vector<std::pair<std::string, std::string>>;
// Runs dbbackup with `args`; `env` adds to its environment (PG* variables are never inherited);
// `os_user` runs it as that OS user when the tests run as root.
ProcessResult RunDbb(const std::vector<std::string>& args, const EnvList& env = {},
                     const std::string& os_user = "");

// "backup single DB --dir DIR <conn flags> <extra>" and "restore single DIR -d DB <conn flags>
// <extra>" against the test server; a failure is a test failure (ADD_FAILURE with the output).
ProcessResult Backup(const PgServer& pg, const std::string& db, const std::string& dir,
                     const std::vector<std::string>& extra = {});
ProcessResult Restore(const PgServer& pg, const std::string& dir, const std::string& db,
                      const std::vector<std::string>& extra = {});

// A database name unique to the running test: "it_<suite>_<test>_<tag>", lower case, at most 63
// bytes.
std::string TestDbName(const std::string& tag);

// Drops the named databases when the test ends (pass or fail).
class DropAtEnd {
 public:
  DropAtEnd(const PgServer& pg, std::vector<std::string> dbs) : pg_(pg), dbs_(std::move(dbs)) {}
  ~DropAtEnd() {
    for (const auto& db : dbs_) pg_.DropDatabase(db);
  }
  DropAtEnd(const DropAtEnd&) = delete;
  DropAtEnd& operator=(const DropAtEnd&) = delete;

 private:
  const PgServer& pg_;
  std::vector<std::string> dbs_;
};

// Creates `db` holding tests/integration/sql/generated_db.sql (about 6 MiB of COPY data), and
// with kBulk generated_bulk.sql too (about 26 MiB more: 2-8 MiB bytea values, 200k rows). The
// SQL runs once per server, into a template database that each call clones.
enum class Volume { kSmall, kBulk };
void CreateGeneratedDb(const PgServer& pg, const std::string& db, Volume volume);
// Creates `db` with one table app.big of about `mib` MiB of hex text (made server-side; it
// compresses slowly at zstd level 19), for runs that must last a few seconds. Cloned from a
// template made once per server and size.
void CreateLargeDb(const PgServer& pg, const std::string& db, int mib);

// A psql session holding ACCESS EXCLUSIVE on `table` of `db` (for up to 60 s) until destroyed.
// ok() is false (with a test failure) when the lock was not granted within 5 s.
class LockHolder {
 public:
  LockHolder(const PgServer& pg, const std::string& db, const std::string& table);
  bool ok() const { return ok_; }

 private:
  std::unique_ptr<Subprocess> psql_;
  bool ok_ = false;
};

// Starts `dbbackup backup single DB --dir DIR <conn flags>` and waits (up to 30 s) until one of
// its sessions waits for a lock (a LockHolder holds a table: the snapshot is exported by then).
// nullptr, with a test failure, when the backup ended first or never waited.
std::unique_ptr<Subprocess> StartBackupBlockedOnLock(const PgServer& pg, const std::string& db,
                                                     const std::string& dir);

// DIR/manifest.json parsed; a JSON null (and a test failure) when missing or malformed.
nlohmann::json ReadManifest(const std::string& dir);

// format('%I.%I', schema, name) for each pair, computed by the server (the keys of
// TableFingerprints() and SequenceStates()).
std::vector<std::string> QualifiedNames(
    const PgServer& pg, const std::vector<std::pair<std::string, std::string>>& names);

// EXPECTs that the manifest's tables are the source's tables that have rows (plus, optionally,
// empty ones), each with the row count of FROM ONLY in `fingerprints` (TableFingerprints()).
void ExpectManifestMatches(const PgServer& pg, const nlohmann::json& manifest,
                           const std::map<std::string, std::string>& fingerprints);

// The number of sessions still connected to `db` after up to 5 s of waiting for none ("0\n"
// when all are gone), as psql prints it.
std::string SessionsLeftAfterWait(const PgServer& pg, const std::string& db);

bool ContainsNoCase(const std::string& haystack, const std::string& needle);
// `s` without trailing newlines (psql output of one value).
std::string Trimmed(std::string s);
// The lines of `text`, without their newlines.
std::vector<std::string> Lines(const std::string& text);
std::string ReadWholeFile(const std::string& path);
// Every regular file under `dir`, relative to it, sorted.
std::vector<std::string> ListFiles(const std::string& dir);

// A test that needs the shared server (skipped with the reason when there is none), with the
// round trip every comparison test uses.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Backs `src` up with `backup_flags`, restores it into a new database with `restore_flags`
  // (which must say how the target is made: --create, or an existing empty one), and compares
  // the two independently of dbbackup (db_compare.h); the source must be unchanged too.
  void RoundTrip(const std::string& src, const std::string& dst,
                 const std::vector<std::string>& backup_flags,
                 const std::vector<std::string>& restore_flags);

  PgServer* pg_ = nullptr;
};

// The JSON objects among the lines of `text` (stderr of --progress json); other lines skipped.
std::vector<nlohmann::json> JsonLines(const std::string& text);
// Checks the --progress json lines of one backup or restore in `stderr_text`: well formed, never
// going backwards, the last one "done" at 100 %, then one summary line, which it returns.
nlohmann::json CheckProgressLines(const std::string& stderr_text, const std::string& command);

}  // namespace dbb::testing
