// Round trip of the pagila sample database (partitioned payments, domains, enums, arrays,
// tsvector, bytea, triggers, functions, a materialized view), compared as in roundtrip_test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

// $DBBACKUP_FIXTURES/pagila, else <source>/../shared/fixtures/pagila.
std::string PagilaDir() {
  if (const char* env = std::getenv("DBBACKUP_FIXTURES"); env != nullptr && *env != '\0') {
    return std::string(env) + "/pagila";
  }
  return SourceDir() + "/../shared/fixtures/pagila";
}

TEST(PagilaTest, RoundTrip) {
  PgServer* pg = PgServer::Shared();
  if (pg == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  const std::string fixtures = PagilaDir();
  if (!std::filesystem::exists(fixtures + "/pagila-schema.sql") ||
      !std::filesystem::exists(fixtures + "/pagila-data.sql")) {
    GTEST_SKIP() << "the pagila fixture is not in " << fixtures
                 << " (set DBBACKUP_FIXTURES to the directory that holds pagila/)";
  }
  const std::string src = TestDbName("src"), dst = TestDbName("dst");
  DropAtEnd drop(*pg, {src, dst});
  pg->CreateDatabase(src);
  pg->PsqlFile(src, fixtures + "/pagila-schema.sql");
  pg->PsqlFile(src, fixtures + "/pagila-data.sql");
  ASSERT_FALSE(::testing::Test::HasFailure()) << "loading pagila failed";
  // Sanity: the fixture is what we think it is.
  ASSERT_EQ(pg->Psql(src, "SELECT count(*) FROM public.rental"), "16044\n");

  const DbSnapshot before = TakeSnapshot(*pg, src);
  TempDir tmp;
  const std::string dir = tmp.file("backup");
  ASSERT_EQ(Backup(*pg, src, dir, {"-j", "2"}).exit_code, 0);
  ASSERT_EQ(Restore(*pg, dir, dst, {"--create", "-j", "2"}).exit_code, 0);
  ExpectSameDatabase(before, TakeSnapshot(*pg, dst));

  ExpectManifestMatches(*pg, ReadManifest(dir), before.tables);
}

}  // namespace
}  // namespace dbb::testing
