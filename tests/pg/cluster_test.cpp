// The pieces of a whole-cluster backup and restore in src/pg: the list of databases and
// tablespaces, a database's own properties (database_props.h) and the globals file pg_dumpall
// writes and psql replays (pg_tools.h). Roles and tablespaces are cluster-wide and the server is
// shared by this program's tests: each test's roles carry the prefix pgc_ and go at its end.
#include "pg/cluster.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "pg/database_props.h"
#include "pg/pg_tools.h"
#include "pg_test_util.h"

namespace dbb::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kRoles[] = {"pgc_owner", "pgc_app", "pgc_reader", "pgc_lister", "pgc_pw"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Describe(const SqlError& e) {
  return std::to_string(e.line) + " " + e.sqlstate + " " + e.message;
}

std::vector<std::string> Describe(const std::vector<SqlError>& errors) {
  std::vector<std::string> out;
  for (const SqlError& e : errors) out.push_back(Describe(e));
  return out;
}

class ClusterTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped()) return;
    CleanUp();
    char dir[] = "/tmp/dbb-pgcluster-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    if (server_ != nullptr) CleanUp();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    PgTest::TearDown();
  }

  // Drops what a test made, also after a failure half-way: databases (a template one must stop
  // being a template first), the tablespace, then the roles and their privileges.
  void CleanUp() {
    for (const std::string& db : std::set<std::string>(databases_.begin(), databases_.end())) {
      server_->TryPsql("postgres", "ALTER DATABASE " + testing::QuoteIdent(db) +
                                       " WITH IS_TEMPLATE false CONNECTION LIMIT -1");
      server_->DropDatabase(db);
    }
    server_->TryPsql("postgres", "DROP TABLESPACE IF EXISTS pgc_ts");
    for (const char* role : kRoles) {
      server_->TryPsql("postgres", std::string("DROP OWNED BY ") + role);
      server_->TryPsql("postgres", std::string("DROP ROLE IF EXISTS ") + role);
    }
  }

  // A database of this test besides db_, dropped at the end; `create`: made empty now.
  std::string OtherDatabase(const std::string& suffix, bool create = true) {
    const std::string name = db_ + suffix;
    databases_.push_back(name);
    server_->DropDatabase(name);
    if (create) server_->CreateDatabase(name);
    return name;
  }

  Connection ConnectTo(const std::string& db, const std::string& user = "postgres") {
    ConnParams params = Params(db);
    params.user = user;
    Result<Connection> conn = Connection::Open(params);
    if (!conn.ok()) {
      ADD_FAILURE() << conn.status().ToString();
      std::abort();
    }
    return std::move(conn).value();
  }

  Result<DatabaseProps> PropsOf(const std::string& db) {
    Connection conn = ConnectTo(db);
    return ReadDatabaseProps(conn);
  }

  // An empty directory the server's OS user owns, for CREATE TABLESPACE.
  std::string TablespaceDir(const std::string& name) {
    const std::string dir = dir_ + "/" + name;
    std::filesystem::create_directory(dir);
    const std::string os_user = testing::ServerOsUser();
    if (!os_user.empty()) {
      const passwd* pw = ::getpwnam(os_user.c_str());
      EXPECT_NE(pw, nullptr) << os_user;
      if (pw != nullptr) {
        EXPECT_EQ(::chown(dir.c_str(), pw->pw_uid, pw->pw_gid), 0) << dir;
        // The server must reach it through dir_ (0700 from mkdtemp).
        EXPECT_EQ(::chmod(dir_.c_str(), 0755), 0) << dir_;
      }
    }
    return dir;
  }

  std::string dir_;
  std::vector<std::string> databases_;
};

