// Large objects ("blobs"): a backup carries each one's OID, owner, ACL, comment and content, read
// from the same snapshot as the tables, either inline (data/blobs.NNNN files) or external (one
// file per distinct content, named by its SHA-256); restore recreates them in batches that commit
// regularly. Every comparison is made in SQL on both databases, independently of dbbackup. Also:
// a 300 MB object goes through without ever being in memory whole, an object created during the
// backup is not in it, and --no-blobs and a table selection leave them out.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Roles are cluster-wide and outlive the test databases (an owner cannot be dropped while a
// database still holds its objects), so they are made once and tolerated when they exist. The
// owner's name needs quoting (a space and a capital).
constexpr char kRolesSql[] = R"sql(
DO $$ BEGIN CREATE ROLE "it_lo Owner"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE it_lo_reader; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
)sql";

// 20000 objects (OIDs 100001-120000) of 0 to 3000 bytes, text and binary; every 50th holds the
// same text and the one after it the same 4 bytes (deduplicated in external mode), and a few are
// empty. A third belong to another owner; some are granted SELECT, SELECT and UPDATE WITH GRANT
// OPTION, or UPDATE to PUBLIC; some have comments with quotes, backslashes, newlines and
// non-ASCII; on three the owner's own rights are revoked. One object has an OID above 2^31 (an
// unsigned OID read as a signed int would break it). A table references some of them, as an
// application's would.
constexpr char kManyObjectsSql[] = R"sql(
SELECT count(lo_from_bytea(100000 + i,
  CASE
    WHEN i % 50 = 0 THEN convert_to(repeat('the same content, ', 100), 'UTF8')
    WHEN i % 50 = 1 THEN '\x00ff00ff'::bytea
    WHEN i % 3 = 0 THEN substring(decode(repeat(md5(i::text), 94), 'hex') FROM 1 FOR (i * 37) % 1505)
    ELSE substring(convert_to(repeat(md5(i::text), 94), 'UTF8') FROM 1 FOR (i * 37) % 3001)
  END)) FROM generate_series(1, 20000) AS i;
SELECT lo_from_bytea('4294967000'::oid, convert_to('an OID above 2^31', 'UTF8'));
CREATE TABLE docs (id integer PRIMARY KEY, content oid, title text);
INSERT INTO docs SELECT i, 100000 + i, 'doc ' || i FROM generate_series(1, 20000, 10) AS i;
DO $$
BEGIN
  FOR i IN 1..20000 LOOP
    IF i % 3 = 0 THEN
      EXECUTE format('ALTER LARGE OBJECT %s OWNER TO %I', 100000 + i, 'it_lo Owner');
    END IF;
    IF i % 7 = 0 THEN
      EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO it_lo_reader', 100000 + i);
    END IF;
    IF i % 11 = 0 THEN
      EXECUTE format('GRANT SELECT, UPDATE ON LARGE OBJECT %s TO it_lo_reader WITH GRANT OPTION',
                     100000 + i);
    END IF;
    IF i % 13 = 0 THEN
      EXECUTE format('GRANT UPDATE ON LARGE OBJECT %s TO PUBLIC', 100000 + i);
    END IF;
    IF i % 17 = 0 THEN
      EXECUTE format('COMMENT ON LARGE OBJECT %s IS %L', 100000 + i,
                     format('comment %s: it''s "quoted", ünïcødé ✓, a\backslash', i));
    END IF;
  END LOOP;
END $$;
-- The owner's own rights revoked: an empty ACL ({}), one with the reader's entry alone, and
-- one where the owner keeps part of its rights.
REVOKE ALL ON LARGE OBJECT 100003 FROM "it_lo Owner";
REVOKE ALL ON LARGE OBJECT 100021 FROM "it_lo Owner";
REVOKE UPDATE ON LARGE OBJECT 100077 FROM postgres;
COMMENT ON LARGE OBJECT 100002 IS E'two\nlines; ''single'' and "double" quotes; ';
)sql";

constexpr int kManyObjects = 20001;

// One line per large object, everything a restore must reproduce (NULLs made visible, since
// concat_ws skips them).
std::string ObjectLinesSql(const std::string& where) {
  return "SELECT oid, concat_ws('|', oid, pg_get_userbyid(lomowner), "
         "coalesce(lomacl::text, '<null>'), "
         "coalesce(obj_description(oid, 'pg_largeobject'), '<null>'), md5(lo_get(oid))) AS line "
         "FROM pg_catalog.pg_largeobject_metadata" +
         (where.empty() ? std::string() : " WHERE " + where);
}

