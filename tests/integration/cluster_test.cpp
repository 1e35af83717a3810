// Whole-cluster backup and restore: `backup cluster` of a source cluster that holds roles (with
// attributes, a password, memberships, settings), a tablespace (with a table in it and a database
// whose default tablespace it is), pagila (or the generated database), a database with large
// objects and its own properties (owner, ACL, settings, role-in-database settings, comment,
// connection limit) and a marker table in `postgres`; `restore cluster` into a second, fresh
// server with the tablespace mapped elsewhere; then everything compared in SQL on both servers,
// independently of dbbackup. Also: a database whose table stays locked times out and makes a
// partial backup whose other databases are complete and restorable, and the refusals of
// `restore cluster` (into the source without --clean, an unknown --databases name), and --clean
// of one database.
//
// The source is PgServer::Shared(), used by this program alone; its one cluster backup and the
// restore into the second server are made once (lazily, by the first test that needs them) and
// shared by the tests.
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "integration/db_compare.h"
#include "integration/dbbackup_cli.h"
#include "support/pg_server.h"
#include "support/prometheus_text.h"
#include "support/test_util.h"

namespace dbb::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr char kPagilaDb[] = "it_cl_pagila";
constexpr char kPropsDb[] = "it_cl_props";
// Needs quoting, and its directory name needs making file-safe (space, capital, slash).
constexpr char kTsDb[] = "it_cl TS/db";
constexpr char kTablespace[] = "it_cl_ts";
constexpr char kOwnerPassword[] = "owner pw: it's 1";

// ---------------------------------------------------------------------------------------------
// Small helpers

std::string CommandText(const std::vector<std::string>& args) {
  std::string s = "dbbackup";
  for (const auto& a : args) s += " " + a;
  return s;
}

std::vector<std::string> WithConn(const PgServer& pg, std::vector<std::string> args) {
  for (const auto& a : pg.ConnArgs()) args.push_back(a);
  return args;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs dbbackup with `args`; when it is still running after `limit_s`, kills it (SIGKILL) with a
// test failure, so that a wait that never ends cannot hold the test.
ProcessResult RunDbbBounded(const std::vector<std::string>& args, double limit_s) {
  std::vector<std::string> argv = {DbbBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess p(ProcessOptions{.argv = argv});
  const auto deadline = Clock::now() + std::chrono::duration<double>(limit_s);
  while (p.started() && !p.Exited() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!p.Exited()) {
    ADD_FAILURE() << CommandText(args) << "\nstill running after " << limit_s << " s: killed";
    p.Signal(SIGKILL);
  }
  return p.Wait();
}

// CRC-32C (Castagnoli), the standard one: Crc32c("123456789") == 0xe3069283.
uint32_t Crc32c(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (char ch : bytes) {
    crc ^= static_cast<uint32_t>(static_cast<unsigned char>(ch));
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

std::string Hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// A string field of a JSON object; "" with a test failure when missing or not a string.
std::string Str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_string()) {
    ADD_FAILURE() << "no string \"" << key << "\" in " << j.dump().substr(0, 1000);
    return "";
  }
  return j.at(key).get<std::string>();
}

// An unsigned number field; 0 with a test failure when missing or not one.
uint64_t Num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number_unsigned()) {
    ADD_FAILURE() << "no unsigned number \"" << key << "\" in " << j.dump().substr(0, 1000);
    return 0;
  }
  return j.at(key).get<uint64_t>();
}

double Seconds(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number() || j.at(key).get<double>() < 0) {
    ADD_FAILURE() << "no non-negative number \"" << key << "\" in " << j.dump().substr(0, 1000);
    return 0;
  }
  return j.at(key).get<double>();
}

json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "no " << path;
    return nullptr;
  }
  try {
    return json::parse(in);
  } catch (const std::exception& e) {
    ADD_FAILURE() << path << ": " << e.what();
    return nullptr;
  }
}

json ParseJson(const std::string& text, const std::string& what) {
  try {
    return json::parse(text);
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << " is not JSON (" << e.what() << "):\n" << text.substr(0, 2000);
    return nullptr;
  }
}

