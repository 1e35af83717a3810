// Properties of the database itself that `pg_dump --schema-only` (without --create) leaves out:
// its ALTER DATABASE ... SET settings and its comment. A backup records them; `restore --create`
// applies them to the database it creates.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "pg/connection.h"

namespace dbb::pg {

struct DatabaseProps {
  std::vector<std::string> settings;  // "name=value", as pg_db_role_setting stores them
  std::string comment;                // "" when none
};

// Of conn's current database (settings for all roles: setrole = 0).
Result<DatabaseProps> ReadDatabaseProps(Connection& conn);

// ALTER DATABASE <dbname> SET ... for each setting (list-valued settings such as search_path are
// split into their elements, as pg_dump does), then COMMENT ON DATABASE. Run it after the
// restore's data load: a setting like default_transaction_read_only must not apply to it.
Status ApplyDatabaseProps(Connection& conn, const std::string& dbname, const DatabaseProps& props);

}  // namespace dbb::pg