// What the manifest must say about a database's large objects, computed by the server.
struct Expected {
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t distinct = 0;           // distinct contents, the empty one included
  uint64_t distinct_nonempty = 0;  // the number of files in external mode
  uint64_t distinct_bytes = 0;     // bytes of the distinct contents (stored once)
  std::string min_oid, max_oid;
  std::set<std::string> external_files;  // blobs/<2 hex>/<sha256>.<ext>
};

// `ext`: the content files' extension ("gz", "zst"); "" when they are not needed.
Expected ExpectedFor(const PgServer& pg, const std::string& db, const std::string& ext) {
  Expected e;
  const std::vector<std::string> f = Lines(
      pg.Psql(db,
              "WITH c AS (SELECT oid, lo_get(oid) AS b FROM pg_catalog.pg_largeobject_metadata)\n"
              "SELECT (SELECT count(*) FROM c), (SELECT coalesce(sum(length(b)), 0) FROM c),\n"
              "  (SELECT count(DISTINCT b) FROM c), (SELECT count(DISTINCT b) FROM c WHERE "
              "length(b) > 0),\n"
              "  (SELECT coalesce(sum(length(b)), 0) FROM (SELECT DISTINCT b FROM c) d),\n"
              "  (SELECT min(oid) FROM c), (SELECT max(oid) FROM c)"));
  if (f.size() != 1) {
    ADD_FAILURE() << "expected values of " << db << ": " << f.size() << " lines";
    return e;
  }
  std::string row = f[0];
  std::replace(row.begin(), row.end(), '|', ' ');
  std::istringstream in(row);
  in >> e.count >> e.bytes >> e.distinct >> e.distinct_nonempty >> e.distinct_bytes >> e.min_oid >>
      e.max_oid;
  if (ext.empty()) return e;
  for (const std::string& h :
       Lines(pg.Psql(db,
                     "SELECT DISTINCT encode(sha256(b), 'hex') FROM (SELECT lo_get(oid) AS b "
                     "FROM pg_catalog.pg_largeobject_metadata) AS c WHERE length(b) > 0"))) {
    e.external_files.insert("blobs/" + h.substr(0, 2) + "/" + h + "." + ext);
  }
  return e;
}

// A number in the manifest; 0 with a test failure when it is missing or not a number.
uint64_t Num(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number_unsigned()) {
    ADD_FAILURE() << "no unsigned number \"" << key << "\" in " << j.dump().substr(0, 1000);
    return 0;
  }
  return j.at(key).get<uint64_t>();
}

class LargeObjectsTest : public ServerTest {
 protected:
  std::string Scalar(const std::string& db, const std::string& sql) {
    return Trimmed(pg_->Psql(db, sql));
  }

  // "<count> <md5 of every object's line in OID order>": 20000 objects compared without
  // shipping them.
  std::string Digest(const std::string& db, const std::string& where = "") {
    return Scalar(db,
                  "SELECT count(*) || ' ' || coalesce(md5(string_agg(line, E'\\n' ORDER BY "
                  "oid)), '-') FROM (" +
                      ObjectLinesSql(where) + ") AS o");
  }

  // EXPECTs the same large objects in both databases; on a difference, says which OIDs are
  // missing or extra and shows the first object that differs in both.
  void ExpectSameObjects(const std::string& expected_db, const std::string& actual_db,
                         const std::string& where = "") {
    const std::string expected = Digest(expected_db, where);
    const std::string actual = Digest(actual_db, where);
    if (expected == actual) return;
    auto per_object = [&](const std::string& db) {
      std::map<uint64_t, std::string> out;  // oid -> md5 of its line
      for (const std::string& l : Lines(pg_->Psql(
               db, "SELECT oid || ' ' || md5(line) FROM (" + ObjectLinesSql(where) + ") AS o"))) {
        out[std::stoull(l.substr(0, l.find(' ')))] = l.substr(l.find(' ') + 1);
      }
      return out;
    };
    const auto e = per_object(expected_db), a = per_object(actual_db);
    std::string missing, extra;
    std::optional<uint64_t> first_different;
    int n_missing = 0, n_extra = 0, n_different = 0;
    for (const auto& [oid, md5] : e) {
      auto it = a.find(oid);
      if (it == a.end()) {
        if (n_missing++ < 10) missing += " " + std::to_string(oid);
      } else if (it->second != md5 && n_different++ == 0) {
        first_different = oid;
      }
    }
    for (const auto& [oid, md5] : a) {
      if (!e.contains(oid) && n_extra++ < 10) extra += " " + std::to_string(oid);
    }
    std::string detail;
    if (first_different) {
      const std::string one = "SELECT line FROM (" +
                              ObjectLinesSql("oid = " + std::to_string(*first_different)) +
                              ") AS o";
      detail = "\nfirst different object, expected: " + Trimmed(pg_->Psql(expected_db, one)) +
               "\n                           actual: " + Trimmed(pg_->Psql(actual_db, one));
    }
    ADD_FAILURE() << "large objects of " << actual_db << " differ from " << expected_db
                  << " (count and digest: " << expected << " vs " << actual << ")\n"
                  << n_missing << " missing:" << missing << "\n"
                  << n_extra << " extra:" << extra << "\n"
                  << n_different << " different" << detail;
  }