// An empty directory owned by the server's OS user (mode 0700), as CREATE TABLESPACE requires,
// in a place that user can reach (TempDir's parent may be root-only); removed with its contents
// when destroyed (after the server that used it is gone or has dropped the tablespace).
class ServerOwnedDir {
 public:
  ServerOwnedDir() {
    const std::string user = ServerOsUser();
    for (const char* base : {"/var/tmp", "/tmp"}) {
      std::string pattern = std::string(base) + "/dbbts.XXXXXX";
      std::vector<char> buf(pattern.begin(), pattern.end());
      buf.push_back('\0');
      if (::mkdtemp(buf.data()) == nullptr) continue;
      const std::string dir = buf.data();
      if (!user.empty()) {
        struct passwd* pw = ::getpwnam(user.c_str());
        if (pw == nullptr || ::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
          std::error_code ec;
          fs::remove_all(dir, ec);
          continue;
        }
      }
      path_ = dir;
      return;
    }
  }
  ~ServerOwnedDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ServerOwnedDir(const ServerOwnedDir&) = delete;
  ServerOwnedDir& operator=(const ServerOwnedDir&) = delete;
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------------------------
// What is compared, read in SQL on each server

// `acl` (NULL: the default for object kind `kind` and owner `owner`, acldefault()) as sorted
// "grantor>grantee:PRIVILEGE[*]" entries (* = WITH GRANT OPTION), names instead of OIDs.
std::string AclSql(const std::string& acl, char kind, const std::string& owner) {
  return "(SELECT coalesce(string_agg(e, ',' ORDER BY e), '') FROM (SELECT "
         "pg_get_userbyid(a.grantor) || '>' || CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE "
         "pg_get_userbyid(a.grantee) END || ':' || a.privilege_type || CASE WHEN a.is_grantable "
         "THEN '*' ELSE '' END AS e FROM aclexplode(coalesce(" +
         acl + ", acldefault('" + std::string(1, kind) + "', " + owner + "))) AS a) AS x)";
}

// Every role but the predefined pg_* ones, with every attribute pg_roles shows except the OID and
// the (masked) password, its settings (sorted) and comment.
std::string RolesText(const PgServer& pg) {
  return pg.Psql("postgres",
                 "SET TimeZone = 'UTC';\n"
                 "SELECT rolname, 'super=' || rolsuper, 'inherit=' || rolinherit, "
                 "'createrole=' || rolcreaterole, 'createdb=' || rolcreatedb, "
                 "'login=' || rolcanlogin, 'replication=' || rolreplication, "
                 "'connlimit=' || rolconnlimit, 'validuntil=' || coalesce(rolvaliduntil::text, "
                 "'-'), 'bypassrls=' || rolbypassrls, 'config=' || coalesce((SELECT "
                 "string_agg(c, ',' ORDER BY c) FROM unnest(rolconfig) AS c), '-'), "
                 "'comment=' || coalesce(shobj_description(oid, 'pg_authid'), '-') "
                 "FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname");
}

// The stored password verifiers (SCRAM: salted, so equal only when copied), by role.
std::string PasswordsText(const PgServer& pg) {
  return pg.Psql("postgres",
                 "SELECT rolname, coalesce(md5(rolpassword), '<none>') FROM pg_authid "
                 "WHERE rolname !~ '^pg_' ORDER BY rolname");
}

std::string MembershipsText(const PgServer& pg) {
  const std::string extra =
      pg.major_version() >= 16 ? ", 'inherit=' || m.inherit_option, 'set=' || m.set_option" : "";
  return pg.Psql("postgres",
                 "SELECT r.rolname || ' -> ' || u.rolname, 'grantor=' || "
                 "coalesce(g.rolname, '-'), 'admin=' || m.admin_option" +
                     extra +
                     " FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                     "JOIN pg_roles u ON u.oid = m.member LEFT JOIN pg_roles g "
                     "ON g.oid = m.grantor ORDER BY 1, 2");
}

// pg_db_role_setting by names: ALTER ROLE SET ("* / role"), ALTER DATABASE SET ("db / *") and
// ALTER ROLE IN DATABASE SET ("db / role"), each setting list sorted.
std::string SettingsText(const PgServer& pg, const std::string& only_db = "") {
  return pg.Psql(
      "postgres",
      "SELECT coalesce(d.datname, '*') || ' / ' || coalesce(r.rolname, '*') || ': ' || "
      "(SELECT string_agg(c, ', ' ORDER BY c) FROM unnest(s.setconfig) AS c) "
      "FROM pg_db_role_setting s LEFT JOIN pg_database d ON d.oid = s.setdatabase "
      "LEFT JOIN pg_roles r ON r.oid = s.setrole" +
          (only_db.empty() ? std::string() : " WHERE d.datname = " + QuoteLiteral(only_db)) +
          " ORDER BY 1");
}

// The tablespaces but pg_default and pg_global, without their location (compared on its own).
std::string TablespacesText(const PgServer& pg) {
  return pg.Psql("postgres",
                 "SELECT spcname, 'owner=' || pg_get_userbyid(spcowner), 'options=' || "
                 "coalesce(array_to_string(spcoptions, ','), '-'), 'comment=' || "
                 "coalesce(shobj_description(oid, 'pg_tablespace'), '-'), 'acl=' || " +
                     AclSql("spcacl", 't', "spcowner") +
                     " FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') "
                     "ORDER BY spcname");
}

std::string TablespaceLocation(const PgServer& pg, const std::string& name) {
  return Trimmed(pg.Psql("postgres",
                         "SELECT pg_tablespace_location(oid) FROM pg_tablespace "
                         "WHERE spcname = " +
                             QuoteLiteral(name)));
}

// The database's own properties (one per line), as pg_database and its catalogs hold them.
std::string DatabasePropsText(const PgServer& pg, const std::string& db) {
  const std::string provider =
      pg.major_version() >= 15 ? "'locale provider=' || d.datlocprovider::text, " : "";
  return pg.Psql(
      "postgres",
      "SELECT concat_ws(E'\\n', 'owner=' || pg_get_userbyid(d.datdba), 'encoding=' || "
      "pg_encoding_to_char(d.encoding), 'collate=' || d.datcollate, 'ctype=' || d.datctype, " +
          provider +
          "'connection limit=' || d.datconnlimit, 'template=' || d.datistemplate, "
          "'allow connections=' || d.datallowconn, 'tablespace=' || t.spcname, 'comment=' || "
          "coalesce(shobj_description(d.oid, 'pg_database'), '-'), 'acl=' || " +
          AclSql("d.datacl", 'd', "d.datdba") +
          ") FROM pg_database d JOIN pg_tablespace t ON t.oid = d.dattablespace "
          "WHERE d.datname = " +
          QuoteLiteral(db));
}

// Each large object: OID, owner, ACL, comment and the md5 of its content.
std::string LargeObjectsText(const PgServer& pg, const std::string& db) {
  return pg.Psql(db, "SELECT oid || ' | ' || pg_get_userbyid(lomowner) || ' | ' || " +
                         AclSql("lomacl", 'L', "lomowner") +
                         " || ' | ' || coalesce(obj_description(oid, 'pg_largeobject'), '-') || "
                         "' | ' || md5(lo_get(oid)) FROM pg_catalog.pg_largeobject_metadata "
                         "ORDER BY oid");
}

// The connectable databases but template0, sorted.
std::vector<std::string> ConnectableDatabases(const PgServer& pg) {
  return Lines(pg.Psql("postgres",
                       "SELECT datname FROM pg_database WHERE datallowconn AND datname <> "
                       "'template0' ORDER BY datname COLLATE \"C\""));
}

struct DbState {
  DbSnapshot snapshot;
  std::string props;
  std::string settings;
  std::string large_objects;
};

DbState CaptureDb(const PgServer& pg, const std::string& db) {
  return DbState{.snapshot = TakeSnapshot(pg, db),
                 .props = DatabasePropsText(pg, db),
                 .settings = SettingsText(pg, db),
                 .large_objects = LargeObjectsText(pg, db)};
}

void ExpectSameDb(const DbState& expected, const PgServer& pg, const std::string& db) {
  SCOPED_TRACE("database " + db);
  const DbState actual = CaptureDb(pg, db);
  ExpectSameDatabase(expected.snapshot, actual.snapshot);
  ExpectSameText(expected.props, actual.props, "properties of database " + db);
  ExpectSameText(expected.settings, actual.settings, "settings in database " + db);
  ExpectSameText(expected.large_objects, actual.large_objects, "large objects of " + db);
}

struct ClusterState {
  std::string roles, passwords, memberships, settings, tablespaces;
  std::map<std::string, DbState> dbs;
};

// ---------------------------------------------------------------------------------------------
// The source cluster

// Globals, in the `postgres` database. %OLD% is the tablespace's directory.
constexpr char kGlobalsSql[] = R"sql(
CREATE ROLE it_cl_owner LOGIN CREATEDB CONNECTION LIMIT 5 VALID UNTIL '2099-12-31 23:59:59+00'
  PASSWORD %PASSWORD%;
CREATE ROLE it_cl_app NOLOGIN;
ALTER ROLE it_cl_app SET work_mem = '8MB';
ALTER ROLE it_cl_app SET search_path = app, public;
COMMENT ON ROLE it_cl_app IS 'application role: it''s "quoted"';
CREATE ROLE it_cl_reader LOGIN CONNECTION LIMIT 2 PASSWORD 'reader pw';
CREATE ROLE "it_cl Admin" CREATEROLE NOINHERIT;
CREATE ROLE it_cl_spare REPLICATION BYPASSRLS;
GRANT it_cl_app TO it_cl_reader;
GRANT it_cl_app TO "it_cl Admin" WITH ADMIN OPTION;
GRANT it_cl_reader TO it_cl_owner;
GRANT pg_monitor TO it_cl_reader;
CREATE TABLESPACE it_cl_ts OWNER it_cl_owner LOCATION %OLD%;
ALTER TABLESPACE it_cl_ts SET (random_page_cost = 1.5);
GRANT CREATE ON TABLESPACE it_cl_ts TO it_cl_app;
COMMENT ON TABLESPACE it_cl_ts IS 'the test tablespace';
CREATE TABLE public.it_cl_marker (id integer PRIMARY KEY, note text);
INSERT INTO public.it_cl_marker VALUES (1, 'one'), (2, 'two'), (3, 'three');
CREATE DATABASE it_cl_props OWNER it_cl_owner;
ALTER DATABASE it_cl_props CONNECTION LIMIT 20;
ALTER DATABASE it_cl_props SET work_mem = '16MB';
ALTER DATABASE it_cl_props SET search_path = app, public;
ALTER ROLE it_cl_reader IN DATABASE it_cl_props SET statement_timeout = '5s';
ALTER ROLE it_cl_app IN DATABASE it_cl_props SET maintenance_work_mem = '32MB';
COMMENT ON DATABASE it_cl_props IS 'props: it''s "quoted", ünïcødé';
REVOKE CONNECT, TEMPORARY ON DATABASE it_cl_props FROM PUBLIC;
GRANT CONNECT ON DATABASE it_cl_props TO it_cl_reader;
GRANT CREATE, CONNECT ON DATABASE it_cl_props TO it_cl_app WITH GRANT OPTION;
CREATE DATABASE "it_cl TS/db" TABLESPACE it_cl_ts;
)sql";

