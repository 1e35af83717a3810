// `dbbackup verify` on real backups: a database with every column type (a text-format table
// among them), a table split into chunks and large objects, backed up inline (gzip) and external
// (zstd), and a cluster backup, complete and partial. A clean backup verifies (exit 0, also
// --quick) and counts the rows the manifest records; then copies of them are damaged and verify
// names each problem (exit 4): a byte flipped in a chunk (--quick by its CRC-32C, full mode by
// its CRC-32C and the gzip member that no longer inflates), a truncated and a deleted file, an
// edited manifest (its checksum), a deleted external content, a damaged file in one database of
// a cluster; a partial cluster backup whose databases are good exits 3 naming what is missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kExitPartial = 3;
constexpr int kExitProblems = 4;

// A table of ~8 MiB (split by --chunk-size 1MB) and 501 large objects: duplicates, empty ones,
// one over 256 KiB (read in pieces).
constexpr char kExtraSql[] = R"sql(
CREATE TABLE public.big (id integer PRIMARY KEY, v text);
INSERT INTO public.big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 60000) AS g;
SELECT count(lo_from_bytea(300000 + i,
  CASE WHEN i % 10 = 0 THEN convert_to('the same content', 'UTF8')
       WHEN i % 25 = 1 THEN ''::bytea
       ELSE convert_to(repeat(md5(i::text), i % 40 + 1), 'UTF8') END))
FROM generate_series(1, 500) AS i;
SELECT lo_from_bytea(301000, decode(repeat(md5('large'), 40000), 'hex'));
)sql";

// The backups the tests check, made once (lazily) and never changed: a test damages a copy.
struct Backups {
  TempDir tmp;
  std::string inline_gz;     // --chunk-size 1MB, large objects inline, gzip
  std::string external_zst;  // --blob-mode external, zstd
  std::string cluster;       // complete
};

ProcessResult Verify(const std::string& dir, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"verify", dir};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunDbb(args);
}

std::string Describe(const ProcessResult& r) { return r.Describe() + "\nstdout: " + r.out; }

// A copy of `dir` at `to`, to damage.
std::string CopyOf(const std::string& dir, const std::string& to) {
  fs::copy(dir, to, fs::copy_options::recursive);
  return to;
}

json ReadJsonFile(const std::string& path) { return json::parse(ReadWholeFile(path)); }

void FlipByte(const std::string& path, size_t at) {
  std::vector<std::byte> bytes = ReadFileBytes(path);
  ASSERT_LT(at, bytes.size()) << path;
  bytes[at] ^= std::byte{0x20};
  WriteFileBytes(path, bytes);
}

// The second chunk of public.big, relative to the backup directory.
std::string ChunkOfBig(const std::string& dir) {
  const json m = ReadManifest(dir);
  for (const auto& t : m.value("tables", json::array())) {
    if (t.value("name", "") != "big") continue;
    const auto& files = t.at("files");
    if (files.size() >= 2 && files.at(1).contains("blocks")) return files.at(1).at("file");
    ADD_FAILURE() << "public.big is not split: " << t.dump(1).substr(0, 2000);
  }
  ADD_FAILURE() << "no table public.big in " << dir;
  return "";
}

class VerifyTest : public ServerTest {
 protected:
  // Makes the backups on first use.
  const Backups& Made() {
    static std::unique_ptr<Backups> made;
    if (made) return *made;
    made = std::make_unique<Backups>();
    const std::string db = TestDbName("src");
    DropAtEnd drop(*pg_, {db});
    CreateGeneratedDb(*pg_, db, Volume::kSmall);
    pg_->Psql(db, kExtraSql);
    made->inline_gz = made->tmp.file("inline");
    made->external_zst = made->tmp.file("external");
    made->cluster = made->tmp.file("cluster");
    Backup(*pg_, db, made->inline_gz, {"-j", "2", "--chunk-size", "1MB"});
    Backup(*pg_, db, made->external_zst,
           {"-j", "2", "--blob-mode", "external", "--compress-engine", "zstd"});
    // The cluster: this database and postgres, not the other tests' templates.
    std::vector<std::string> args = {
        "backup",       "cluster", "--dir", made->cluster, "-j", "2", "--exclude-database",
        "it_template_*"};
    for (const auto& a : pg_->ConnArgs()) args.push_back(a);
    const ProcessResult c = RunDbb(args);
    EXPECT_EQ(c.exit_code, 0) << c.Describe();
    return *made;
  }
};