  // Waits (up to 10 s) until no session is connected to `db`: those of a finished restore may
  // take a moment to end.
  void WaitForNoSessions(const std::string& db) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline &&
           Scalar("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = " +
                                  QuoteLiteral(db)) != "0") {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  // pg_stat_database.xact_commit of `db`, once it stops changing: a backend's counts reach the
  // shared statistics at the latest when it exits, a moment after its client has gone
  // (pg_stat_force_next_flush() would flush only the calling session's own counts, so it does
  // not help here). An early read could only make the check pass wrongly, never fail wrongly;
  // waiting for the sessions to end and the value to settle makes that unlikely.
  uint64_t SettledCommits(const std::string& db) {
    WaitForNoSessions(db);
    const std::string sql =
        "SELECT xact_commit FROM pg_stat_database WHERE datname = " + QuoteLiteral(db);
    std::string last = Scalar("postgres", sql);
    for (int i = 0; i < 20; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      const std::string now = Scalar("postgres", sql);
      if (now == last && !now.empty()) break;
      last = now;
    }
    const std::vector<std::string> l = Lines(last);
    return l.empty() ? 0 : std::stoull(l.back());
  }

  // The 20000-object database: made once per server into a template, cloned for each test.
  void CreateManyObjectsDb(const std::string& db) {
    static bool made = false;
    const std::string tmpl = "it_template_many_large_objects";
    if (!made) {
      pg_->Psql("postgres", kRolesSql);
      pg_->DropDatabase(tmpl);
      pg_->CreateDatabase(tmpl);
      pg_->Psql(tmpl, kManyObjectsSql);
      made = true;
    }
    pg_->Psql("postgres", "CREATE DATABASE " + QuoteIdent(db) + " TEMPLATE " + QuoteIdent(tmpl));
  }

  // The 20000 objects backed up with `mode_flags` (-j 2), the manifest checked against the
  // source, restored with --create -j 2, and compared.
  void RoundTripManyObjects(const std::vector<std::string>& mode_flags, bool external) {
    const std::string src = TestDbName("src"), dst = TestDbName("dst");
    DropAtEnd drop(*pg_, {src, dst});
    CreateManyObjectsDb(src);
    ASSERT_EQ(Scalar(src, "SELECT count(*) FROM pg_largeobject_metadata"),
              std::to_string(kManyObjects));
    const DbSnapshot before = TakeSnapshot(*pg_, src);
    const Expected want = ExpectedFor(*pg_, src, external ? "gz" : "");
    ASSERT_LT(want.distinct, want.count) << "the test data has identical contents";
    const std::string src_digest = Digest(src);
    TempDir tmp;
    const std::string dir = tmp.file("backup");
    std::vector<std::string> flags = {"-j", "2"};
    flags.insert(flags.end(), mode_flags.begin(), mode_flags.end());
    ASSERT_EQ(Backup(*pg_, src, dir, flags).exit_code, 0);

    const nlohmann::json m = ReadManifest(dir);
    ASSERT_TRUE(m.is_object());
    EXPECT_EQ(m.value("format_version", 0), 5);
    ASSERT_TRUE(m.contains("large_objects")) << m.dump().substr(0, 2000);
    const nlohmann::json& lo = m.at("large_objects");
    EXPECT_EQ(lo.value("included", false), true) << lo.dump(1).substr(0, 2000);
    EXPECT_EQ(lo.value("mode", ""), external ? "external" : "inline");
    EXPECT_EQ(Num(lo, "count"), want.count);
    EXPECT_EQ(Num(lo, "bytes"), want.bytes);
    // The files that hold the objects' list: each names an OID range, the ranges are disjoint,
    // cover the source's OIDs, and their objects add up to the count.
    ASSERT_TRUE(lo.contains("files") && lo.at("files").is_array() && !lo.at("files").empty())
        << lo.dump(1).substr(0, 2000);
    uint64_t objects = 0, file_bytes = 0;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& f : lo.at("files")) {
      const std::string file = f.value("file", "");
      EXPECT_TRUE(file.starts_with("data/blobs.")) << file;
      EXPECT_TRUE(std::filesystem::is_regular_file(dir + "/" + file)) << file;
      objects += Num(f, "objects");
      file_bytes += Num(f, "bytes");
      ranges.emplace_back(Num(f, "first_oid"), Num(f, "last_oid"));
      EXPECT_LE(ranges.back().first, ranges.back().second) << f.dump();
    }
    EXPECT_EQ(objects, want.count) << "objects of the files";
    if (!external) {
      EXPECT_EQ(file_bytes, want.bytes) << "content bytes of the inline files";
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
      EXPECT_LT(ranges[i - 1].second, ranges[i].first) << "overlapping OID ranges";
    }
    EXPECT_EQ(std::to_string(ranges.front().first), want.min_oid);
    EXPECT_EQ(std::to_string(ranges.back().second), want.max_oid);

    std::set<std::string> content_files;
    for (const auto& f : ListFiles(dir)) {
      if (f.starts_with("blobs/")) content_files.insert(f);
    }
    if (external) {
      // One file per distinct non-empty content, named by the SHA-256 of the content; whether
      // the empty content counts in "distinct" the contract does not say, so either is taken.
      EXPECT_TRUE(Num(lo, "distinct") == want.distinct ||
                  Num(lo, "distinct") == want.distinct_nonempty)
          << "distinct " << Num(lo, "distinct") << ", expected " << want.distinct << " (or "
          << want.distinct_nonempty << " without the empty content)";
      EXPECT_LT(Num(lo, "distinct"), Num(lo, "count"));
      EXPECT_EQ(Num(lo, "saved_bytes"), want.bytes - want.distinct_bytes);
      EXPECT_GT(Num(lo, "saved_bytes"), 0u);
      EXPECT_EQ(content_files.size(), want.distinct_nonempty);
      std::vector<std::string> missing, extra;
      std::set_difference(want.external_files.begin(), want.external_files.end(),
                          content_files.begin(), content_files.end(), std::back_inserter(missing));
      std::set_difference(content_files.begin(), content_files.end(), want.external_files.begin(),
                          want.external_files.end(), std::back_inserter(extra));
      EXPECT_TRUE(missing.empty() && extra.empty())
          << missing.size()
          << " content files missing, first: " << (missing.empty() ? "-" : missing[0]) << "; "
          << extra.size() << " unexpected, first: " << (extra.empty() ? "-" : extra[0]);
      // A few files decompressed by gzip itself: the name is the SHA-256 of what they hold.
      if (HaveProgram("gzip") && HaveProgram("sha256sum")) {
        int checked = 0;
        for (const auto& f : content_files) {
          if (checked++ % 3000 != 0) continue;
          const std::string hash = f.substr(f.rfind('/') + 1, 64);
          const CommandResult r = RunCommand("gzip -dc '" + dir + "/" + f + "' | sha256sum");
          EXPECT_EQ(r.output.substr(0, 64), hash) << f;
        }
      }
    } else {
      EXPECT_EQ(Num(lo, "distinct"), want.count) << "inline: distinct is the count";
      EXPECT_TRUE(content_files.empty()) << "inline mode wrote " << *content_files.begin();
    }
    const ProcessResult list = RunDbb({"list", dir});
    EXPECT_EQ(list.exit_code, 0) << list.Describe();
    EXPECT_TRUE(ContainsNoCase(list.out, "large objects")) << list.out;

    ASSERT_EQ(Restore(*pg_, dir, dst, {"--create", "-j", "2"}).exit_code, 0);
    // Batches that commit regularly: not one transaction per object (nor one for all, which
    // max_locks_per_transaction would not allow: the restore would have failed).
    const uint64_t commits = SettledCommits(dst);
    EXPECT_LT(commits, 2000u) << "transactions committed in " << dst << " for " << kManyObjects
                              << " objects";
    ExpectSameObjects(src, dst);
    ExpectSameDatabase(before, TakeSnapshot(*pg_, dst));
    EXPECT_EQ(Digest(src), src_digest) << "the source changed";
  }

  // dbbackup `args` (plus the server's connection flags), under /usr/bin/time when there is
  // one: *peak_kib is then its peak RSS in KiB, else -1.
  ProcessResult RunMeasured(std::vector<std::string> args, long* peak_kib) {
    for (const auto& a : pg_->ConnArgs()) args.push_back(a);
    *peak_kib = -1;
    if (!std::filesystem::exists("/usr/bin/time")) return RunDbb(args);
    std::vector<std::string> argv = {"/usr/bin/time", "-f", "peak_rss_kib=%M", DbbBinary()};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult r = RunProcess({.argv = argv});
    const size_t at = r.err.rfind("peak_rss_kib=");
    if (at != std::string::npos) *peak_kib = std::stol(r.err.substr(at + 13));
    return r;
  }
};