// In it_cl_props: tables owned by and granted to the roles, one in the tablespace, default
// privileges, and large objects with an owner, a grant and a comment.
constexpr char kPropsSql[] = R"sql(
CREATE SCHEMA app AUTHORIZATION it_cl_owner;
CREATE TABLE app.items (id integer PRIMARY KEY, name text, doc oid);
INSERT INTO app.items SELECT g, 'item ' || g, CASE WHEN g <= 2 THEN 424241 + g END
  FROM generate_series(1, 500) AS g;
ALTER TABLE app.items OWNER TO it_cl_owner;
GRANT SELECT ON app.items TO it_cl_reader;
GRANT INSERT, UPDATE ON app.items TO it_cl_app WITH GRANT OPTION;
CREATE TABLE app.placed (id integer PRIMARY KEY USING INDEX TABLESPACE it_cl_ts, note text)
  TABLESPACE it_cl_ts;
INSERT INTO app.placed SELECT g, md5(g::text) FROM generate_series(1, 200) AS g;
ALTER DEFAULT PRIVILEGES FOR ROLE it_cl_owner IN SCHEMA app GRANT SELECT ON TABLES TO it_cl_reader;
SELECT lo_from_bytea(424242, convert_to('hello, large object', 'UTF8'));
SELECT lo_from_bytea(424243, decode(repeat('00ff', 5000), 'hex'));
ALTER LARGE OBJECT 424243 OWNER TO it_cl_owner;
GRANT SELECT ON LARGE OBJECT 424242 TO it_cl_reader;
COMMENT ON LARGE OBJECT 424242 IS 'a note';
)sql";

// In "it_cl TS/db" (whose default tablespace is it_cl_ts). Read-only by default once loaded: a
// restore that applied the database's settings before loading it would fail.
constexpr char kTsDbSql[] = R"sql(
CREATE TABLE public.t1 (id integer PRIMARY KEY, v text);
INSERT INTO public.t1 SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 300) AS g;
CREATE TABLE public.t2 (id bigserial PRIMARY KEY, at timestamptz NOT NULL);
INSERT INTO public.t2 (at) SELECT '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 hour'
  FROM generate_series(1, 100) AS g;
)sql";

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// $DBBACKUP_FIXTURES/pagila, else <source>/../shared/fixtures/pagila (as pagila_test).
std::string PagilaDir() {
  if (const char* env = std::getenv("DBBACKUP_FIXTURES"); env != nullptr && *env != '\0') {
    return std::string(env) + "/pagila";
  }
  return SourceDir() + "/../shared/fixtures/pagila";
}

// Built once, by the first test that needs it; torn down by ClusterEnvironment.
struct Fixture {
  PgServer* src = nullptr;
  std::string setup_failure;    // the source could not be set up
  std::string backup_failure;   // `backup cluster` did not succeed
  std::string restore_failure;  // the second server or `restore cluster` did not
  bool pagila = false;
  std::vector<std::string> dbs;  // what the backup must hold, sorted
  ClusterState before;           // of the source, before the backup
  std::unique_ptr<ServerOwnedDir> ts_old, ts_new;
  std::unique_ptr<TempDir> tmp;
  std::string dir;  // the cluster backup
  json cluster;     // its cluster.json
  ProcessResult backup, restore;
  double backup_s = 0, restore_s = 0;
  std::unique_ptr<PgServer> dst;

  ~Fixture() {
    dst.reset();  // before its tablespace directory goes
    if (src == nullptr) return;
    for (const char* db : {kPagilaDb, kPropsDb, kTsDb, "it_template_generated_small"}) {
      src->TryPsql("postgres", "DROP DATABASE IF EXISTS " + QuoteIdent(db) + " WITH (FORCE)");
    }
    src->TryPsql("postgres",
                 "DROP TABLE IF EXISTS public.it_cl_marker;\n"
                 "DROP TABLESPACE IF EXISTS it_cl_ts;\n"
                 "DROP ROLE IF EXISTS it_cl_owner, it_cl_app, it_cl_reader, \"it_cl Admin\", "
                 "it_cl_spare;\n");
  }
};

std::unique_ptr<Fixture>& FixtureSlot() {
  static std::unique_ptr<Fixture> f;
  return f;
}

class ClusterEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { FixtureSlot().reset(); }
};
[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);

