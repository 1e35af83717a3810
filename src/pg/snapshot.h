// One point in time for a whole backup: the coordinator exports its snapshot and keeps its
// transaction open until the end; every data connection imports it.
#pragma once

#include <string>

#include "common/status.h"
#include "pg/connection.h"

namespace dbb::pg {

// BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT pg_export_snapshot(). Returns the
// snapshot id. The snapshot is valid while `conn`'s transaction lasts.
Result<std::string> ExportSnapshot(Connection& conn);

// BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT 'id'. kServer
// naming the snapshot if it no longer exists (the coordinator went away).
Status ImportSnapshot(Connection& conn, const std::string& snapshot_id);

}  // namespace dbb::pg
