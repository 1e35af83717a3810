#include "pg/cluster.h"

namespace dbb::pg {

Result<std::vector<DatabaseInfo>> ListDatabases(Connection& conn) {
  // pg_database_size needs CONNECT (or pg_read_all_stats): a database the role may not enter
  // is listed with size 0 rather than failing the whole list. datconnlimit -2 marks a database
  // that an interrupted DROP DATABASE left invalid; nobody can connect to it (as pg_dumpall).
  auto r = conn.Query(
      "SELECT d.datname, CASE WHEN pg_catalog.has_database_privilege(d.oid, 'CONNECT')"
      " THEN pg_catalog.pg_database_size(d.oid) ELSE 0 END AS size, d.datistemplate"
      " FROM pg_catalog.pg_database d"
      " WHERE d.datallowconn AND d.datconnlimit <> -2 AND d.datname <> 'template0'"
      " ORDER BY size DESC, d.datname");
  if (!r.ok()) return r.status().WithContext("list the databases");
  std::vector<DatabaseInfo> databases;
  for (int i = 0; i < r->rows(); ++i) {
    databases.push_back({.name = std::string(r->Get(i, 0)),
                         .size_bytes = static_cast<uint64_t>(r->GetInt64(i, 1)),
                         .is_template = r->GetBool(i, 2)});
  }
  return databases;
}

Result<std::vector<TablespaceInfo>> ListTablespaces(Connection& conn) {
  auto r = conn.Query(
      "SELECT spcname, pg_catalog.pg_get_userbyid(spcowner),"
      " pg_catalog.pg_tablespace_location(oid) FROM pg_catalog.pg_tablespace"
      " WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY spcname");
  if (!r.ok()) return r.status().WithContext("list the tablespaces");
  std::vector<TablespaceInfo> tablespaces;
  for (int i = 0; i < r->rows(); ++i) {
    tablespaces.push_back({.name = std::string(r->Get(i, 0)),
                           .owner = std::string(r->Get(i, 1)),
                           .location = std::string(r->Get(i, 2))});
  }
  return tablespaces;
}

}  // namespace dbb::pg