// The source's roles, tablespace and databases. False (with test failures) when that failed.
bool SetUpSource(Fixture& f) {
  const PgServer& pg = *f.src;
  f.ts_old = std::make_unique<ServerOwnedDir>();
  f.ts_new = std::make_unique<ServerOwnedDir>();
  if (!f.ts_old->ok() || !f.ts_new->ok()) {
    ADD_FAILURE() << "cannot make a directory owned by the server user under /var/tmp or /tmp";
    return false;
  }
  pg.Psql("postgres", Replaced(Replaced(kGlobalsSql, "%OLD%", QuoteLiteral(f.ts_old->path())),
                               "%PASSWORD%", QuoteLiteral(kOwnerPassword)));
  if (::testing::Test::HasFailure()) return false;

  const std::string fixtures = PagilaDir();
  f.pagila =
      fs::exists(fixtures + "/pagila-schema.sql") && fs::exists(fixtures + "/pagila-data.sql");
  if (f.pagila) {
    pg.CreateDatabase(kPagilaDb);
    pg.PsqlFile(kPagilaDb, fixtures + "/pagila-schema.sql");
    pg.PsqlFile(kPagilaDb, fixtures + "/pagila-data.sql");
    pg.Psql(kPagilaDb,
            "GRANT INSERT, UPDATE ON public.film TO it_cl_app WITH GRANT OPTION;\n"
            "ALTER TABLE public.actor OWNER TO it_cl_owner;\n");
  } else {
    std::cout << "[ NOTE     ] the pagila fixture is not in " << fixtures
              << " (set DBBACKUP_FIXTURES); the generated database stands in for it\n";
    CreateGeneratedDb(pg, kPagilaDb, Volume::kSmall);
    // Its template is a connectable database too: not part of this cluster's picture.
    pg.DropDatabase("it_template_generated_small");
  }
  pg.Psql(kPagilaDb, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO it_cl_reader;\n");
  pg.Psql(kPropsDb, kPropsSql);
  pg.Psql(kTsDb, kTsDbSql);
  pg.Psql("postgres",
          "ALTER DATABASE " + QuoteIdent(kTsDb) + " SET default_transaction_read_only = on");
  if (::testing::Test::HasFailure()) return false;

  f.dbs = {"postgres", kPagilaDb, kPropsDb, kTsDb};
  std::sort(f.dbs.begin(), f.dbs.end());
  // template1 is connectable but empty: it must not be in the backup.
  std::vector<std::string> expected = f.dbs;
  expected.push_back("template1");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ConnectableDatabases(pg), expected) << "the source cluster is not as set up";
  return !::testing::Test::HasFailure();
}

ClusterState CaptureCluster(const PgServer& pg, const std::vector<std::string>& dbs) {
  ClusterState s{.roles = RolesText(pg),
                 .passwords = PasswordsText(pg),
                 .memberships = MembershipsText(pg),
                 .settings = SettingsText(pg),
                 .tablespaces = TablespacesText(pg),
                 .dbs = {}};
  for (const auto& db : dbs) s.dbs.emplace(db, CaptureDb(pg, db));
  return s;
}

void SetUpFixture(Fixture& f) {
  if (!SetUpSource(f)) {
    f.setup_failure = "setting up the source cluster failed (see the first test's failures)";
    return;
  }
  f.before = CaptureCluster(*f.src, f.dbs);
  if (::testing::Test::HasFailure()) {
    f.setup_failure = "reading the source cluster failed (see the first test's failures)";
    return;
  }

  f.tmp = std::make_unique<TempDir>();
  f.dir = f.tmp->file("cluster");
  const std::vector<std::string> backup_args =
      WithConn(*f.src, {"backup", "cluster", "--dir", f.dir, "-j", "2", "--progress", "json",
                        "--progress-interval", "100ms", "--metrics-file", f.tmp->file("m.prom")});
  auto start = Clock::now();
  f.backup = RunDbbBounded(backup_args, 300);
  f.backup_s = SecondsSince(start);
  std::cout << "[ TIMING   ] backup cluster -j 2: " << f.backup_s << " s\n";
  if (f.backup.exit_code != 0) {
    f.backup_failure =
        CommandText(backup_args) + "\n" + f.backup.Describe() + "\nstdout:\n" + f.backup.out;
    f.restore_failure = "no backup to restore: " + f.backup_failure;
    return;
  }
  f.cluster = ReadJsonFile(f.dir + "/cluster.json");

  std::string error;
  f.dst = PgServer::StartNew(&error);
  if (f.dst == nullptr) {
    f.restore_failure = "cannot start a second server: " + error;
    return;
  }
  const std::vector<std::string> restore_args =
      WithConn(*f.dst, {"restore", "cluster", f.dir, "-j", "2", "--tablespace-mapping",
                        f.ts_old->path() + "=" + f.ts_new->path(), "--progress", "json",
                        "--progress-interval", "100ms", "--metrics-file", f.tmp->file("m.prom")});
  start = Clock::now();
  f.restore = RunDbbBounded(restore_args, 300);
  f.restore_s = SecondsSince(start);
  std::cout << "[ TIMING   ] restore cluster -j 2: " << f.restore_s << " s\n";
  if (f.restore.exit_code != 0) {
    f.restore_failure =
        CommandText(restore_args) + "\n" + f.restore.Describe() + "\nstdout:\n" + f.restore.out;
  }
}

// nullptr when there is no server here (the caller skips).
Fixture* GetFixture() {
  std::unique_ptr<Fixture>& f = FixtureSlot();
  if (!f) {
    PgServer* src = PgServer::Shared();
    if (src == nullptr) return nullptr;
    f = std::make_unique<Fixture>();
    f->src = src;
    SetUpFixture(*f);
  }
  return f.get();
}

// ---------------------------------------------------------------------------------------------
// cluster.json

struct ExpectedCluster {
  std::vector<std::string> complete;                             // database names
  std::map<std::string, std::string> missing;                    // name -> status
  std::vector<std::pair<std::string, std::string>> tablespaces;  // name, location
  std::string tablespace_owner;
};

