// What a whole-cluster backup reads from the server besides each database: the list of databases
// and the tablespaces (pg_tools.h runs pg_dumpall for the roles and the rest of the globals).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "pg/connection.h"

namespace dbb::pg {

struct DatabaseInfo {
  std::string name;
  uint64_t size_bytes = 0;  // pg_database_size; 0 when the role may not connect to it
  bool is_template = false;
};

// Every database that accepts connections (datallowconn), except template0, largest first (by
// name among equals). template1 is listed: whether it holds user objects is for the caller to
// check (DescribeUserObjects on a connection to it).
Result<std::vector<DatabaseInfo>> ListDatabases(Connection& conn);

struct TablespaceInfo {
  std::string name;
  std::string owner;
  std::string location;  // pg_tablespace_location
  bool operator==(const TablespaceInfo&) const = default;
};

// The tablespaces other than pg_default and pg_global, by name.
Result<std::vector<TablespaceInfo>> ListTablespaces(Connection& conn);

}  // namespace dbb::pg