TEST_F(LargeObjectsTest, TwentyThousandObjectsInline) {
  RoundTripManyObjects({}, /*external=*/false);
}

TEST_F(LargeObjectsTest, TwentyThousandObjectsExternal) {
  RoundTripManyObjects({"--blob-mode", "external"}, /*external=*/true);
}

// One object of 300 MiB (half hex text that compresses to about half, half binary that does
// not, each MiB different so that misplaced pieces show) next to a few small ones, inline and
// external: the same content back, and neither backup nor restore ever holds the object whole
// (peak RSS under 200 MB, measured by /usr/bin/time).
TEST_F(LargeObjectsTest, HugeObjectInBoundedMemory) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst"), dst2 = TestDbName("dst2");
  DropAtEnd drop(*pg_, {src, dst, dst2});
  pg_->CreateDatabase(src);
  pg_->Psql(src, R"sql(
CREATE TABLE t (id integer PRIMARY KEY, doc oid);
INSERT INTO t VALUES (1, 500000), (2, 500001);
SELECT lo_from_bytea(500001, convert_to('a small one', 'UTF8')), lo_from_bytea(500002, ''),
       lo_from_bytea(500003, decode(repeat('00', 5000), 'hex'));
DO $$
DECLARE
  text_block bytea := convert_to((SELECT string_agg(md5(g::text), '') FROM generate_series(1, 65536) g), 'UTF8');
  bin_block bytea := (SELECT string_agg(decode(md5((-g)::text), 'hex'), ''::bytea) FROM generate_series(1, 131072) g);
BEGIN
  PERFORM lo_create(500000);
  FOR c IN 0..299 LOOP
    PERFORM lo_put(500000, c::bigint * 1048576,
                   substring(CASE WHEN c % 2 = 0 THEN text_block ELSE bin_block END
                             FROM (c * 7919) % 1048576 + 1 FOR 1048576));
  END LOOP;
END $$;
)sql");
  // The huge one's length and content hashed in 10 MiB pieces (lo_get of it whole would need
  // 300 MB of server memory per call).
  const std::string huge_sql =
      "SELECT sum(length(p)) || ' ' || md5(string_agg(md5(p), '' ORDER BY k)) FROM (SELECT k, "
      "lo_get(500000, k::bigint * 10485760, 10485760) AS p FROM generate_series(0, 30) k) s";
  const std::string huge = Scalar(src, huge_sql);
  ASSERT_EQ(huge.substr(0, huge.find(' ')), "314572800");
  const std::string small_where = "oid <> 500000";
  const std::string owner =
      Scalar(src, "SELECT lomowner FROM pg_largeobject_metadata WHERE oid = 500000");