// EXPECTs cluster.json of `dir` (parsed: `c`) to describe the backup of `pg` as `expected` says,
// and each complete database's directory to be a single-database backup of it. Returns the
// directory of each complete database by name.
std::map<std::string, std::string> ExpectClusterManifest(const json& c, const PgServer& pg,
                                                         const std::string& dir,
                                                         const ExpectedCluster& expected) {
  std::map<std::string, std::string> dirs;
  if (!c.is_object()) {
    ADD_FAILURE() << "cluster.json is not an object";
    return dirs;
  }
  EXPECT_EQ(c.value("format_version", 0), 5);
  EXPECT_EQ(c.value("kind", ""), "cluster");
  EXPECT_FALSE(Str(c, "dbbackup_version").empty());
  EXPECT_EQ(Str(c, "server_version"), Trimmed(pg.Psql("postgres", "SHOW server_version")));
  EXPECT_EQ(std::to_string(Num(c, "server_version_num")),
            Trimmed(pg.Psql("postgres", "SHOW server_version_num")));
  EXPECT_FALSE(Str(c, "started_at").empty());
  EXPECT_FALSE(Str(c, "finished_at").empty());
  Seconds(c, "duration_s");
  EXPECT_TRUE(c.contains("partial") && c.at("partial").is_boolean() &&
              c.at("partial").get<bool>() == !expected.missing.empty())
      << "partial: " << c.value("partial", json()).dump() << ", expected "
      << !expected.missing.empty();

  // The globals file, whole.
  const json g = c.value("globals", json::object());
  EXPECT_EQ(Str(g, "file"), "globals.sql");
  const std::string globals = ReadWholeFile(dir + "/globals.sql");
  EXPECT_FALSE(globals.empty()) << "no or empty " << dir << "/globals.sql";
  EXPECT_EQ(Num(g, "bytes"), globals.size());
  // FORMAT.md writes every crc32c as 8 lowercase hex digits; a number would do as well.
  const json crc = g.value("crc32c", json());
  if (crc.is_string()) {
    EXPECT_EQ(crc.get<std::string>(), Hex32(Crc32c(globals))) << "globals crc32c";
  } else {
    EXPECT_EQ(crc.is_number_unsigned() ? crc.get<uint64_t>() : uint64_t{1} << 40, Crc32c(globals))
        << "globals crc32c: " << crc.dump();
  }
  EXPECT_EQ(g.value("role_passwords", json()), json(true));
  EXPECT_NE(globals.find("CREATE ROLE postgres"), std::string::npos) << "globals.sql: " << globals;
  for (const auto& [name, location] : expected.tablespaces) {
    EXPECT_NE(globals.find("CREATE TABLESPACE " + name), std::string::npos) << globals;
  }

  // Tablespaces.
  std::vector<std::pair<std::string, std::string>> tablespaces;
  for (const auto& t : c.value("tablespaces", json::array())) {
    tablespaces.emplace_back(Str(t, "name"), Str(t, "location"));
    EXPECT_EQ(Str(t, "owner"), expected.tablespace_owner) << t.dump();
  }
  EXPECT_EQ(tablespaces, expected.tablespaces) << c.value("tablespaces", json()).dump();

  // Databases.
  std::set<std::string> names;
  const std::regex dir_pattern("databases/[0-9]{4}\\.[^/]+");
  for (const auto& d : c.value("databases", json::array())) {
    const std::string name = Str(d, "name");
    SCOPED_TRACE("database " + name + ": " + d.dump());
    EXPECT_TRUE(names.insert(name).second) << "listed twice";
    const std::string status = Str(d, "status");
    if (std::find(expected.complete.begin(), expected.complete.end(), name) !=
        expected.complete.end()) {
      EXPECT_EQ(status, "complete");
      const std::string sub = Str(d, "dir");
      EXPECT_TRUE(std::regex_match(sub, dir_pattern)) << "dir " << sub;
      if (sub.empty()) continue;
      dirs[name] = sub;
      const std::string path = dir + "/" + sub;
      EXPECT_TRUE(fs::is_regular_file(path + "/schema.dump")) << path;
      const json manifest = ReadManifest(path);
      EXPECT_EQ(manifest.value("database", ""), name) << path << "/manifest.json";
      uint64_t rows = 0;
      for (const auto& t : manifest.value("tables", json::array())) rows += t.value("rows", 0ull);
      EXPECT_EQ(Num(d, "rows"), rows) << "rows vs the sum in its manifest";
      EXPECT_EQ(Num(d, "tables"), manifest.value("tables", json::array()).size())
          << "tables vs its manifest";
      Num(d, "raw_bytes");
      EXPECT_GT(Num(d, "stored_bytes"), 0u) << "its schema.dump at least";
      Seconds(d, "duration_s");
    } else if (auto it = expected.missing.find(name); it != expected.missing.end()) {
      EXPECT_EQ(status, it->second);
      EXPECT_EQ(d.value("dir", json()), json("")) << "a missing database has no directory";
      EXPECT_FALSE(Str(d, "error").empty());
    } else {
      ADD_FAILURE() << "unexpected database " << name << " in cluster.json";
    }
  }
  std::set<std::string> all(expected.complete.begin(), expected.complete.end());
  for (const auto& [name, status] : expected.missing) all.insert(name);
  EXPECT_EQ(names, all) << "the databases in cluster.json";

  // Nothing else under databases/: a database that did not complete left nothing behind.
  std::set<std::string> listed, present;
  for (const auto& [name, sub] : dirs) listed.insert(sub);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir + "/databases", ec)) {
    present.insert("databases/" + e.path().filename().string());
  }
  EXPECT_EQ(present, listed) << "the entries of " << dir << "/databases";
  return dirs;
}

// The line of `list` output that names `db` and a status (else the first that names it); ""
// with a test failure when none does.
std::string ListLine(const std::string& list_out, const std::string& db) {
  std::string first;
  for (const std::string& line : Lines(list_out)) {
    if (line.find(db) == std::string::npos) continue;
    for (const char* status : {"complete", "failed", "timed out", "not started"}) {
      if (ContainsNoCase(line, status)) return line;
    }
    if (first.empty()) first = line;
  }
  if (!first.empty()) return first;
  ADD_FAILURE() << "no line of `list` names " << db << ":\n" << list_out;
  return "";
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_ = GetFixture();
    if (f_ == nullptr) GTEST_SKIP() << PgServer::SkipReason();
    ASSERT_TRUE(f_->setup_failure.empty()) << f_->setup_failure;
    ASSERT_TRUE(f_->backup_failure.empty()) << f_->backup_failure;
  }

  Fixture* f_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Round trip

