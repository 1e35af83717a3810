// --table, --exclude-table and --schema: a backup of part of a database, and a restore of part of
// a backup, each with what the selected tables need (indexes, constraints, owned sequences,
// partition parents) and nothing of the rest. Compared with the source independently of dbbackup.
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <set>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

class SelectionTest : public ServerTest {
 protected:
  // Creates the generated database src_ (src_ and dst_ are dropped when the test ends), keeps
  // its table fingerprints in all_, and backs it up with `flags` into dir_.
  void BackUpGeneratedDb(const std::vector<std::string>& flags) {
    drop_.emplace(*pg_, std::vector<std::string>{src_, dst_});
    CreateGeneratedDb(*pg_, src_, Volume::kSmall);
    all_ = TableFingerprints(*pg_, src_);
    ASSERT_EQ(Backup(*pg_, src_, dir_, flags).exit_code, 0);
  }

  // The source's fingerprints of `names` only, for comparing with a partial restore.
  std::map<std::string, std::string> Only(const std::map<std::string, std::string>& all,
                                          const std::set<std::string>& names) {
    std::map<std::string, std::string> out;
    for (const auto& [name, fp] : all) {
      if (names.contains(name)) out[name] = fp;
    }
    EXPECT_EQ(out.size(), names.size()) << "a name in the test is not a table of the source";
    return out;
  }

  std::string Scalar(const std::string& db, const std::string& sql) {
    std::string out = pg_->Psql(db, sql);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  const std::string src_ = TestDbName("src");
  const std::string dst_ = TestDbName("dst");
  TempDir tmp_;
  const std::string dir_ = tmp_.file("backup");
  std::map<std::string, std::string> all_;
  std::optional<DropAtEnd> drop_;  // declared last: drops the databases first
};

// Restore two tables of a full backup: their rows, indexes, the foreign key between them; no
// other table, and the files of other tables are not read.
TEST_F(SelectionTest, RestoreTwoTablesOfAFullBackup) {
  ASSERT_NO_FATAL_FAILURE(BackUpGeneratedDb({"-j", "2"}));
  // Not read: remove every other table's files (restore checks only what it loads).
  const nlohmann::json m = ReadManifest(dir_);
  for (const auto& t : m["tables"]) {
    if (t["schema"] == "app" && (t["name"] == "orders" || t["name"] == "customers")) continue;
    for (const auto& f : t["files"]) {
      ASSERT_EQ(::unlink((dir_ + "/" + f["file"].get<std::string>()).c_str()), 0);
    }
  }
  ASSERT_EQ(Restore(*pg_, dir_, dst_, {"--create", "-t", "app.orders", "--table", "app.CUSTOMERS"})
                .exit_code,
            0);
  ExpectSameEntries(Only(all_, {"app.orders", "app.customers"}), TableFingerprints(*pg_, dst_),
                    "restored tables");
  EXPECT_EQ(Scalar(dst_,
                   "SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint "
                   "WHERE conrelid = 'app.orders'::regclass"),
            "orders_customer_id_fkey,orders_pkey");
  EXPECT_EQ(Scalar(dst_,
                   "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app' "
                   "AND tablename IN ('orders', 'customers')"),
            Scalar(src_,
                   "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app' "
                   "AND tablename IN ('orders', 'customers')"));
}

// A schema without one of its tables: partitioned tables come with their parents, serial and
// identity sequences with their values; a foreign key into a table left out is left out too.
TEST_F(SelectionTest, RestoreSchemaExceptOneTable) {
  ASSERT_NO_FATAL_FAILURE(BackUpGeneratedDb({"--chunk-size", "1MB"}));
  ASSERT_EQ(Restore(*pg_, dir_, dst_, {"--create", "-j", "2", "-n", "app", "-T", "app.customers"})
                .exit_code,
            0);
  std::set<std::string> expected;
  for (const auto& [name, fp] : all_) {
    if (name.starts_with("app.") && name != "app.customers") expected.insert(name);
  }
  ExpectSameEntries(Only(all_, expected), TableFingerprints(*pg_, dst_), "restored tables");
  EXPECT_EQ(Scalar(dst_, "SELECT to_regclass('app.customers') IS NULL"), "t");
  EXPECT_EQ(Scalar(dst_,
                   "SELECT count(*) FROM pg_constraint WHERE conrelid = 'app.orders'::regclass "
                   "AND contype = 'f'"),
            "0");
  const auto seqs = SequenceStates(*pg_, src_);
  const auto restored = SequenceStates(*pg_, dst_);
  for (const auto& [name, state] : restored) {
    ASSERT_TRUE(seqs.contains(name)) << name;
    EXPECT_EQ(seqs.at(name), state) << name;
  }
  EXPECT_TRUE(restored.contains("app.serials_id_seq"));
}

// A backup of one table (an inheritance parent without its child): only its data, and a restore
// of that backup gives that table alone.
TEST_F(SelectionTest, BackupOfOneTable) {
  ASSERT_NO_FATAL_FAILURE(BackUpGeneratedDb({"--table", "app.vehicles"}));
  const nlohmann::json m = ReadManifest(dir_);
  ASSERT_EQ(m["tables"].size(), 1u) << m["tables"].dump(1);
  EXPECT_EQ(m["selection"], "--table 'app.vehicles'");
  const ProcessResult list = RunDbb({"list", dir_});
  EXPECT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_NE(list.out.find("part of the database: --table 'app.vehicles'"), std::string::npos)
      << list.out;
  ASSERT_EQ(Restore(*pg_, dir_, dst_, {"--create"}).exit_code, 0);
  ExpectSameEntries(Only(all_, {"app.vehicles"}), TableFingerprints(*pg_, dst_), "restored");
}

TEST_F(SelectionTest, BadPatternsAndEmptySelectionsAreUsageErrors) {
  ASSERT_NO_FATAL_FAILURE(BackUpGeneratedDb({}));
  auto run = [&](std::vector<std::string> args) {
    for (const auto& a : pg_->ConnArgs()) args.push_back(a);
    return RunDbb(args);
  };
  ProcessResult r = run({"backup", "single", src_, "--dir", tmp_.file("b2"), "-t", "a.b.c.d"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("--table"), std::string::npos) << r.err;
  r = run({"restore", "single", dir_, "-d", TestDbName("none"), "--create", "-t", "nosuch*"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
  EXPECT_NE(r.err.find("matches no relation"), std::string::npos) << r.err;
  r = run({"restore", "single", dir_, "-d", TestDbName("none"), "--create", "-t", "\"open"});
  EXPECT_EQ(r.exit_code, 2) << r.Describe();
}

}  // namespace
}  // namespace dbb::testing