#ifdef DBB_SANITIZED
  // Shadow memory and quarantine multiply a sanitized build's RSS: the bound is not its own.
  const bool measured = false;
  std::cout << "[ SKIPPED  ] peak RSS checks: a sanitizer build\n";
#else
  const bool measured = std::filesystem::exists("/usr/bin/time");
  if (!measured) {
    std::cout << "[ SKIPPED  ] peak RSS checks: no /usr/bin/time\n";
  }
#endif
  TempDir tmp;
  const long kLimitKib = 200 * 1024;
  struct Case {
    std::string mode;
    std::string dst;
  };
  for (const Case& c : {Case{"inline", dst}, Case{"external", dst2}}) {
    SCOPED_TRACE("--blob-mode " + c.mode);
    const std::string dir = tmp.file(c.mode);
    long peak = -1;
    ProcessResult r = RunMeasured(
        {"backup", "single", src, "--dir", dir, "-j", "2", "--blob-mode", c.mode}, &peak);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    if (measured) {
      EXPECT_GT(peak, 0) << r.err;
      EXPECT_LT(peak, kLimitKib) << "backup's peak RSS in KiB";
    }
    const nlohmann::json m = ReadManifest(dir);
    ASSERT_TRUE(m.is_object() && m.contains("large_objects"));
    EXPECT_EQ(Num(m.at("large_objects"), "count"), 4u);
    EXPECT_EQ(Num(m.at("large_objects"), "bytes"), 314572800u + 11 + 5000);

    r = RunMeasured({"restore", "single", dir, "-d", c.dst, "--create", "-j", "2"}, &peak);
    ASSERT_EQ(r.exit_code, 0) << r.Describe();
    if (measured) {
      EXPECT_GT(peak, 0) << r.err;
      EXPECT_LT(peak, kLimitKib) << "restore's peak RSS in KiB";
    }
    EXPECT_EQ(Scalar(c.dst, huge_sql), huge);
    EXPECT_EQ(Scalar(c.dst, "SELECT lomowner FROM pg_largeobject_metadata WHERE oid = 500000"),
              owner);
    ExpectSameObjects(src, c.dst, small_where);
    ExpectSameEntries(TableFingerprints(*pg_, src), TableFingerprints(*pg_, c.dst), "tables");
  }
}