TEST_F(ClusterTest, BackupHoldsGlobalsAndEveryDatabase) {
  const std::map<std::string, std::string> dirs =
      ExpectClusterManifest(f_->cluster, *f_->src, f_->dir,
                            {.complete = f_->dbs,
                             .missing = {},
                             .tablespaces = {{kTablespace, f_->ts_old->path()}},
                             .tablespace_owner = "it_cl_owner"});
  // Each database's backup is the source database's tables, row for row.
  for (const auto& [db, sub] : dirs) {
    SCOPED_TRACE("database " + db);
    ExpectManifestMatches(*f_->src, ReadManifest(f_->dir + "/" + sub),
                          f_->before.dbs.at(db).snapshot.tables);
  }
  // The databases share one page pipeline sized for -j 2: a single -j 2 backup's, not one per
  // database running at the time.
  const std::string summary = f_->backup.out;
  const size_t pipeline = summary.find("page pipeline ");
  ASSERT_NE(pipeline, std::string::npos) << summary;
  EXPECT_LT(std::stod(summary.substr(pipeline + 14)), 40.0)
      << "MiB expected (one pipeline for -j 2, about 23 MiB): " << summary;

  const std::string globals = ReadWholeFile(f_->dir + "/globals.sql");
  for (const char* role : {"it_cl_owner", "it_cl_app", "it_cl_reader", "it_cl_spare"}) {
    EXPECT_NE(globals.find(role), std::string::npos) << role << " not in globals.sql";
  }

  const ProcessResult list = RunDbb({"list", f_->dir});
  EXPECT_EQ(list.exit_code, 0) << list.Describe() << "\n" << list.out;
  for (const std::string& db : f_->dbs) {
    EXPECT_TRUE(ContainsNoCase(ListLine(list.out, db), "complete")) << list.out;
  }
  const ProcessResult list_json = RunDbb({"list", "--json", f_->dir});
  EXPECT_EQ(list_json.exit_code, 0) << list_json.Describe();
  EXPECT_EQ(ParseJson(list_json.out, "list --json"), f_->cluster);

  // Progress covers every database (named in the units in flight), from a total known at the
  // start; the metrics file has a series per database and one for the whole run ("").
  const nlohmann::json summary_line = CheckProgressLines(f_->backup.err, "backup");
  EXPECT_EQ(summary_line["metrics"], f_->cluster["metrics"]);
  bool named = false;
  for (const nlohmann::json& j : JsonLines(f_->backup.err)) {
    for (const auto& unit : j.value("current", nlohmann::json::array())) {
      named = named || unit.get<std::string>().starts_with("it_cl_");
    }
  }
  EXPECT_TRUE(named) << "no unit in flight named with its database:\n" << f_->backup.err;
  auto metrics = prom::ParsePrometheusText(ReadWholeFile(f_->tmp->file("m.prom")));
  ASSERT_TRUE(metrics.ok()) << metrics.status().message();
  const prom::Family* success = metrics->Find("dbbackup_last_run_success");
  ASSERT_NE(success, nullptr);
  for (const std::string& db : f_->dbs) {
    const prom::Sample* s = success->Find({{"command", "backup"}, {"database", db}});
    ASSERT_NE(s, nullptr) << db;
    EXPECT_EQ(s->value, 1);
  }
  const prom::Sample* whole = success->Find({{"command", "backup"}, {"database", ""}});
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(whole->value, 1);

  // A second backup into the same directory is refused and leaves it as it was.
  const std::vector<std::string> again =
      WithConn(*f_->src, {"backup", "cluster", "--dir", f_->dir});
  const std::vector<std::string> files = ListFiles(f_->dir);
  const ProcessResult refused = RunDbb(again);
  EXPECT_EQ(refused.exit_code, 7) << CommandText(again) << "\n" << refused.Describe();
  EXPECT_EQ(ListFiles(f_->dir), files);
  EXPECT_EQ(ReadJsonFile(f_->dir + "/cluster.json"), f_->cluster);
}

TEST_F(ClusterTest, BadOptionIsAUsageErrorAndNoServerIsACannotConnect) {
  TempDir tmp;
  const std::vector<std::string> bad =
      WithConn(*f_->src, {"backup", "cluster", "--dir", tmp.file("a"), "--timeout", "soon"});
  const ProcessResult usage = RunDbb(bad);
  EXPECT_EQ(usage.exit_code, 2) << CommandText(bad) << "\n" << usage.Describe();
  EXPECT_NE(usage.err.find("--timeout"), std::string::npos) << usage.err;
  EXPECT_FALSE(fs::exists(tmp.file("a/cluster.json")));

  const std::vector<std::string> nobody = {
      "backup", "cluster",   "--dir", tmp.file("b"),
      "-h",     "127.0.0.1", "-p",    std::to_string(FreeTcpPort()),
      "-U",     "postgres"};
  const ProcessResult unreachable = RunDbb(nobody);
  EXPECT_EQ(unreachable.exit_code, 6) << CommandText(nobody) << "\n" << unreachable.Describe();
  EXPECT_FALSE(fs::exists(tmp.file("b/cluster.json")));
}

TEST_F(ClusterTest, ExcludeDatabaseLeavesItOut) {
  TempDir tmp;
  const std::string dir = tmp.file("excluded");
  // A quoted pattern keeps its case and spaces; an unquoted one matches as pg_dumpall's does.
  const std::vector<std::string> args =
      WithConn(*f_->src, {"backup", "cluster", "--dir", dir, "--exclude-database", "IT_CL_P*",
                          "--exclude-database", std::string("\"") + kTsDb + "\""});
  const ProcessResult r = RunDbb(args);
  ASSERT_EQ(r.exit_code, 0) << CommandText(args) << "\n" << r.Describe();
  const json c = ReadJsonFile(dir + "/cluster.json");
  std::set<std::string> names;
  for (const json& d : c.at("databases")) names.insert(d.at("name").get<std::string>());
  EXPECT_EQ(names, std::set<std::string>{"postgres"});
  EXPECT_EQ(c.at("excluded").get<std::set<std::string>>(),
            (std::set<std::string>{kPagilaDb, kPropsDb, kTsDb}));
  EXPECT_FALSE(c.at("partial").get<bool>()) << "left out on purpose is not missing";

  const std::vector<std::string> bad = WithConn(
      *f_->src, {"backup", "cluster", "--dir", tmp.file("bad"), "--exclude-database", "\"open"});
  const ProcessResult usage = RunDbb(bad);
  EXPECT_EQ(usage.exit_code, 2) << CommandText(bad) << "\n" << usage.Describe();
  EXPECT_NE(usage.err.find("--exclude-database"), std::string::npos) << usage.err;
}