// Every backup verifies, in both modes, and full mode counts the rows the manifest records:
// PostgreSQL's own binary and text COPY output, of every type, passes the framing check.
TEST_F(VerifyTest, CleanBackupsVerify) {
  const Backups& b = Made();
  for (const std::string& dir : {b.inline_gz, b.external_zst, b.cluster}) {
    SCOPED_TRACE(dir);
    for (bool quick : {false, true}) {
      const ProcessResult r =
          Verify(dir, quick ? std::vector<std::string>{"--quick"} : std::vector<std::string>{});
      EXPECT_EQ(r.exit_code, 0) << Describe(r);
      EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(^verified \d+ files, .*: OK\n$)")))
          << r.out;
      EXPECT_EQ(r.err, "") << "no problem, no note";
    }
  }
  for (const std::string& dir : {b.inline_gz, b.external_zst}) {
    const ProcessResult r = Verify(dir, {"--json", "-j", "3"});
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    const json v = json::parse(r.out);
    const json m = ReadManifest(dir);
    EXPECT_EQ(v.at("ok"), true);
    EXPECT_EQ(v.at("rows"), m.at("totals").at("rows")) << r.out;
    EXPECT_EQ(v.at("large_objects"), 501);
    EXPECT_EQ(v.at("stored_bytes"), m.at("totals").at("stored_bytes"));
    EXPECT_EQ(v.at("problems"), json::array());
  }
  // `list --json` prints the manifest as written, its checksum included.
  for (const std::string& dir : {b.inline_gz, b.cluster}) {
    const std::string file = dir + (dir == b.cluster ? "/cluster.json" : "/manifest.json");
    EXPECT_EQ(RunDbb({"list", "--json", dir}).out, ReadWholeFile(file)) << file;
  }
  const ProcessResult text = Verify(b.inline_gz);
  const json m = ReadManifest(b.inline_gz);
  EXPECT_NE(text.out.find(" " + std::to_string(m.at("totals").at("rows").get<uint64_t>()) +
                          " rows, 501 large objects: OK"),
            std::string::npos)
      << text.out;
}

TEST_F(VerifyTest, FlippedByteInAChunkIsNamed) {
  const Backups& b = Made();
  TempDir tmp;
  const std::string dir = CopyOf(b.inline_gz, tmp.file("b"));
  const std::string chunk = ChunkOfBig(dir);
  ASSERT_FALSE(chunk.empty());
  FlipByte(dir + "/" + chunk, static_cast<size_t>(fs::file_size(dir + "/" + chunk) / 2));
  for (bool quick : {true, false}) {
    SCOPED_TRACE(quick ? "--quick" : "full");
    const ProcessResult r =
        Verify(dir, quick ? std::vector<std::string>{"--quick"} : std::vector<std::string>{});
    EXPECT_EQ(r.exit_code, kExitProblems) << Describe(r);
    const std::vector<std::string> lines = Lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_TRUE(lines[0].starts_with("verify: " + chunk + ": CRC-32C ")) << lines[0];
    EXPECT_NE(lines[0].find(", the manifest says "), std::string::npos) << lines[0];
    if (!quick) {
      EXPECT_NE(lines[0].find("gzip member"), std::string::npos)
          << "the member that no longer inflates: " << lines[0];
    }
    EXPECT_TRUE(r.out.ends_with(": 1 problem\n")) << r.out;
  }
}