// Every property a backup records, read from one database, applied to another, read back.
TEST_F(ClusterTest, DatabasePropsRoundTrip) {
  databases_.push_back(db_);  // becomes a template: CleanUp makes it an ordinary one again
  const std::string db = testing::QuoteIdent(db_);
  Psql(
      "CREATE ROLE pgc_owner; CREATE ROLE pgc_app; CREATE ROLE pgc_reader;"
      "ALTER DATABASE " +
      db +
      " OWNER TO pgc_owner;"
      "ALTER DATABASE " +
      db +
      " SET search_path = app, \"My Schema\", public;"
      "ALTER DATABASE " +
      db +
      " SET work_mem = '8MB';"
      "ALTER ROLE pgc_reader IN DATABASE " +
      db +
      " SET work_mem = '1MB';"
      "ALTER ROLE pgc_app IN DATABASE " +
      db +
      " SET search_path = a, \"b c\";"
      "ALTER ROLE pgc_app IN DATABASE " +
      db +
      " SET statement_timeout = '5s';"
      "REVOKE ALL ON DATABASE " +
      db +
      " FROM PUBLIC;"
      "GRANT CREATE, CONNECT ON DATABASE " +
      db +
      " TO pgc_app WITH GRANT OPTION;"
      "SET ROLE pgc_app; GRANT CONNECT ON DATABASE " +
      db +
      " TO pgc_reader; RESET ROLE;"
      "GRANT TEMPORARY ON DATABASE " +
      db +
      " TO PUBLIC;"
      "COMMENT ON DATABASE " +
      db +
      " IS 'it''s the source';"
      "ALTER DATABASE " +
      db + " WITH CONNECTION LIMIT 7 IS_TEMPLATE true;");
  Result<DatabaseProps> source = PropsOf(db_);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ(source->owner, "pgc_owner");
  EXPECT_EQ(source->comment, "it's the source");
  EXPECT_EQ(source->connection_limit, 7);
  EXPECT_TRUE(source->is_template);
  EXPECT_EQ(source->tablespace, "");
  EXPECT_EQ(source->locale_provider, server_->major_version() >= 15 ? "libc" : "");
  EXPECT_EQ(source->icu_locale, "");
  EXPECT_THAT(source->settings,
              ElementsAre("search_path=app, \"My Schema\", public", "work_mem=8MB"));
  EXPECT_THAT(
      source->role_settings,
      ElementsAre(RoleSettings{.role = "pgc_app",
                               .settings = {"search_path=a, \"b c\"", "statement_timeout=5s"}},
                  RoleSettings{.role = "pgc_reader", .settings = {"work_mem=1MB"}}));
  ASSERT_TRUE(source->acl.has_value());
  EXPECT_THAT(*source->acl, ElementsAre(Grant{"pgc_owner", "pgc_owner", "CREATE", false},
                                        Grant{"pgc_owner", "pgc_owner", "TEMPORARY", false},
                                        Grant{"pgc_owner", "pgc_owner", "CONNECT", false},
                                        Grant{"pgc_app", "pgc_owner", "CREATE", true},
                                        Grant{"pgc_app", "pgc_owner", "CONNECT", true},
                                        Grant{"pgc_reader", "pgc_app", "CONNECT", false},
                                        Grant{"", "pgc_owner", "TEMPORARY", false}));

  const std::string target = OtherDatabase("_copy");
  {
    Connection conn = ConnectTo(target);
    Status applied = ApplyDatabaseProps(conn, target, *source);
    ASSERT_TRUE(applied.ok()) << applied.ToString();
  }
  Result<DatabaseProps> copy = PropsOf(target);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(*copy, *source);
}

TEST_F(ClusterTest, DefaultPropsStayDefault) {
  Result<DatabaseProps> props = PropsOf(db_);
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  EXPECT_EQ(props->owner, "postgres");
  EXPECT_FALSE(props->acl.has_value());
  EXPECT_EQ(props->connection_limit, -1);
  EXPECT_FALSE(props->is_template);
  EXPECT_TRUE(props->role_settings.empty());

  const std::string target = OtherDatabase("_copy");
  Connection admin = ConnectTo("postgres");
  Status applied = ApplyDatabaseProps(admin, target, *props);
  ASSERT_TRUE(applied.ok()) << applied.ToString();
  Result<DatabaseProps> copy = PropsOf(target);
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(*copy, *props);
}