// The backup reads large objects from its snapshot: an object created, changed or removed
// (committed) while the backup waits for a table lock, after it took its snapshot, is seen as it
// was before.
TEST_F(LargeObjectsTest, ObjectsChangedDuringTheBackupAreNotInIt) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE t (id integer PRIMARY KEY, doc oid);\n"
            "SELECT count(lo_from_bytea(200000 + i, convert_to('old object ' || i, 'UTF8'))) "
            "FROM generate_series(1, 10) i;\n"
            "INSERT INTO t SELECT i, 200000 + i FROM generate_series(1, 10) i;\n"
            "COMMENT ON LARGE OBJECT 200001 IS 'before';\n");
  const std::string before = Digest(src);
  // The backup exports its snapshot, then waits for ACCESS SHARE on t.
  std::optional<LockHolder> holder;
  holder.emplace(*pg_, src, "t");
  ASSERT_TRUE(holder->ok());
  TempDir tmp;
  const std::string dir = tmp.file("b");
  const std::unique_ptr<Subprocess> backup = StartBackupBlockedOnLock(*pg_, src, dir);
  ASSERT_NE(backup, nullptr);
  Subprocess& p = *backup;

  // Committed while the backup waits (lock_timeout: a hang here would be a lock the backup
  // should not hold).
  pg_->Psql(src,
            "SET lock_timeout = '10s';\n"
            "SELECT lo_from_bytea(200100, convert_to('created during the backup', 'UTF8'));\n"
            "SELECT lo_put(200001, 0, convert_to('CHANGED', 'UTF8'));\n"
            "COMMENT ON LARGE OBJECT 200001 IS 'after';\n"
            "SELECT lo_unlink(200002);\n"
            "GRANT SELECT ON LARGE OBJECT 200003 TO PUBLIC;\n");
  ASSERT_NE(Digest(src), before);
  // Release the lock: end the holder's session (its psql sleeps, and would not notice its own
  // end for a minute).
  pg_->Psql(src,
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE relation = 't'::regclass "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND mode = 'AccessExclusiveLock' AND granted");
  const ProcessResult r = p.Wait();
  holder.reset();
  ASSERT_EQ(r.exit_code, 0) << r.Describe();

  const nlohmann::json m = ReadManifest(dir);
  ASSERT_TRUE(m.is_object() && m.contains("large_objects"));
  EXPECT_EQ(Num(m.at("large_objects"), "count"), 10u) << m.at("large_objects").dump(1);
  ASSERT_EQ(Restore(*pg_, dir, dst, {"--create"}).exit_code, 0);
  EXPECT_EQ(Scalar(dst, "SELECT count(*) FROM pg_largeobject_metadata WHERE oid = 200100"), "0")
      << "the object created during the backup is in it";
  EXPECT_EQ(Digest(dst), before) << "the objects as they were when the backup began";
  EXPECT_EQ(Scalar(dst,
                   "SELECT convert_from(lo_get(200001), 'UTF8') || ' ' || "
                   "obj_description(200001, 'pg_largeobject')"),
            "old object 1 before");
}

