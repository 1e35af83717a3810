// pg_dump and pg_restore for the schema: dbbackup moves the data itself, and lets PostgreSQL's own
// tools write and replay DDL (a custom-format archive), which keeps every object type, owner,
// grant and comment exactly as pg_dump sees it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/stop.h"
#include "pg/connection.h"

namespace dbb::pg {

// Finds `tool` ("pg_dump", "pg_restore") able to talk to a server of `server_version_num`: on
// PATH first, then /usr/lib/postgresql/<major>/bin for the newest major installed. pg_dump must
// be at least the server's major version. kUnsupported naming what was found and the fix
// ("install postgresql-client-16").
Result<std::string> FindTool(const std::string& tool, int server_version_num);

struct DumpSchemaOptions {
  std::string snapshot;  // exported snapshot id: the schema is taken at the same point in time
  std::string out_path;  // custom-format archive, written 0600
  uint64_t lock_wait_timeout_ms = 0;  // 0 = wait forever
  StopSource* stop = nullptr;
};
// pg_dump --schema-only --format=custom --snapshot=... for conn's database, as conn's user.
// kServer with pg_dump's stderr when it fails.
Status DumpSchema(const Connection& conn, const DumpSchemaOptions& options);

struct RestoreSectionOptions {
  std::string archive_path;
  std::string section;    // "pre-data" or "post-data"
  int jobs = 1;           // pg_restore -j
  std::string list_path;  // pg_restore --use-list: only the entries this list keeps ("" = all)
  StopSource* stop = nullptr;
};
// pg_restore --section=... --exit-on-error into conn's database, as conn's user. kServer with
// pg_restore's stderr when it fails.
Status RestoreSection(const Connection& conn, const RestoreSectionOptions& options);

struct DumpGlobalsOptions {
  std::string out_path;        // plain SQL, written 0600
  bool role_passwords = true;  // false: --no-role-passwords (no pg_authid: no superuser needed)
  StopSource* stop = nullptr;
};
// pg_dumpall --globals-only: roles with their attributes, memberships and settings, tablespaces,
// and their comments, from conn's server as conn's user. kServer with pg_dumpall's stderr when it
// fails; when that is a permission error on pg_authid the message says to connect as a superuser
// or use --no-role-passwords.
Status DumpGlobals(const Connection& conn, const DumpGlobalsOptions& options);

// One error psql reported while running a globals file.
struct SqlError {
  int line = 0;          // in the file
  std::string sqlstate;  // "42710"
  std::string message;   // the server's words: "role \"postgres\" already exists"
};
struct GlobalsOutcome {
  std::vector<SqlError> existing;  // SQLSTATE 42710 (duplicate_object): a role or tablespace
                                   // that exists already on this server; kept as it is
  std::vector<SqlError> errors;    // every other error
};
// Runs `sql_path` (a pg_dumpall globals file) with psql against conn's database as conn's user,
// not stopping at errors (as `psql -f` does), and sorts the errors psql reports (read from a file,
// so that none is lost however many there are). kServer only when psql itself fails (cannot
// start, cannot connect, killed).
Result<GlobalsOutcome> RunGlobals(const Connection& conn, const std::string& sql_path,
                                  StopSource* stop);

// A pg_dumpall globals file with each tablespace whose LOCATION is a mapped OLD directory placed
// at NEW instead (as pg_basebackup --tablespace-mapping). Only the CREATE TABLESPACE statements
// change. kInvalidArgument naming OLD when no CREATE TABLESPACE in the file has that location.
Result<std::string> MapTablespaceLocations(
    const std::string& globals_sql,
    const std::vector<std::pair<std::string, std::string>>& old_to_new);

// pg_restore --list --verbose: the archive's table of contents, with each entry's dependencies
// (toc_list.h), written to `out_path`. Needs no server; `server_version_num` (of the server the
// archive came from) picks the pg_restore.
Status ListArchive(const std::string& archive_path, int server_version_num,
                   const std::string& out_path, StopSource* stop);

}  // namespace dbb::pg