// A restore into a cluster without the backup's roles: what needs them is left out, with one
// warning per role, and the rest applies.
TEST_F(ClusterTest, MissingRolesAreWarningsNotErrors) {
  Psql("CREATE ROLE pgc_reader");
  DatabaseProps props{
      .settings = {"work_mem=3MB"},
      .comment = "kept",
      .owner = "pgc_gone_owner",
      .acl = std::vector<Grant>{{"pgc_gone_owner", "pgc_gone_owner", "CONNECT", false},
                                {"", "pgc_gone_owner", "CONNECT", false},
                                {"pgc_reader", "pgc_gone_grantor", "CONNECT", false}},
      .role_settings = {{.role = "pgc_gone_user", .settings = {"work_mem=1MB"}},
                        {.role = "pgc_reader", .settings = {"work_mem=2MB"}}}};
  Connection conn = Connect();
  ::testing::internal::CaptureStderr();
  Status applied = ApplyDatabaseProps(conn, db_, props);
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(applied.ok()) << applied.ToString();
  const std::string on = " ON DATABASE " + testing::QuoteIdent(db_);
  EXPECT_EQ(warnings,
            "dbbackup: warning: database \"" + db_ +
                "\": role \"pgc_gone_grantor\" does not exist on this server; skipped: GRANT "
                "CONNECT" +
                on +
                " TO \"pgc_reader\" (granted by it)\n"
                "dbbackup: warning: database \"" +
                db_ +
                "\": role \"pgc_gone_owner\" does not exist on this server; skipped: ALTER "
                "DATABASE OWNER TO it (the owner stays \"postgres\"); GRANT CONNECT" +
                on +
                " TO \"pgc_gone_owner\"\n"
                "dbbackup: warning: database \"" +
                db_ +
                "\": role \"pgc_gone_user\" does not exist on this server; skipped: its settings "
                "in the database (ALTER ROLE ... IN DATABASE ... SET)\n");

  Result<DatabaseProps> now = PropsOf(db_);
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_EQ(now->owner, "postgres");
  EXPECT_EQ(now->comment, "kept");
  EXPECT_THAT(now->settings, ElementsAre("work_mem=3MB"));
  EXPECT_THAT(now->role_settings,
              ElementsAre(RoleSettings{.role = "pgc_reader", .settings = {"work_mem=2MB"}}));
  // The actual owner keeps its privileges; the owner's grant to PUBLIC is made as it.
  ASSERT_TRUE(now->acl.has_value());
  EXPECT_THAT(*now->acl, ElementsAre(Grant{"postgres", "postgres", "CREATE", false},
                                     Grant{"postgres", "postgres", "TEMPORARY", false},
                                     Grant{"postgres", "postgres", "CONNECT", false},
                                     Grant{"", "postgres", "CONNECT", false}));
}

TEST_F(ClusterTest, ApplyRefusesAMissingDatabaseAndABadPrivilege) {
  Connection conn = Connect();
  Status st = ApplyDatabaseProps(conn, "pgc_no_such_db", DatabaseProps{});
  EXPECT_EQ(st.code(), StatusCode::kConnection);
  EXPECT_EQ(st.message(), "database \"pgc_no_such_db\" does not exist");

  // A privilege is a keyword in the GRANT: anything else from a backup is refused, not run.
  DatabaseProps props{.acl = std::vector<Grant>{{"", "postgres", "CONNECT; DROP TABLE t", false}}};
  st = ApplyDatabaseProps(conn, db_, props);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_EQ(st.message(), "database " + db_ +
                              ": privilege \"CONNECT; DROP TABLE t\" on a database: not CREATE, "
                              "CONNECT or TEMPORARY");
}

TEST_F(ClusterTest, CreateDatabaseRefusesAnExistingOne) {
  Connection admin = ConnectTo("postgres");
  Status st = CreateDatabase(admin, NewDatabase{.name = db_});
  EXPECT_EQ(st.code(), StatusCode::kRefused);
  EXPECT_EQ(st.message(), "target database \"" + db_ +
                              "\" already exists; drop it first, or restore into an existing "
                              "empty database without creating it");

  const std::string bad = OtherDatabase("_bad", /*create=*/false);
  st = CreateDatabase(admin, NewDatabase{.name = bad, .encoding = "NO_SUCH_ENCODING"});
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_TRUE(st.message().starts_with("CREATE DATABASE " + bad + ": ERROR ")) << st.message();
  EXPECT_THAT(st.message(), HasSubstr("is not a valid encoding name"));
}