// restore --no-blobs loads the tables and no large object; a backup of selected tables, or with
// --no-blobs, does not include them; a bad --blob-mode is a usage error.
TEST_F(LargeObjectsTest, NoBlobsAndTableSelectionLeaveThemOut) {
  const std::string src = TestDbName("src"), d1 = TestDbName("d1"), d2 = TestDbName("d2"),
                    d3 = TestDbName("d3");
  DropAtEnd drop(*pg_, {src, d1, d2, d3});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "CREATE TABLE x (id integer PRIMARY KEY, doc oid);\n"
            "CREATE TABLE y (id integer);\n"
            "SELECT count(lo_from_bytea(300000 + i, convert_to(repeat('lo ', i), 'UTF8'))) "
            "FROM generate_series(1, 5) i;\n"
            "INSERT INTO x SELECT i, 300000 + i FROM generate_series(1, 5) i;\n"
            "INSERT INTO y SELECT generate_series(1, 100);\n");
  const auto tables = TableFingerprints(*pg_, src);
  TempDir tmp;
  const std::string all = tmp.file("all");
  ASSERT_EQ(Backup(*pg_, src, all).exit_code, 0);
  const nlohmann::json m = ReadManifest(all);
  ASSERT_TRUE(m.is_object() && m.contains("large_objects"));
  EXPECT_EQ(m.at("large_objects").value("included", false), true);
  EXPECT_EQ(Num(m.at("large_objects"), "count"), 5u);
  EXPECT_EQ(m.at("large_objects").value("mode", ""), "inline") << "the default mode";

  ASSERT_EQ(Restore(*pg_, all, d1, {"--create", "--no-blobs"}).exit_code, 0);
  EXPECT_EQ(Scalar(d1, "SELECT count(*) FROM pg_largeobject_metadata"), "0");
  ExpectSameEntries(tables, TableFingerprints(*pg_, d1), "tables restored with --no-blobs");

  const std::string only_x = tmp.file("only_x");
  ASSERT_EQ(Backup(*pg_, src, only_x, {"--table", "x"}).exit_code, 0);
  const nlohmann::json mx = ReadManifest(only_x);
  ASSERT_TRUE(mx.is_object() && mx.contains("large_objects")) << mx.dump().substr(0, 2000);
  EXPECT_EQ(mx.at("large_objects").value("included", true), false) << "as pg_dump --table";
  ASSERT_EQ(Restore(*pg_, only_x, d2, {"--create"}).exit_code, 0);
  EXPECT_EQ(Scalar(d2, "SELECT count(*) FROM pg_largeobject_metadata"), "0");
  EXPECT_EQ(Scalar(d2, "SELECT count(*) FROM x"), "5");

  const std::string none = tmp.file("none");
  ASSERT_EQ(Backup(*pg_, src, none, {"--no-blobs"}).exit_code, 0);
  const nlohmann::json mn = ReadManifest(none);
  ASSERT_TRUE(mn.is_object() && mn.contains("large_objects"));
  EXPECT_EQ(mn.at("large_objects").value("included", true), false);
  ASSERT_EQ(Restore(*pg_, none, d3, {"--create"}).exit_code, 0);
  EXPECT_EQ(Scalar(d3, "SELECT count(*) FROM pg_largeobject_metadata"), "0");
  ExpectSameEntries(tables, TableFingerprints(*pg_, d3), "tables of the --no-blobs backup");

  std::vector<std::string> args = {"backup",        "single",      src,       "--dir",
                                   tmp.file("bad"), "--blob-mode", "sideways"};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  const ProcessResult bad = RunDbb(args);
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
  EXPECT_NE(bad.err.find("--blob-mode"), std::string::npos) << bad.err;
}

// External mode with zstd: content files are .zst, named by the SHA-256 of the uncompressed
// content, one per distinct content; the round trip gives the same objects.
TEST_F(LargeObjectsTest, ExternalZstdFilesAreNamedByContent) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg_, {src, dst});
  pg_->CreateDatabase(src);
  pg_->Psql(src,
            "SELECT count(lo_from_bytea(400000 + i, convert_to(repeat(md5((i % 7)::text), i % 7 "
            "* 100), 'UTF8'))) FROM generate_series(1, 40) i;\n");
  const Expected want = ExpectedFor(*pg_, src, "zst");
  ASSERT_EQ(want.distinct_nonempty, 6u);
  TempDir tmp;
  const std::string dir = tmp.file("b");
  ASSERT_EQ(
      Backup(*pg_, src, dir, {"--blob-mode", "external", "--compress-engine", "zstd"}).exit_code,
      0);
  std::set<std::string> content_files;
  for (const auto& f : ListFiles(dir)) {
    if (f.starts_with("blobs/")) content_files.insert(f);
  }
  EXPECT_EQ(content_files, want.external_files);
  if (HaveProgram("zstd") && HaveProgram("sha256sum")) {
    for (const auto& f : content_files) {
      const CommandResult r = RunCommand("zstd -dcq '" + dir + "/" + f + "' | sha256sum");
      EXPECT_EQ(r.output.substr(0, 64), f.substr(f.rfind('/') + 1, 64)) << f;
    }
  }
  const nlohmann::json m = ReadManifest(dir);
  ASSERT_TRUE(m.is_object() && m.contains("large_objects"));
  EXPECT_EQ(Num(m.at("large_objects"), "count"), 40u);
  EXPECT_EQ(Num(m.at("large_objects"), "saved_bytes"), want.bytes - want.distinct_bytes);
  ASSERT_EQ(Restore(*pg_, dir, dst, {"--create"}).exit_code, 0);
  ExpectSameObjects(src, dst);
}

