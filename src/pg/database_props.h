// Properties of the database itself, which `pg_dump --schema-only` (without --create) leaves out:
// owner, default tablespace, ACL, connection limit, template flag, locale provider, its
// ALTER DATABASE ... SET settings, the ALTER ROLE ... IN DATABASE ... SET settings of its roles,
// and its comment. A backup records them; a restore that creates the database (`restore single
// --create`, `restore cluster`) applies them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "pg/connection.h"
#include "pg/grant.h"

namespace dbb::pg {

// ALTER ROLE role IN DATABASE db SET ... (pg_db_role_setting with both set).
struct RoleSettings {
  std::string role;
  std::vector<std::string> settings;  // "name=value"
  bool operator==(const RoleSettings&) const = default;
};

struct DatabaseProps {
  std::vector<std::string> settings;  // "name=value", as pg_db_role_setting stores them
  std::string comment;                // "" when none
  // Since backup format 4 (empty / defaults when read from older backups):
  std::string owner;            // "" when unknown (older backups)
  std::string tablespace;       // its default tablespace; "" for pg_default
  int connection_limit = -1;    // -1: no limit
  bool is_template = false;     // datistemplate
  std::string locale_provider;  // "libc", "icu", "builtin" (PostgreSQL 15+); "" before
  std::string icu_locale;       // daticulocale (15, 16) / datlocale (17+); "" when none
  // nullopt: the default ACL (owner all, PUBLIC CONNECT and TEMPORARY). Privileges: CREATE,
  // CONNECT, TEMPORARY.
  std::optional<std::vector<Grant>> acl;
  std::vector<RoleSettings> role_settings;  // by role name
  bool operator==(const DatabaseProps&) const = default;
};

// Of conn's current database.
Result<DatabaseProps> ReadDatabaseProps(Connection& conn);

// Applies `props` to the existing database `dbname`, from a connection to it (or to any database
// of the same server), after the restore's data load (a setting such as
// default_transaction_read_only or a connection limit must not apply to the load):
//   ALTER DATABASE ... OWNER TO (when owner is set and differs)
//   ALTER DATABASE ... SET ... for each setting (list-valued settings such as search_path are
//     split into their elements, as pg_dump does)
//   ALTER ROLE ... IN DATABASE ... SET ... for each role setting
//   the ACL: from the default to exactly `acl` (REVOKE ALL FROM PUBLIC and the owner, then one
//     GRANT per entry, as its grantor when that is not the owner)
//   COMMENT ON DATABASE, CONNECTION LIMIT, IS_TEMPLATE
// A role that does not exist on this server (a restore into another cluster without its roles)
// is a warning naming the role and what was skipped, not an error; the tablespace is not applied
// here (CREATE DATABASE ... TABLESPACE, below). Statements are built from the names (quoted here),
// never taken as SQL text from a backup.
Status ApplyDatabaseProps(Connection& conn, const std::string& dbname, const DatabaseProps& props);

// What CREATE DATABASE needs from a backup.
struct NewDatabase {
  std::string name;
  std::string encoding;  // "" = the server's default
  std::string lc_collate;
  std::string lc_ctype;
  std::string locale_provider;  // "" or "libc": not given
  std::string icu_locale;
  std::string tablespace;  // "" = pg_default
};
// CREATE DATABASE name TEMPLATE template0 ENCODING ... LC_COLLATE ... LC_CTYPE ...
// [LOCALE_PROVIDER icu ICU_LOCALE ... (15+) / builtin BUILTIN_LOCALE ... (17+)] [TABLESPACE ...],
// on a connection to another database of the server. A provider this server lacks is a warning
// (the database uses libc), and so is a tablespace that does not exist on this server (the
// database goes to pg_default). kRefused when the database exists already (SQLSTATE 42P04), with
// a message naming it.
Status CreateDatabase(Connection& admin, const NewDatabase& db);

}  // namespace dbb::pg
