// Compares two databases without dbbackup's code: per-table content fingerprints computed in SQL,
// `pg_dump --schema-only` text, sequence states and materialized views.
#pragma once

#include <map>
#include <string>

#include "support/pg_server.h"

namespace dbb::testing {

struct DbSnapshot {
  // Keyed by the quoted name ("app"."types"). Tables include partitions, inheritance children
  // and unlogged tables, each read with FROM ONLY: "<count> <md5 of the sorted row md5s>".
  std::map<std::string, std::string> tables;
  // "<last_value> <is_called>".
  std::map<std::string, std::string> sequences;
  // "unpopulated", or "populated <count> <md5>" as for tables.
  std::map<std::string, std::string> matviews;
  // pg_dump --schema-only of the database, without the random \restrict key lines.
  std::string schema;
};

// Table fingerprints only (cheap): what a data-only load can be compared on.
std::map<std::string, std::string> TableFingerprints(const PgServer& pg, const std::string& db);
std::map<std::string, std::string> SequenceStates(const PgServer& pg, const std::string& db);
std::map<std::string, std::string> MatViewStates(const PgServer& pg, const std::string& db);
std::string SchemaDump(const PgServer& pg, const std::string& db);
DbSnapshot TakeSnapshot(const PgServer& pg, const std::string& db);

// EXPECTs that two maps are equal, naming each missing, extra or different key.
void ExpectSameEntries(const std::map<std::string, std::string>& expected,
                       const std::map<std::string, std::string>& actual, const std::string& what);
// EXPECTs identical text, showing a unified diff (diff -u) when not.
void ExpectSameText(const std::string& expected, const std::string& actual,
                    const std::string& what);
// All four comparisons.
void ExpectSameDatabase(const DbSnapshot& expected, const DbSnapshot& actual);

}  // namespace dbb::testing