// A role that may not read an object cannot back it up: the backup fails before it copies
// anything, names the object and the fix, and leaves no backup behind; --no-blobs goes through.
TEST_F(LargeObjectsTest, UnreadableObjectNamesTheFix) {
  const std::string src = TestDbName("src");
  DropAtEnd drop(*pg_, {src});
  pg_->CreateDatabase(src);
  pg_->Psql("postgres",
            "DO $$ BEGIN CREATE ROLE it_lo_plain LOGIN; EXCEPTION WHEN duplicate_object OR "
            "unique_violation THEN NULL; END $$;");
  pg_->Psql(src,
            "CREATE TABLE t (id int); GRANT SELECT ON t TO it_lo_plain;\n"
            "SELECT lo_from_bytea(700001, 'secret');\n");
  std::vector<std::string> args = {"backup", "single", src};
  for (const auto& a : pg_->ConnArgs()) args.push_back(a);
  const auto user = std::find(args.begin(), args.end(), "-U");
  if (user != args.end() && user + 1 != args.end()) {
    *(user + 1) = "it_lo_plain";
  } else {
    args.insert(args.end(), {"-U", "it_lo_plain"});
  }
  TempDir tmp;
  std::vector<std::string> refused = args;
  refused.insert(refused.end(), {"--dir", tmp.file("b")});
  const ProcessResult r = RunDbb(refused);
  EXPECT_EQ(r.exit_code, 1) << r.Describe();
  EXPECT_NE(r.err.find("permission denied for large object 700001"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--no-blobs"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp.file("b/manifest.json")));
  EXPECT_TRUE(ListFiles(tmp.file("b")).empty()) << "the failed run removes what it made";

  std::vector<std::string> without = args;
  without.insert(without.end(), {"--dir", tmp.file("c"), "--no-blobs"});
  const ProcessResult ok = RunDbb(without);
  EXPECT_EQ(ok.exit_code, 0) << ok.Describe();
}

// Sizes across the boundaries of both read paths (batched up to 256 KiB, then pieces of the
// 1 MiB page) and of the restore's pieces, in both modes; role names that need quoting and hold
// the ACL encoding's separator (':') and digits.
TEST_F(LargeObjectsTest, SizesAcrossBoundaries) {
  const std::string src = TestDbName("src"), dst = TestDbName("dst"), dst2 = TestDbName("dst2");
  DropAtEnd drop(*pg_, {src, dst, dst2});
  pg_->CreateDatabase(src);
  pg_->Psql("postgres",
            "DO $$ BEGIN CREATE ROLE \"12:34 odd\"\"name\"; EXCEPTION WHEN duplicate_object OR "
            "unique_violation THEN NULL; END $$;");
  const int64_t kib = 1024, mib = 1024 * 1024;
  const std::vector<int64_t> sizes = {0,       1,   256 * kib - 1, 256 * kib,  256 * kib + 1,
                                      mib - 1, mib, mib + 1,       2 * mib + 3};
  std::string sql;
  for (size_t i = 0; i < sizes.size(); ++i) {
    // Random bytes (no two pieces alike) that md5 catches if a piece is misplaced.
    sql += "SELECT lo_from_bytea(" + std::to_string(600001 + i) +
           ", substring(decode(string_agg(md5(g::text || 'x" + std::to_string(i) +
           "'), ''), 'hex') FROM 1 FOR " + std::to_string(sizes[i]) +
           ")) FROM generate_series(1, " + std::to_string(sizes[i] / 16 + 1) + ") g;\n";
  }
  sql +=
      "ALTER LARGE OBJECT 600003 OWNER TO \"12:34 odd\"\"name\";\n"
      "GRANT SELECT ON LARGE OBJECT 600004 TO \"12:34 odd\"\"name\" WITH GRANT OPTION;\n";
  pg_->Psql(src, sql);
  ASSERT_EQ(Scalar(src, "SELECT count(*) FROM pg_largeobject_metadata"),
            std::to_string(sizes.size()));
  TempDir tmp;
  for (const auto& [mode, target] :
       std::vector<std::pair<std::string, std::string>>{{"inline", dst}, {"external", dst2}}) {
    SCOPED_TRACE(mode);
    const std::string dir = tmp.file(mode);
    ASSERT_EQ(Backup(*pg_, src, dir, {"--blob-mode", mode}).exit_code, 0);
    ASSERT_EQ(Restore(*pg_, dir, target, {"--create"}).exit_code, 0);
    ExpectSameObjects(src, target);
  }
}

}  // namespace
}  // namespace dbb::testing