TEST_F(ClusterTest, RestoreIntoAnotherServerReproducesTheCluster) {
  ASSERT_TRUE(f_->restore_failure.empty()) << f_->restore_failure;
  const PgServer& dst = *f_->dst;
  // A progress line per database when it starts and when it ends.
  for (const std::string& db : f_->dbs) {
    int lines = 0;
    for (const std::string& line : Lines(f_->restore.err))
      lines += line.find(db) != std::string::npos;
    EXPECT_GE(lines, 2) << "progress lines naming " << db << " in:\n" << f_->restore.err;
  }
  CheckProgressLines(f_->restore.err, "restore");

  std::vector<std::string> expected_dbs = f_->dbs;
  expected_dbs.push_back("template1");
  std::sort(expected_dbs.begin(), expected_dbs.end());
  EXPECT_EQ(ConnectableDatabases(dst), expected_dbs);

  ExpectSameText(f_->before.roles, RolesText(dst), "roles");
  ExpectSameText(f_->before.passwords, PasswordsText(dst), "password verifiers");
  ExpectSameText(f_->before.memberships, MembershipsText(dst), "role memberships");
  ExpectSameText(f_->before.settings, SettingsText(dst), "role and database settings");
  ExpectSameText(f_->before.tablespaces, TablespacesText(dst), "tablespaces");
  EXPECT_EQ(TablespaceLocation(dst, kTablespace), f_->ts_new->path());
  // The files of the database whose default tablespace it is are there: PG_<version>_<catalog>/.
  bool in_new = false;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(f_->ts_new->path(), ec)) {
    in_new = in_new || e.path().filename().string().rfind("PG_", 0) == 0;
  }
  EXPECT_TRUE(in_new) << f_->ts_new->path() << " holds no PG_* directory";

  for (const std::string& db : f_->dbs) ExpectSameDb(f_->before.dbs.at(db), dst, db);

  // The copied password works over TCP (scram-sha-256); a wrong one does not.
  auto login = [&](const std::string& password) {
    return RunProcess({.argv = {dst.Tool("psql"), "-X", "-At", "-h", "127.0.0.1", "-p",
                                std::to_string(dst.port()), "-U", "it_cl_owner", "-d", "postgres",
                                "-c", "SELECT current_user"},
                       .env = {{"PGPASSWORD", password}, {"PGCONNECT_TIMEOUT", "10"}}});
  };
  const ProcessResult good = login(kOwnerPassword);
  EXPECT_EQ(good.exit_code, 0) << good.Describe();
  EXPECT_EQ(good.out, "it_cl_owner\n");
  EXPECT_NE(login("not the password").exit_code, 0);
}

// ---------------------------------------------------------------------------------------------
// Refusals and --clean

TEST_F(ClusterTest, RestoreIntoTheSourceIsRefusedAndChangesNothing) {
  const PgServer& pg = *f_->src;
  // A role of the backup missing here: running the globals would make it again.
  pg.Psql("postgres", "DROP ROLE it_cl_spare");
  const std::string roles = RolesText(pg);
  const std::string marker = pg.Psql("postgres", "SELECT * FROM public.it_cl_marker ORDER BY 1");
  const std::vector<std::string> dbs = ConnectableDatabases(pg);

  const std::vector<std::string> args = WithConn(pg, {"restore", "cluster", f_->dir});
  const ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, 7) << CommandText(args) << "\n" << r.Describe() << "\n" << r.out;
  const std::string said = r.out + r.err;
  EXPECT_TRUE(
      std::any_of(f_->dbs.begin(), f_->dbs.end(),
                  [&](const std::string& db) { return said.find(db) != std::string::npos; }))
      << "the refusal names no database: " << said;
  EXPECT_NE(said.find("--clean"), std::string::npos) << "the refusal names no fix: " << said;

  EXPECT_EQ(RolesText(pg), roles) << "the globals ran although the restore was refused";
  EXPECT_EQ(pg.Psql("postgres", "SELECT * FROM public.it_cl_marker ORDER BY 1"), marker);
  EXPECT_EQ(ConnectableDatabases(pg), dbs);
  ExpectSameText(f_->before.dbs.at(kPropsDb).props, DatabasePropsText(pg, kPropsDb),
                 "properties of " + std::string(kPropsDb));
  pg.Psql("postgres",
          "DO $$ BEGIN CREATE ROLE it_cl_spare REPLICATION BYPASSRLS; "
          "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
}

TEST_F(ClusterTest, UnknownDatabaseIsAUsageErrorNamingTheAvailableOnes) {
  const std::vector<std::string> args =
      WithConn(*f_->src, {"restore", "cluster", f_->dir, "--databases", "nosuchdb"});
  const ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, 2) << CommandText(args) << "\n" << r.Describe() << "\n" << r.out;
  const std::string said = r.out + r.err;
  EXPECT_NE(said.find("nosuchdb"), std::string::npos) << said;
  for (const std::string& db : f_->dbs) {
    EXPECT_NE(said.find(db), std::string::npos) << "does not name " << db << ": " << said;
  }
}