TEST_F(ClusterTest, CreateDatabaseWithLocaleAndTablespace) {
  Connection admin = ConnectTo("postgres");
  const std::string plain = OtherDatabase("_plain", /*create=*/false);
  Status st = CreateDatabase(
      admin, {.name = plain, .encoding = "UTF8", .lc_collate = "C", .lc_ctype = "C.utf8"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  Result<QueryResult> r = admin.Query(
      "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database"
      " WHERE datname = $1",
      {plain});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Get(0, 0), "UTF8");
  EXPECT_EQ(r->Get(0, 1), "C");
  EXPECT_EQ(r->Get(0, 2), "C.utf8");

  const std::string location = TablespaceDir("ts");
  Psql("CREATE ROLE pgc_owner; CREATE TABLESPACE pgc_ts OWNER pgc_owner LOCATION " +
       testing::QuoteLiteral(location));
  Result<std::vector<TablespaceInfo>> tablespaces = ListTablespaces(admin);
  ASSERT_TRUE(tablespaces.ok()) << tablespaces.status().ToString();
  EXPECT_THAT(*tablespaces, ElementsAre(TablespaceInfo{"pgc_ts", "pgc_owner", location}));

  const std::string in_ts = OtherDatabase("_ts", /*create=*/false);
  st = CreateDatabase(admin, {.name = in_ts, .tablespace = "pgc_ts"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  Result<DatabaseProps> props = PropsOf(in_ts);
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  EXPECT_EQ(props->tablespace, "pgc_ts");

  const std::string elsewhere = OtherDatabase("_nots", /*create=*/false);
  ::testing::internal::CaptureStderr();
  st = CreateDatabase(admin, {.name = elsewhere, .tablespace = "pgc_no_such_ts"});
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(warnings, "dbbackup: warning: tablespace \"pgc_no_such_ts\" of database \"" +
                          elsewhere +
                          "\" does not exist on this server; the database goes to pg_default\n");
  props = PropsOf(elsewhere);
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  EXPECT_EQ(props->tablespace, "");
}

TEST_F(ClusterTest, CreateDatabaseWithIcu) {
  Connection admin = ConnectTo("postgres");
  Result<QueryResult> icu =
      admin.Query("SELECT count(*) FROM pg_collation WHERE collprovider = 'i'");
  ASSERT_TRUE(icu.ok()) << icu.status().ToString();
  if (server_->major_version() < 15 || icu->GetInt64(0, 0) == 0) {
    GTEST_SKIP() << "this server has no ICU locale provider";
  }
  const std::string name = OtherDatabase("_icu", /*create=*/false);
  Status st = CreateDatabase(admin, {.name = name,
                                     .encoding = "UTF8",
                                     .lc_collate = "C",
                                     .lc_ctype = "C",
                                     .locale_provider = "icu",
                                     .icu_locale = "en-US"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  Result<DatabaseProps> props = PropsOf(name);
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  EXPECT_EQ(props->locale_provider, "icu");
  EXPECT_EQ(props->icu_locale, "en-US");
}

TEST_F(ClusterTest, ListDatabasesLargestFirst) {
  // db_ grows past the ~7 MB of an empty database.
  Psql("CREATE TABLE t AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 50000) g");
  const std::string noconn = OtherDatabase("_noconn");
  Psql("ALTER DATABASE " + testing::QuoteIdent(noconn) + " WITH ALLOW_CONNECTIONS false");
  Connection conn = Connect();
  Result<std::vector<DatabaseInfo>> dbs = ListDatabases(conn);
  ASSERT_TRUE(dbs.ok()) << dbs.status().ToString();
  std::vector<std::string> names;
  for (const DatabaseInfo& d : *dbs) names.push_back(d.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre(db_, "postgres", "template1"));
  EXPECT_EQ(names.front(), db_);
  for (size_t i = 1; i < dbs->size(); ++i) {
    const DatabaseInfo& a = (*dbs)[i - 1];
    const DatabaseInfo& b = (*dbs)[i];
    EXPECT_TRUE(a.size_bytes > b.size_bytes || (a.size_bytes == b.size_bytes && a.name < b.name))
        << a.name << " " << a.size_bytes << ", " << b.name << " " << b.size_bytes;
  }
  EXPECT_GT((*dbs)[0].size_bytes, 10u << 20);
  for (const DatabaseInfo& d : *dbs) EXPECT_EQ(d.is_template, d.name == "template1") << d.name;

  // A role that may not connect to db_ still lists it, at size 0.
  Psql("CREATE ROLE pgc_lister LOGIN; REVOKE CONNECT ON DATABASE " + testing::QuoteIdent(db_) +
       " FROM PUBLIC");
  Connection lister = ConnectTo("postgres", "pgc_lister");
  dbs = ListDatabases(lister);
  ASSERT_TRUE(dbs.ok()) << dbs.status().ToString();
  ASSERT_EQ(dbs->size(), 3u);
  EXPECT_EQ(dbs->back().name, db_);
  EXPECT_EQ(dbs->back().size_bytes, 0u);
  EXPECT_GT(dbs->front().size_bytes, 0u);
}

TEST_F(ClusterTest, DumpGlobalsAndRunThemBack) {
  Psql(
      "CREATE ROLE pgc_pw LOGIN PASSWORD 'pgc-secret'; CREATE ROLE pgc_app;"
      "GRANT pgc_app TO pgc_pw; COMMENT ON ROLE pgc_app IS 'the app'");
  Connection conn = Connect();
  const std::string with = dir_ + "/globals.sql";
  Status st = DumpGlobals(conn, {.out_path = with});
  ASSERT_TRUE(st.ok()) << st.ToString();
  struct stat info {};
  ASSERT_EQ(::stat(with.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const std::string text = ReadFile(with);
  EXPECT_THAT(text, HasSubstr("CREATE ROLE pgc_pw;"));
  EXPECT_THAT(text, HasSubstr("PASSWORD 'SCRAM-SHA-256$"));
  EXPECT_THAT(text, HasSubstr("COMMENT ON ROLE pgc_app IS 'the app';"));

  const std::string without = dir_ + "/globals-nopw.sql";
  st = DumpGlobals(conn, {.out_path = without, .role_passwords = false});
  ASSERT_TRUE(st.ok()) << st.ToString();
  const std::string text_nopw = ReadFile(without);
  EXPECT_THAT(text_nopw, HasSubstr("CREATE ROLE pgc_pw;"));
  EXPECT_THAT(text_nopw, Not(HasSubstr("PASSWORD")));

  // Into the same server: every role exists already, and that is all that fails.
  std::vector<std::string> expected;
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (!line.starts_with("CREATE ROLE ")) continue;
    const std::string role = line.substr(12, line.size() - 13);
    expected.push_back(std::to_string(n) + " 42710 role \"" + role + "\" already exists");
  }
  EXPECT_THAT(expected, ::testing::Contains(HasSubstr("role \"pgc_pw\" already exists")));
  Result<GlobalsOutcome> outcome = RunGlobals(conn, with, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(Describe(outcome->existing), expected);
  EXPECT_THAT(Describe(outcome->errors), ElementsAre());
}

TEST_F(ClusterTest, DumpGlobalsWithoutSuperuserNamesTheFix) {
  Psql("CREATE ROLE pgc_lister LOGIN");
  Connection conn = ConnectTo(db_, "pgc_lister");
  Status st = DumpGlobals(conn, {.out_path = dir_ + "/g.sql"});
  EXPECT_EQ(st.code(), StatusCode::kServer);
  EXPECT_TRUE(st.message().starts_with("pg_dumpall failed (exit 1): ")) << st.message();
  EXPECT_THAT(st.message(), HasSubstr("permission denied for table pg_authid"));
  EXPECT_TRUE(st.message().ends_with(
      "\nconnect as a superuser, or leave the role passwords out (--no-role-passwords)"))
      << st.message();
  st = DumpGlobals(conn, {.out_path = dir_ + "/g.sql", .role_passwords = false});
  EXPECT_TRUE(st.ok()) << st.ToString();
}

// Each error with its line; notices are not errors; psql's own errors (an unknown meta-command)
// count too.
TEST_F(ClusterTest, RunGlobalsSortsTheErrors) {
  Psql("CREATE ROLE pgc_app");
  const std::string path = dir_ + "/g.sql";
  std::ofstream(path) << "SET client_min_messages = notice;\n"
                         "DROP ROLE IF EXISTS pgc_never;\n"
                         "CREATE ROLE pgc_app;\n"
                         "THIS IS NOT SQL;\n"
                         "SELECT\n  1/0;\n"
                         "\\no_such_command\n"
                         "CREATE ROLE pgc_reader;\n";
  Connection conn = Connect();
  Result<GlobalsOutcome> outcome = RunGlobals(conn, path, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_THAT(Describe(outcome->existing), ElementsAre("3 42710 role \"pgc_app\" already exists"));
  EXPECT_THAT(Describe(outcome->errors),
              ElementsAre("4 42601 syntax error at or near \"THIS\"", "6 22012 division by zero",
                          "7  invalid command \\no_such_command"));
  Result<QueryResult> r = conn.Query("SELECT count(*) FROM pg_roles WHERE rolname = 'pgc_reader'");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->GetInt64(0, 0), 1);
}

TEST_F(ClusterTest, RunGlobalsFailsWhenPsqlDoes) {
  Connection conn = Connect();
  Result<GlobalsOutcome> outcome = RunGlobals(conn, dir_ + "/missing.sql", nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.status().code(), StatusCode::kServer);
  EXPECT_TRUE(outcome.status().message().starts_with("psql failed (exit 1): "))
      << outcome.status().message();
  EXPECT_THAT(outcome.status().message(), HasSubstr("No such file or directory"));
}

// MapTablespaceLocations is pure text work: no server.
const char* const kGlobals =
    "SET standard_conforming_strings = on;\n"
    "CREATE TABLESPACE ts1 OWNER app LOCATION '/tmp/ts_exp';\n"
    "CREATE TABLESPACE \"odd LOCATION '/tmp/ts_exp';\" OWNER \"My Owner\" LOCATION "
    "'/data/it''s here';\n"
    "ALTER TABLESPACE ts1 SET (seq_page_cost='2');\n"
    "-- CREATE TABLESPACE in a comment LOCATION '/tmp/ts_exp';\n"
    "CREATE TABLESPACE ts3 OWNER app LOCATION '/keep';";

TEST(MapTablespaceLocations, ReplacesOnlyTheMappedLocations) {
  Result<std::string> mapped =
      MapTablespaceLocations(kGlobals, {{"/tmp/ts_exp", "/new/ts1"}, {"/data/it's here/", "/o'k"}});
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_EQ(*mapped,
            "SET standard_conforming_strings = on;\n"
            "CREATE TABLESPACE ts1 OWNER app LOCATION '/new/ts1';\n"
            "CREATE TABLESPACE \"odd LOCATION '/tmp/ts_exp';\" OWNER \"My Owner\" LOCATION "
            "'/o''k';\n"
            "ALTER TABLESPACE ts1 SET (seq_page_cost='2');\n"
            "-- CREATE TABLESPACE in a comment LOCATION '/tmp/ts_exp';\n"
            "CREATE TABLESPACE ts3 OWNER app LOCATION '/keep';");

  mapped = MapTablespaceLocations(kGlobals, {{"/keep", "/kept"}});
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_TRUE(mapped->ends_with("LOCATION '/kept';")) << *mapped;

  mapped = MapTablespaceLocations(kGlobals, {});
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_EQ(*mapped, kGlobals);
}

TEST(MapTablespaceLocations, RefusesWhatCannotBeRight) {
  Result<std::string> mapped = MapTablespaceLocations(kGlobals, {{"/nowhere", "/x"}});
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mapped.status().message(),
            "tablespace mapping /nowhere=/x: no tablespace of the backup is at /nowhere (they are "
            "at /tmp/ts_exp, /data/it's here, /keep)");

  mapped = MapTablespaceLocations("SET x = 1;\n", {{"/a", "/b"}});
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.status().message(),
            "tablespace mapping /a=/b: no tablespace of the backup is at /a (it has none)");

  mapped = MapTablespaceLocations(kGlobals, {{"tmp/ts_exp", "/x"}});
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(mapped.status().message(),
            "tablespace mapping tmp/ts_exp=/x: \"tmp/ts_exp\" is not an absolute path");

  mapped = MapTablespaceLocations(kGlobals, {{"/tmp/ts_exp", "x"}});
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.status().message(),
            "tablespace mapping /tmp/ts_exp=x: \"x\" is not an absolute path");

  mapped = MapTablespaceLocations(kGlobals, {{"/tmp/ts_exp", "/a"}, {"/tmp/ts_exp/", "/b"}});
  ASSERT_FALSE(mapped.ok());
  EXPECT_EQ(mapped.status().message(), "tablespace mapping: /tmp/ts_exp/ is mapped more than once");
}

}  // namespace
}  // namespace dbb::pg