TEST_F(VerifyTest, TruncatedAndDeletedFilesAreNamed) {
  const Backups& b = Made();
  TempDir tmp;
  const std::string dir = CopyOf(b.inline_gz, tmp.file("b"));
  const json m = ReadManifest(dir);
  const std::string blobs = m.at("large_objects").at("files").at(0).at("file");
  const uint64_t blob_bytes = m.at("large_objects").at("files").at(0).at("stored_bytes");
  fs::resize_file(dir + "/" + blobs, blob_bytes / 2);
  const std::string chunk = ChunkOfBig(dir);
  ASSERT_TRUE(fs::remove(dir + "/" + chunk));
  ASSERT_TRUE(fs::remove(dir + "/schema.dump"));
  for (bool quick : {true, false}) {
    SCOPED_TRACE(quick ? "--quick" : "full");
    const ProcessResult r =
        Verify(dir, quick ? std::vector<std::string>{"--quick"} : std::vector<std::string>{});
    EXPECT_EQ(r.exit_code, kExitProblems) << Describe(r);
    EXPECT_NE(r.err.find("verify: " + chunk + ": missing (the manifest lists it)\n"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("verify: schema.dump: missing (the manifest lists it)\n"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("verify: " + blobs + ": " + std::to_string(blob_bytes / 2) +
                         " bytes, the manifest says " + std::to_string(blob_bytes)),
              std::string::npos)
        << r.err;
    EXPECT_EQ(Lines(r.err).size(), 3u) << r.err;
    EXPECT_TRUE(r.out.ends_with(": 3 problems\n")) << r.out;
  }
}

TEST_F(VerifyTest, EditedManifestIsNamed) {
  const Backups& b = Made();
  TempDir tmp;
  const std::string dir = CopyOf(b.inline_gz, tmp.file("b"));
  std::string text = ReadWholeFile(dir + "/manifest.json");
  const size_t rows = text.find("\"rows\": ");
  ASSERT_NE(rows, std::string::npos);
  text.insert(rows + 8, "1");  // a row count ten times larger (plus one): still valid JSON
  WriteFileBytes(
      dir + "/manifest.json",
      std::vector<std::byte>(reinterpret_cast<const std::byte*>(text.data()),
                             reinterpret_cast<const std::byte*>(text.data()) + text.size()));
  const ProcessResult r = Verify(dir, {"--quick"});
  EXPECT_EQ(r.exit_code, kExitProblems) << Describe(r);
  EXPECT_EQ(r.err,
            "verify: manifest.json: checksum mismatch: the manifest was changed or damaged after "
            "the backup wrote it\n");
  // restore refuses it too (ReadManifest checks the seal).
  const ProcessResult list = RunDbb({"list", dir});
  EXPECT_EQ(list.exit_code, 1) << Describe(list);
  EXPECT_NE(list.err.find("checksum mismatch"), std::string::npos) << list.err;
}

TEST_F(VerifyTest, DeletedExternalContentIsNamed) {
  const Backups& b = Made();
  TempDir tmp;
  const std::string dir = CopyOf(b.external_zst, tmp.file("b"));
  std::string content;
  for (const std::string& f : ListFiles(dir)) {
    if (f.starts_with("blobs/")) content = f;
  }
  ASSERT_TRUE(std::regex_match(content, std::regex(R"(blobs/[0-9a-f]{2}/[0-9a-f]{64}\.zst)")))
      << content;
  ASSERT_TRUE(fs::remove(dir + "/" + content));
  const ProcessResult full = Verify(dir);
  EXPECT_EQ(full.exit_code, kExitProblems) << Describe(full);
  EXPECT_NE(full.err.find("verify: " + content + ": missing: large object "), std::string::npos)
      << full.err;
  EXPECT_NE(full.err.find("verify: blobs: "), std::string::npos) << "and the count: " << full.err;
  const ProcessResult quick = Verify(dir, {"--quick"});
  EXPECT_EQ(quick.exit_code, kExitProblems) << Describe(quick);
  EXPECT_TRUE(quick.err.starts_with("verify: blobs: ")) << quick.err;
  // A content replaced by another (a valid zstd file): its SHA-256 is not its name.
  std::string other;
  for (const std::string& f : ListFiles(dir)) {
    if (f.starts_with("blobs/") && f != content) other = f;
  }
  fs::copy_file(dir + "/" + other, dir + "/" + content);
  const ProcessResult swapped = Verify(dir, {"--json"});
  EXPECT_EQ(swapped.exit_code, kExitProblems) << Describe(swapped);
  const json v = json::parse(swapped.out);
  // (Its size differs too: the content totals say so as well.)
  bool named = false;
  for (const auto& p : v.at("problems")) {
    named = named || (p.at("path") == content &&
                      p.at("problem").get<std::string>().starts_with("its content's SHA-256 is "));
  }
  EXPECT_TRUE(named) << swapped.out;
}

TEST_F(VerifyTest, DamageInOneDatabaseOfAClusterIsNamed) {
  const Backups& b = Made();
  TempDir tmp;
  const std::string dir = CopyOf(b.cluster, tmp.file("c"));
  std::string db_dir;
  const json c = ReadJsonFile(dir + "/cluster.json");
  for (const auto& d : c.at("databases")) {
    if (d.value("name", "").find("_src") != std::string::npos) db_dir = d.at("dir");
  }
  ASSERT_FALSE(db_dir.empty()) << c.dump(1);
  // The cluster backup has no --chunk-size: any table file.
  const std::string chunk =
      ReadManifest(dir + "/" + db_dir).at("tables").at(0).at("files").at(0).at("file");
  FlipByte(dir + "/" + db_dir + "/" + chunk, 100);
  fs::remove(dir + "/globals.sql");
  const ProcessResult r = Verify(dir);
  EXPECT_EQ(r.exit_code, kExitProblems) << Describe(r);
  EXPECT_NE(r.err.find("verify: " + db_dir + "/" + chunk + ": CRC-32C "), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("verify: globals.sql: missing (the manifest lists it)"), std::string::npos)
      << r.err;
  EXPECT_EQ(Lines(r.err).size(), 2u) << r.err;
}

// A database that timed out is missing; the others are good: exit 3, naming it.
TEST_F(VerifyTest, PartialClusterBackupExitsThree) {
  const std::string ok = "it_vfy_ok", locked = "it_vfy_locked";
  DropAtEnd drop(*pg_, {ok, locked});
  for (const std::string& db : {ok, locked}) {
    pg_->CreateDatabase(db);
    pg_->Psql(db, "CREATE TABLE t (id integer); INSERT INTO t SELECT generate_series(1, 100);");
  }
  TempDir tmp;
  const std::string dir = tmp.file("c");
  {
    LockHolder lock(*pg_, locked, "public.t");
    ASSERT_TRUE(lock.ok());
    std::vector<std::string> args = {"backup",
                                     "cluster",
                                     "--dir",
                                     dir,
                                     "--timeout",
                                     "4s",
                                     "--exclude-database",
                                     "it_template_*",
                                     "--exclude-database",
                                     "it_verifytest_*"};
    for (const auto& a : pg_->ConnArgs()) args.push_back(a);
    const ProcessResult c = RunDbb(args);
    ASSERT_EQ(c.exit_code, kExitPartial) << c.Describe();
  }
  const ProcessResult r = Verify(dir);
  EXPECT_EQ(r.exit_code, kExitPartial) << Describe(r);
  EXPECT_NE(r.err.find("verify: database not in the backup: it_vfy_locked: timed out"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("OK, but PARTIAL: 1 databases are not in the backup"), std::string::npos)
      << r.out << r.err;
}

TEST_F(VerifyTest, NotABackup) {
  TempDir tmp;
  fs::create_directories(tmp.file("empty"));
  const ProcessResult empty = Verify(tmp.file("empty"));
  EXPECT_EQ(empty.exit_code, kExitProblems) << Describe(empty);
  EXPECT_EQ(empty.err, "verify: " + tmp.file("empty") +
                           ": no manifest.json or cluster.json: not a complete backup "
                           "(interrupted, failed, or still running)\n");
  const ProcessResult none = Verify(tmp.file("none"));
  EXPECT_EQ(none.exit_code, 1) << Describe(none);
  EXPECT_NE(none.err.find(tmp.file("none")), std::string::npos) << none.err;
  EXPECT_EQ(RunDbb({"verify"}).exit_code, 2);
  EXPECT_EQ(RunDbb({"verify", tmp.path(), "-j", "0"}).exit_code, 2);
}

}  // namespace
}  // namespace dbb::testing