TEST_F(ClusterTest, CleanReplacesOnlyTheNamedDatabase) {
  ASSERT_TRUE(f_->restore_failure.empty()) << f_->restore_failure;
  const PgServer& dst = *f_->dst;
  // Changes that the restore of kPropsDb must undo, and one elsewhere that it must keep.
  dst.Psql(kPropsDb,
           "INSERT INTO app.items VALUES (100000, 'extra', NULL);\n"
           "CREATE TABLE public.it_cl_extra (id integer);\n"
           "SELECT lo_unlink(424242);\n");
  dst.Psql("postgres",
           "COMMENT ON DATABASE it_cl_props IS 'changed';\n"
           "ALTER DATABASE it_cl_props SET work_mem = '1MB';\n");
  dst.Psql(kPagilaDb, "CREATE TABLE public.it_cl_untouched (id integer);");
  ASSERT_FALSE(HasFailure());

  const std::vector<std::string> args =
      WithConn(dst, {"restore", "cluster", f_->dir, "--databases", kPropsDb, "--clean", "-j", "2",
                     "--tablespace-mapping", f_->ts_old->path() + "=" + f_->ts_new->path()});
  const ProcessResult r = RunDbb(args);
  EXPECT_EQ(r.exit_code, 0) << CommandText(args) << "\n" << r.Describe() << "\n" << r.out;
  ExpectSameDb(f_->before.dbs.at(kPropsDb), dst, kPropsDb);
  EXPECT_EQ(dst.Psql(kPagilaDb, "SELECT to_regclass('public.it_cl_untouched') IS NOT NULL"), "t\n")
      << "restoring " << kPropsDb << " changed " << kPagilaDb;
  dst.Psql(kPagilaDb, "DROP TABLE IF EXISTS public.it_cl_untouched");
  ExpectSameText(f_->before.roles, RolesText(dst), "roles after the second restore");
  ExpectSameText(f_->before.memberships, MembershipsText(dst), "memberships after it");

  // Roles made otherwise (a managed server): --no-globals leaves globals.sql alone.
  dst.Psql(kPropsDb, "CREATE TABLE public.it_cl_extra (id integer);");
  const std::vector<std::string> no_globals = WithConn(
      dst, {"restore", "cluster", f_->dir, "--databases", kPropsDb, "--clean", "--no-globals"});
  const ProcessResult again = RunDbb(no_globals);
  EXPECT_EQ(again.exit_code, 0) << CommandText(no_globals) << "\n" << again.Describe();
  EXPECT_NE(again.err.find("--no-globals"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find("already exists"), std::string::npos)
      << "globals.sql ran anyway: " << again.err;
  ExpectSameDb(f_->before.dbs.at(kPropsDb), dst, kPropsDb);
}

// ---------------------------------------------------------------------------------------------
// A database that cannot be backed up in time

// Each small database takes about a second here (0.1 s of it CPU in dbbackup, the rest pg_dump
// and the server), a few under a sanitizer; the locked one never finishes.
constexpr int kTimeoutS = 8;

TEST(ClusterPartialTest, TimedOutDatabaseLeavesTheOthersCompleteAndRestorable) {
  if (PgServer::Shared() == nullptr) GTEST_SKIP() << PgServer::SkipReason();
  // A cluster of its own, of small databases only: each takes well under a second.
  std::string error;
  const std::unique_ptr<PgServer> pg = PgServer::StartNew(&error);
  ASSERT_NE(pg, nullptr) << error;
  constexpr char kSmallSql[] =
      "CREATE SCHEMA app;\n"
      "CREATE TABLE app.t (id integer PRIMARY KEY, v text);\n"
      "INSERT INTO app.t SELECT g, md5(g::text) FROM generate_series(1, 2000) AS g;\n"
      "CREATE TABLE app.u (id integer);\n"
      "INSERT INTO app.u VALUES (1), (2), (3);\n";
  for (const char* db : {"it_cl_locked", "it_cl_ok1", "it_cl_ok2"}) {
    pg->CreateDatabase(db);
    pg->Psql(db, kSmallSql);
  }
  // A user object in template1 (made after the databases, which would copy it): now it is
  // backed up.
  pg->Psql("template1",
           "CREATE TABLE public.it_cl_in_template (id integer);\n"
           "INSERT INTO public.it_cl_in_template VALUES (42);\n");
  ASSERT_FALSE(::testing::Test::HasFailure());
  const DbSnapshot ok1 = TakeSnapshot(*pg, "it_cl_ok1");

  LockHolder lock(*pg, "it_cl_locked", "app.t");
  ASSERT_TRUE(lock.ok());
  TempDir tmp;
  const std::string dir = tmp.file("cluster");
  const std::vector<std::string> args = WithConn(
      *pg,
      {"backup", "cluster", "--dir", dir, "-j", "2", "--timeout", std::to_string(kTimeoutS) + "s"});
  const auto start = Clock::now();
  const ProcessResult r = RunDbbBounded(args, kTimeoutS + 30.0);
  const double elapsed_s = SecondsSince(start);
  std::cout << "[ TIMING   ] backup cluster --timeout " << kTimeoutS
            << "s with a locked database: " << elapsed_s << " s\n";
  ASSERT_EQ(r.exit_code, 3) << CommandText(args) << "\n" << r.Describe() << "\n" << r.out;
  EXPECT_GE(elapsed_s, kTimeoutS - 0.1) << "returned before the timeout";
  EXPECT_LT(elapsed_s, kTimeoutS + 12.0) << "took much longer than the timeout";

  const json c = ReadJsonFile(dir + "/cluster.json");
  const std::map<std::string, std::string> dirs =
      ExpectClusterManifest(c, *pg, dir,
                            {.complete = {"it_cl_ok1", "it_cl_ok2", "postgres", "template1"},
                             .missing = {{"it_cl_locked", "timed out"}},
                             .tablespaces = {},
                             .tablespace_owner = ""});
  for (const auto& d : c.value("databases", json::array())) {
    if (d.value("name", "") != "it_cl_locked") continue;
    const std::string why = d.value("error", "");
    EXPECT_TRUE(ContainsNoCase(why, "timed out")) << why;
    const std::string t = std::to_string(kTimeoutS);
    EXPECT_TRUE(why.find(t + "s") != std::string::npos || why.find(t + " s") != std::string::npos)
        << "the error does not say the timeout: " << why;
  }
  const std::string said = r.out + r.err;
  EXPECT_NE(said.find("it_cl_locked"), std::string::npos)
      << "the timed-out database is not named: " << said;

  // Nothing of the timed-out database goes on waiting on the server: its sessions were
  // cancelled, not left queued behind the lock (which still holds).
  std::string waiting;
  for (int i = 0; i < 50; ++i) {
    waiting = pg->Psql("postgres",
                       "SELECT pid, application_name, state, wait_event_type FROM "
                       "pg_stat_activity WHERE datname = 'it_cl_locked' AND "
                       "application_name IN ('dbbackup', 'pg_dump')");
    if (waiting.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(waiting, "") << "sessions of the timed-out backup left on the server";

  const ProcessResult list = RunDbb({"list", dir});
  EXPECT_EQ(list.exit_code, 3) << list.Describe() << "\n" << list.out;
  EXPECT_TRUE(ContainsNoCase(ListLine(list.out, "it_cl_locked"), "timed out")) << list.out;
  EXPECT_TRUE(ContainsNoCase(ListLine(list.out, "it_cl_ok1"), "complete")) << list.out;
  const ProcessResult list_json = RunDbb({"list", "--json", dir});
  EXPECT_EQ(list_json.exit_code, 3) << list_json.Describe();
  EXPECT_EQ(ParseJson(list_json.out, "list --json"), c);

  // A complete database of the partial backup restores on its own.
  ASSERT_EQ(dirs.count("it_cl_ok1"), 1u);
  ASSERT_EQ(
      Restore(*pg, dir + "/" + dirs.at("it_cl_ok1"), "it_cl_ok1_copy", {"--create"}).exit_code, 0);
  ExpectSameDatabase(ok1, TakeSnapshot(*pg, "it_cl_ok1_copy"));

  // The whole partial backup restores what it holds and says what it does not (exit 3): onto
  // this server once the databases it holds are gone or empty (template1 and postgres are
  // restored into).
  const DbSnapshot ok2 = TakeSnapshot(*pg, "it_cl_ok2");
  for (const char* db : {"it_cl_ok1", "it_cl_ok2", "it_cl_ok1_copy"}) pg->DropDatabase(db);
  pg->Psql("template1", "DROP TABLE public.it_cl_in_template");
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::vector<std::string> restore_args = WithConn(*pg, {"restore", "cluster", dir});
  const ProcessResult restored = RunDbbBounded(restore_args, 120);
  EXPECT_EQ(restored.exit_code, 3) << CommandText(restore_args) << "\n"
                                   << restored.Describe() << "\n"
                                   << restored.out;
  EXPECT_NE((restored.out + restored.err).find("it_cl_locked"), std::string::npos)
      << "the missing database is not named: " << restored.out << restored.err;
  ExpectSameDatabase(ok1, TakeSnapshot(*pg, "it_cl_ok1"));
  ExpectSameDatabase(ok2, TakeSnapshot(*pg, "it_cl_ok2"));
  EXPECT_EQ(pg->Psql("template1", "SELECT * FROM public.it_cl_in_template"), "42\n");
}

}  // namespace
}  // namespace dbb::testing
