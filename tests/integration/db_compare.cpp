#include "integration/db_compare.h"

#include <gtest/gtest.h>

#include <sstream>

#include "support/test_util.h"

namespace dbb::testing {
namespace {

// Runs `generator` (SQL that returns one query text, or NULL when there is nothing to read),
// then that query; each output line is "<key>\t<value>".
std::map<std::string, std::string> RunGenerated(const PgServer& pg, const std::string& db,
                                                const std::string& generator) {
  std::map<std::string, std::string> out;
  std::string query = pg.Psql(db, generator);
  while (!query.empty() && query.back() == '\n') query.pop_back();
  if (query.empty()) return out;
  std::istringstream lines(pg.Psql(db, query));
  std::string line;
  while (std::getline(lines, line)) {
    const size_t tab = line.rfind('\t');
    if (tab == std::string::npos) {
      ADD_FAILURE() << "unexpected fingerprint line: " << line;
      continue;
    }
    out[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return out;
}

constexpr const char* kUserRelations =
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

// The fingerprint of FROM <from>: "<count> <md5 of the sorted md5s of each row's text>". The
// row alias is unlikely to be a column name (a column would shadow the whole-row reference).
// Quotes doubled: it goes inside the literal of a format() call.
constexpr const char* kFingerprint =
    "count(*) || '' '' || coalesce(md5(string_agg(md5(dbb_row__::text), '','' "
    "ORDER BY md5(dbb_row__::text))), ''-'')";

}  // namespace

std::map<std::string, std::string> TableFingerprints(const PgServer& pg, const std::string& db) {
  return RunGenerated(
      pg, db,
      std::string("SELECT string_agg(format('SELECT %L || E''\\t'' || ") + kFingerprint +
          " FROM ONLY %I.%I AS dbb_row__', format('%I.%I', n.nspname, c.relname), n.nspname, "
          "c.relname), E'\\nUNION ALL\\n' ORDER BY n.nspname, c.relname)" +
          kUserRelations + " AND c.relkind IN ('r', 'p')");
}

std::map<std::string, std::string> SequenceStates(const PgServer& pg, const std::string& db) {
  return RunGenerated(
      pg, db,
      std::string("SELECT string_agg(format('SELECT %L || E''\\t'' || last_value || '' '' || "
                  "is_called FROM %I.%I', format('%I.%I', n.nspname, c.relname), n.nspname, "
                  "c.relname), E'\\nUNION ALL\\n' ORDER BY n.nspname, c.relname)") +
          kUserRelations + " AND c.relkind = 'S'");
}

std::map<std::string, std::string> MatViewStates(const PgServer& pg, const std::string& db) {
  return RunGenerated(
      pg, db,
      std::string("SELECT string_agg(CASE WHEN c.relispopulated THEN format('SELECT %L || "
                  "E''\\t'' || ''populated '' || ") +
          kFingerprint +
          " FROM %I.%I AS dbb_row__', format('%I.%I', n.nspname, c.relname), n.nspname, "
          "c.relname) ELSE format('SELECT %L || E''\\t'' || ''unpopulated''', "
          "format('%I.%I', n.nspname, c.relname)) END, E'\\nUNION ALL\\n' ORDER BY n.nspname, "
          "c.relname)" +
          kUserRelations + " AND c.relkind = 'm'");
}

std::string SchemaDump(const PgServer& pg, const std::string& db) {
  std::vector<std::string> argv = {pg.Tool("pg_dump"), "--schema-only"};
  for (const auto& a : pg.ConnArgs()) argv.push_back(a);
  argv.insert(argv.end(), {"-d", db});
  ProcessResult r = RunProcess({.argv = argv});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "pg_dump --schema-only " << db << ": " << r.Describe();
    return "";
  }
  // pg_dump 15.14+ brackets its output with \restrict <random key> / \unrestrict <key>.
  std::istringstream in(r.out);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("\\restrict ", 0) == 0 || line.rfind("\\unrestrict ", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

DbSnapshot TakeSnapshot(const PgServer& pg, const std::string& db) {
  DbSnapshot s;
  s.tables = TableFingerprints(pg, db);
  s.sequences = SequenceStates(pg, db);
  s.matviews = MatViewStates(pg, db);
  s.schema = SchemaDump(pg, db);
  return s;
}

void ExpectSameEntries(const std::map<std::string, std::string>& expected,
                       const std::map<std::string, std::string>& actual, const std::string& what) {
  for (const auto& [key, value] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      ADD_FAILURE() << what << ": " << key << " is missing (expected " << value << ")";
    } else if (it->second != value) {
      ADD_FAILURE() << what << ": " << key << " differs: expected " << value << ", got "
                    << it->second;
    }
  }
  for (const auto& [key, value] : actual) {
    if (expected.count(key) == 0) ADD_FAILURE() << what << ": unexpected " << key << " " << value;
  }
}

void ExpectSameText(const std::string& expected, const std::string& actual,
                    const std::string& what) {
  if (expected == actual) return;
  TempDir dir;
  WriteFileBytes(dir.file("expected"),
                 std::vector<std::byte>(
                     reinterpret_cast<const std::byte*>(expected.data()),
                     reinterpret_cast<const std::byte*>(expected.data()) + expected.size()));
  WriteFileBytes(
      dir.file("actual"),
      std::vector<std::byte>(reinterpret_cast<const std::byte*>(actual.data()),
                             reinterpret_cast<const std::byte*>(actual.data()) + actual.size()));
  ProcessResult diff =
      RunProcess({.argv = {"diff", "-u", dir.file("expected"), dir.file("actual")}});
  std::string text = diff.out;
  if (text.size() > 20000) text = text.substr(0, 20000) + "\n... (diff truncated)";
  ADD_FAILURE() << what << " differs (" << expected.size() << " vs " << actual.size()
                << " bytes):\n"
                << text;
}

void ExpectSameDatabase(const DbSnapshot& expected, const DbSnapshot& actual) {
  EXPECT_FALSE(expected.tables.empty()) << "the source database has no tables";
  ExpectSameEntries(expected.tables, actual.tables, "table content");
  ExpectSameEntries(expected.sequences, actual.sequences, "sequence state");
  ExpectSameEntries(expected.matviews, actual.matviews, "materialized view");
  ExpectSameText(expected.schema, actual.schema, "pg_dump --schema-only");
}

}  // namespace dbb::testing
