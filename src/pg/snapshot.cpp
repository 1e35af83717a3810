#include "pg/snapshot.h"

namespace dbb::pg {

namespace {

constexpr char kBegin[] = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

}  // namespace

Result<std::string> ExportSnapshot(Connection& conn) {
  DBB_RETURN_IF_ERROR(conn.Exec(kBegin).WithContext("export snapshot"));
  Result<QueryResult> id = conn.Query("SELECT pg_catalog.pg_export_snapshot()");
  if (!id.ok()) return id.status().WithContext("export snapshot");
  return std::string(id->Get(0, 0));
}

Status ImportSnapshot(Connection& conn, const std::string& snapshot_id) {
  DBB_RETURN_IF_ERROR(conn.Exec(kBegin).WithContext("import snapshot " + snapshot_id));
  Status status = conn.Exec("SET TRANSACTION SNAPSHOT " + conn.QuoteLiteral(snapshot_id));
  if (status.ok()) return status;
  // Leave the connection usable; the failed transaction is of no use to anyone.
  (void)conn.Exec("ROLLBACK");
  return status.WithContext("import snapshot " + snapshot_id +
                            " (the exporting transaction must still be open)");
}

}  // namespace dbb::pg
