// A backup is one snapshot: with a writer committing one row to each of two tables per
// transaction while the backup runs over several connections, the restored tables hold exactly
// the same ids (a backup that read them at different moments would not).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

TEST(ConsistencyTest, ConcurrentWritesDoNotTearTheSnapshot) {
  PgServer* pg = PgServer::Shared();
  if (pg == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg, {src, dst});
  pg->CreateDatabase(src);
  // Tables of different sizes so that the jobs reach `a` and `b` at different times; `big`
  // keeps one job busy.
  pg->Psql(src,
           "CREATE TABLE big (id integer, v text);\n"
           "INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 100000) g;\n"
           "CREATE TABLE a (id bigint PRIMARY KEY, pad text);\n"
           "CREATE TABLE b (id bigint PRIMARY KEY);\n"
           "CREATE SEQUENCE ids;\n"
           "INSERT INTO a SELECT g, repeat('x', 200) FROM generate_series(1, 100000) g;\n"
           "INSERT INTO b SELECT g FROM generate_series(1, 100000) g;\n"
           "SELECT setval('ids', 100000);\n");

  // The writer: one transaction per id, into both tables, for up to 60 s.
  std::vector<std::string> writer_argv = {pg->Tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"};
  for (const auto& a : pg->ConnArgs()) writer_argv.push_back(a);
  writer_argv.insert(writer_argv.end(), {"-d", src});
  Subprocess writer({.argv = writer_argv,
                     .stdin_data =
                         "DO $$ DECLARE n bigint; stop timestamptz := clock_timestamp() + "
                         "interval '60 s'; BEGIN\n"
                         "  WHILE clock_timestamp() < stop LOOP\n"
                         "    n := nextval('ids');\n"
                         "    INSERT INTO a VALUES (n, 'w');\n"
                         "    INSERT INTO b VALUES (n);\n"
                         "    COMMIT;\n"
                         "  END LOOP;\n"
                         "END $$;\n",
                     .env = {{"PGAPPNAME", "dbb_it_writer"}}});
  ASSERT_TRUE(writer.started()) << writer.start_error();
  std::string count;
  for (int i = 0; i < 250; ++i) {  // wait until it is writing
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    count = pg->Psql(src, "SELECT count(*) > 100000 FROM b");
    if (count == "t\n") break;
  }
  ASSERT_EQ(count, "t\n") << "the writer did not start";

  TempDir tmp;
  const ProcessResult backup = Backup(*pg, src, tmp.file("b"), {"-j", "3"});
  const std::string after_backup = pg->Psql(src, "SELECT count(*) FROM b");
  pg->Psql("postgres",
           "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
           "WHERE application_name = 'dbb_it_writer'");
  ASSERT_EQ(backup.exit_code, 0);
  ASSERT_EQ(Restore(*pg, tmp.file("b"), dst, {"--create", "-j", "3"}).exit_code, 0);

  const std::string restored_a = pg->Psql(dst, "SELECT count(*) FROM a");
  EXPECT_EQ(pg->Psql(dst, "SELECT count(*) FROM b"), restored_a);
  EXPECT_EQ(pg->Psql(dst,
                     "SELECT count(*) FROM a FULL JOIN b USING (id) "
                     "WHERE a.id IS NULL OR b.id IS NULL"),
            "0\n")
      << "ids in one table and not the other: the tables were read from different snapshots";
  // The writer did write during the backup, so the check above meant something.
  EXPECT_LT(std::stoll(restored_a), std::stoll(after_backup))
      << "no row was committed after the snapshot";
  EXPECT_GT(std::stoll(restored_a), 100000);
  // The sequence was read no earlier than the snapshot: the next id is free.
  EXPECT_EQ(pg->Psql(dst, "SELECT last_value >= (SELECT max(id) FROM a) FROM ids"), "t\n");
}

}  // namespace
}  // namespace dbb::testing
