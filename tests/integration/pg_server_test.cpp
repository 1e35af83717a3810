// The test server itself: it starts, answers over its socket, and refuses root-less shortcuts.
#include "support/pg_server.h"

#include <gtest/gtest.h>

namespace dbb::testing {
namespace {

TEST(PgServerTest, StartsAndAnswers) {
  PgServer* pg = PgServer::Shared();
  if (pg == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  EXPECT_EQ(pg->Psql("postgres", "SELECT 1"), "1\n");
  EXPECT_GE(pg->major_version(), 12);
  EXPECT_GT(pg->port(), 0);
}

TEST(PgServerTest, CreatesAndDropsDatabases) {
  PgServer* pg = PgServer::Shared();
  if (pg == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  pg->DropDatabase("pg server test \"db\"");
  pg->CreateDatabase("pg server test \"db\"");
  EXPECT_EQ(pg->Psql("pg server test \"db\"", "SELECT current_database()"),
            "pg server test \"db\"\n");
  pg->DropDatabase("pg server test \"db\"");
  EXPECT_EQ(
      pg->Psql("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'pg server%'"),
      "0\n");
}

TEST(PgServerTest, ReportsSqlErrorsOnStderr) {
  PgServer* pg = PgServer::Shared();
  if (pg == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  ProcessResult r = pg->TryPsql("postgres", "SELECT * FROM no_such_table");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no_such_table"), std::string::npos) << r.err;
}

TEST(PgServerTest, TcpRequiresPassword) {
  PgServer* pg = PgServer::Shared();
  if (pg == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  ProcessResult r = RunProcess(
      {.argv = {pg->Tool("psql"), "-X", "-At", "-h", "127.0.0.1", "-p", std::to_string(pg->port()),
                "-U", "postgres", "-d", "postgres", "-w", "-c", "SELECT 1"}});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("password"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dbb::testing
