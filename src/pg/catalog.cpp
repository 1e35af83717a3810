#include "pg/catalog.h"

#include <libpq-fe.h>

#include <algorithm>
#include <climits>
#include <tuple>
#include <unordered_map>

#include "pg/pg_error.h"

namespace dbb::pg {

namespace {

using internal::ResultError;
using internal::ResultPtr;
using internal::SqlState;

// Namespaces whose objects are the user's (alias n): not the system schemas, not TOAST, not
// other sessions' temporary schemas.
constexpr char kUserNamespace[] =
    "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
    "AND n.nspname NOT LIKE 'pg\\_temp\\_%'";

// Relations (alias c) that belong to an extension: its script recreates them, so pg_dump leaves
// them (and their data) out.
constexpr char kNotExtensionMember[] =
    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e "
    "WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid "
    "AND e.deptype = 'e')";

std::string UserRelations(const std::string& relkinds) {
  return std::string(
             "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = "
             "c.relnamespace WHERE c.relkind IN (") +
         relkinds + ") AND c.relpersistence <> 't' AND " + kUserNamespace + " AND " +
         kNotExtensionMember;
}

// The types a table's columns reach, and whether all of them have binary send/receive. A type
// is followed into its parts because its binary I/O calls theirs: a domain into its base type,
// an array into its element, a range into its subtype, a multirange into its range, a composite
// into its attributes. UNION (not UNION ALL) ends recursive types. Only catalog rows are read:
// no relation lock is taken, so nothing here waits for another session.
std::string TablesSql(int server_version_num) {
  const bool pg12 = server_version_num >= 120000;
  const bool pg14 = server_version_num >= 140000;
  return "WITH RECURSIVE tabs AS ("
         " SELECT c.oid, n.nspname, c.relname, c.relispartition,"
         " c.relpersistence = 'u' AS unlogged " +
         UserRelations("'r'") +
         "), reach(relid, typid) AS ("
         " SELECT a.attrelid, a.atttypid FROM pg_catalog.pg_attribute a"
         " JOIN tabs ON tabs.oid = a.attrelid WHERE a.attnum > 0 AND NOT a.attisdropped" +
         (pg12 ? " AND a.attgenerated = ''" : "") +
         " UNION SELECT r.relid, sub.typid FROM reach r"
         " JOIN pg_catalog.pg_type t ON t.oid = r.typid CROSS JOIN LATERAL ("
         "  SELECT t.typbasetype WHERE t.typtype = 'd'"
         "  UNION ALL SELECT t.typelem WHERE t.typelem <> 0 AND t.typlen = -1"
         "  UNION ALL SELECT rg.rngsubtype FROM pg_catalog.pg_range rg WHERE rg.rngtypid = t.oid" +
         (pg14 ? "  UNION ALL SELECT rg.rngtypid FROM pg_catalog.pg_range rg"
                 " WHERE rg.rngmultitypid = t.oid"
               : "") +
         "  UNION ALL SELECT ca.atttypid FROM pg_catalog.pg_attribute ca WHERE t.typrelid <> 0"
         "  AND ca.attrelid = t.typrelid AND ca.attnum > 0 AND NOT ca.attisdropped"
         " ) AS sub(typid)"
         "), binary_io AS ("
         " SELECT r.relid, pg_catalog.bool_and(t.typsend::pg_catalog.oid <> 0"
         " AND t.typreceive::pg_catalog.oid <> 0) AS ok"
         " FROM reach r JOIN pg_catalog.pg_type t ON t.oid = r.typid GROUP BY r.relid"
         ") SELECT tabs.oid, tabs.nspname, tabs.relname, tabs.relispartition, tabs.unlogged,"
         " COALESCE(b.ok, true) FROM tabs LEFT JOIN binary_io b ON b.relid = tabs.oid";
}

// Every user relation of the kinds a selection names; sequences with the table that owns them
// (pg_depend 'a' for serial, 'i' for identity columns).
Result<std::vector<RelationInfo>> ReadRelations(Connection& conn) {
  Result<QueryResult> rows = conn.Query(
      "SELECT c.oid, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table'"
      " WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'"
      " ELSE 'foreign table' END, n.nspname, c.relname,"
      " COALESCE((SELECT d.refobjid FROM pg_catalog.pg_depend d"
      " WHERE c.relkind = 'S' AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
      " AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
      " AND d.deptype IN ('a', 'i') LIMIT 1), 0) " +
      UserRelations("'r', 'p', 'v', 'm', 'S', 'f'") + " ORDER BY n.nspname, c.relname");
  if (!rows.ok()) return rows.status().WithContext("read the list of relations");
  std::vector<RelationInfo> relations;
  relations.reserve(static_cast<size_t>(rows->rows()));
  for (int i = 0; i < rows->rows(); ++i) {
    relations.push_back({.oid = static_cast<uint32_t>(rows->GetInt64(i, 0)),
                         .kind = std::string(rows->Get(i, 1)),
                         .schema = std::string(rows->Get(i, 2)),
                         .name = std::string(rows->Get(i, 3)),
                         .owned_by = static_cast<uint32_t>(rows->GetInt64(i, 4))});
  }
  return relations;
}

Result<std::vector<TableInfo>> ReadTables(Connection& conn, const std::set<uint32_t>& selected) {
  Result<QueryResult> rows = conn.Query(TablesSql(conn.server_version_num()));
  if (!rows.ok()) return rows.status().WithContext("read the list of tables");
  std::vector<TableInfo> tables;
  tables.reserve(static_cast<size_t>(rows->rows()));
  for (int i = 0; i < rows->rows(); ++i) {
    if (!selected.contains(static_cast<uint32_t>(rows->GetInt64(i, 0)))) continue;
    tables.push_back(TableInfo{.oid = static_cast<uint32_t>(rows->GetInt64(i, 0)),
                               .schema = std::string(rows->Get(i, 1)),
                               .name = std::string(rows->Get(i, 2)),
                               .partition = rows->GetBool(i, 3),
                               .unlogged = rows->GetBool(i, 4),
                               .binary_ok = rows->GetBool(i, 5)});
  }
  return tables;
}

// Sizes need the tables locked (see ReadCatalog); then sorts largest first.
Status ReadSizes(Connection& conn, std::vector<TableInfo>& tables) {
  std::string oids = "{";
  for (const TableInfo& t : tables) oids += (oids.size() > 1 ? "," : "") + std::to_string(t.oid);
  oids += "}";
  Result<QueryResult> rows = conn.Query(
      "SELECT o, COALESCE(pg_catalog.pg_table_size(o), 0),"
      " COALESCE(pg_catalog.pg_relation_size(o, 'main'), 0)"
      " / pg_catalog.current_setting('block_size')::pg_catalog.int8"
      " FROM pg_catalog.unnest($1::pg_catalog.oid[]) AS o",
      {oids});
  if (!rows.ok()) return rows.status().WithContext("read the sizes of tables");
  std::unordered_map<uint32_t, std::pair<uint64_t, uint64_t>> size_by_oid;
  for (int i = 0; i < rows->rows(); ++i) {
    size_by_oid[static_cast<uint32_t>(rows->GetInt64(i, 0))] = {
        static_cast<uint64_t>(rows->GetInt64(i, 1)), static_cast<uint64_t>(rows->GetInt64(i, 2))};
  }
  for (TableInfo& t : tables) std::tie(t.size_bytes, t.heap_blocks) = size_by_oid[t.oid];
  std::sort(tables.begin(), tables.end(), [](const TableInfo& a, const TableInfo& b) {
    if (a.size_bytes != b.size_bytes) return a.size_bytes > b.size_bytes;
    if (a.schema != b.schema) return a.schema < b.schema;
    return a.name < b.name;
  });
  return Status::Ok();
}

Status ReadColumns(Connection& conn, std::vector<TableInfo>& tables) {
  const bool pg12 = conn.server_version_num() >= 120000;
  Result<QueryResult> rows = conn.Query(
      "SELECT a.attrelid, a.attname FROM pg_catalog.pg_attribute a"
      " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
      " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
      " WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped" +
      std::string(pg12 ? " AND a.attgenerated = ''" : "") + " AND " + kUserNamespace +
      " ORDER BY a.attrelid, a.attnum");
  if (!rows.ok()) return rows.status().WithContext("read the columns of tables");
  std::unordered_map<uint32_t, TableInfo*> by_oid;
  for (TableInfo& t : tables) by_oid.emplace(t.oid, &t);
  for (int i = 0; i < rows->rows(); ++i) {
    auto it = by_oid.find(static_cast<uint32_t>(rows->GetInt64(i, 0)));
    if (it != by_oid.end()) it->second->columns.emplace_back(rows->Get(i, 1));
  }
  return Status::Ok();
}

// Sequence values are not MVCC: like pg_dump, read each one's current state.
Result<std::vector<SequenceInfo>> ReadSequences(Connection& conn,
                                                const std::set<uint32_t>& selected) {
  Result<QueryResult> rows =
      conn.Query("SELECT c.oid, n.nspname, c.relname " + UserRelations("'S'") + " ORDER BY 2, 3");
  if (!rows.ok()) return rows.status().WithContext("read the list of sequences");
  std::vector<SequenceInfo> sequences;
  for (int i = 0; i < rows->rows(); ++i) {
    const auto oid = static_cast<uint32_t>(rows->GetInt64(i, 0));
    if (!selected.contains(oid)) continue;
    SequenceInfo seq{
        .oid = oid, .schema = std::string(rows->Get(i, 1)), .name = std::string(rows->Get(i, 2))};
    const std::string name = QualifiedName(conn, seq.schema, seq.name);
    Result<QueryResult> state = conn.Query("SELECT last_value, is_called FROM " + name);
    if (!state.ok()) return state.status().WithContext("read sequence " + name);
    seq.last_value = std::string(state->Get(0, 0));
    seq.is_called = state->GetBool(0, 1);
    sequences.push_back(std::move(seq));
  }
  return sequences;
}

// A materialized view's depth is the longest chain of views and materialized views it reads
// through (pg_rewrite rules depend on the relations they read); refreshing by depth puts every
// view after the ones it reads. The level bound stops a malformed catalog from looping.
Result<std::vector<MatViewInfo>> ReadMatViews(Connection& conn,
                                              const std::set<uint32_t>& selected) {
  Result<QueryResult> rows = conn.Query(
      "WITH RECURSIVE rels AS (SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispopulated " +
      UserRelations("'m', 'v'") +
      "), edges AS (SELECT DISTINCT rw.ev_class AS obj, d.refobjid AS ref"
      " FROM pg_catalog.pg_rewrite rw JOIN pg_catalog.pg_depend d"
      " ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = rw.oid"
      " AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass"
      " JOIN rels r1 ON r1.oid = rw.ev_class JOIN rels r2 ON r2.oid = d.refobjid"
      " WHERE d.refobjid <> rw.ev_class"
      "), depth(oid, level) AS (SELECT oid, 0 FROM rels"
      " UNION SELECT e.obj, depth.level + 1 FROM depth JOIN edges e ON e.ref = depth.oid"
      " WHERE depth.level < 100"
      ") SELECT r.oid, r.nspname, r.relname, r.relispopulated FROM rels r JOIN depth USING (oid)"
      " WHERE r.relkind = 'm' GROUP BY r.oid, r.nspname, r.relname, r.relispopulated"
      " ORDER BY pg_catalog.max(depth.level), r.nspname, r.relname");
  if (!rows.ok()) return rows.status().WithContext("read the list of materialized views");
  std::vector<MatViewInfo> views;
  for (int i = 0; i < rows->rows(); ++i) {
    const auto oid = static_cast<uint32_t>(rows->GetInt64(i, 0));
    if (!selected.contains(oid)) continue;
    views.push_back(MatViewInfo{.oid = oid,
                                .schema = std::string(rows->Get(i, 1)),
                                .name = std::string(rows->Get(i, 2)),
                                .populated = rows->GetBool(i, 3)});
  }
  return views;
}

std::string ColumnList(const Connection& conn, const std::vector<std::string>& columns) {
  // A table with no (non-generated) columns takes no list: "()" is a syntax error.
  if (columns.empty()) return "";
  std::string out = " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += conn.QuoteIdent(columns[i]);
  }
  return out + ")";
}

}  // namespace

std::set<uint32_t> SelectRelations(const std::vector<RelationInfo>& relations,
                                   const RelationFilter& filter) {
  std::set<uint32_t> selected;
  for (const RelationInfo& r : relations) {
    if (filter.Selects(r.schema, r.name)) selected.insert(r.oid);
  }
  for (const RelationInfo& r : relations) {
    if (r.owned_by != 0 && selected.contains(r.owned_by)) selected.insert(r.oid);
  }
  return selected;
}

Result<Catalog> ReadCatalog(Connection& conn, uint64_t lock_wait_timeout_ms,
                            const RelationFilter& filter) {
  Catalog catalog;
  Result<std::vector<RelationInfo>> relations = ReadRelations(conn);
  if (!relations.ok()) return relations.status();
  const std::set<uint32_t> selected = SelectRelations(relations.value(), filter);
  for (RelationInfo& r : relations.value()) {
    if (selected.contains(r.oid)) catalog.relations.push_back(std::move(r));
  }
  Result<QueryResult> block_size = conn.Query("SELECT pg_catalog.current_setting('block_size')");
  if (!block_size.ok()) return block_size.status();
  catalog.block_size = static_cast<uint32_t>(block_size->GetInt64(0, 0));
  Result<std::vector<TableInfo>> tables = ReadTables(conn, selected);
  if (!tables.ok()) return tables.status();
  catalog.tables = std::move(tables).value();
  DBB_RETURN_IF_ERROR(LockTables(conn, catalog.tables, lock_wait_timeout_ms));
  DBB_RETURN_IF_ERROR(ReadSizes(conn, catalog.tables));
  DBB_RETURN_IF_ERROR(ReadColumns(conn, catalog.tables));
  Result<std::vector<SequenceInfo>> sequences = ReadSequences(conn, selected);
  if (!sequences.ok()) return sequences.status();
  catalog.sequences = std::move(sequences).value();
  Result<std::vector<MatViewInfo>> views = ReadMatViews(conn, selected);
  if (!views.ok()) return views.status();
  catalog.matviews = std::move(views).value();
  Result<QueryResult> blobs = conn.Query("SELECT count(*) FROM pg_catalog.pg_largeobject_metadata");
  if (!blobs.ok()) return blobs.status().WithContext("count large objects");
  catalog.large_objects = static_cast<uint64_t>(blobs->GetInt64(0, 0));
  return catalog;
}

Status LockTables(Connection& conn, const std::vector<TableInfo>& tables,
                  uint64_t lock_wait_timeout_ms) {
  // lock_timeout is an int of milliseconds; a longer wait is as good as forever.
  const uint64_t timeout_ms = std::min<uint64_t>(lock_wait_timeout_ms, INT_MAX);
  DBB_RETURN_IF_ERROR(conn.Exec("SET LOCAL lock_timeout = " + std::to_string(timeout_ms)));
  for (const TableInfo& table : tables) {
    const std::string name = QualifiedName(conn, table.schema, table.name);
    // ONLY: each table is locked by its own entry, so an error names the right one.
    const std::string sql = "LOCK TABLE ONLY " + name + " IN ACCESS SHARE MODE";
    ResultPtr result(PQexec(conn.raw(), sql.c_str()));
    if (PQresultStatus(result.get()) == PGRES_COMMAND_OK) continue;
    const Status error = ResultError(conn.raw(), result.get(), sql);
    const std::string sqlstate = SqlState(result.get());
    if (sqlstate == "55P03") {
      return Status(StatusCode::kServer,
                    "table " + name + ": ACCESS SHARE lock not granted within " +
                        std::to_string(timeout_ms) +
                        " ms: another session holds a conflicting lock; raise "
                        "--lock-wait-timeout or stop the session holding the lock (" +
                        error.message() + ")");
    }
    if (sqlstate == "42P01") {
      return Status(StatusCode::kServer, "table " + name +
                                             " was dropped after the catalog was read; run the "
                                             "backup again (" +
                                             error.message() + ")");
    }
    return error.WithContext("lock table " + name);
  }
  return conn.Exec("SET LOCAL lock_timeout = 0");
}

std::string QualifiedName(const Connection& conn, const std::string& schema,
                          const std::string& name) {
  return conn.QuoteIdent(schema) + "." + conn.QuoteIdent(name);
}

std::string BlockRangePredicate(const BlockRange& range) {
  auto tid = [](uint64_t block) { return "'(" + std::to_string(block) + ",0)'::pg_catalog.tid"; };
  std::string out;
  if (range.first > 0) out = "ctid >= " + tid(range.first);
  if (range.end) out += (out.empty() ? "ctid < " : " AND ctid < ") + tid(*range.end);
  return out;
}

std::string CopyOutSql(const Connection& conn, const TableInfo& table, bool binary,
                       const std::optional<BlockRange>& range) {
  const std::string format = binary ? " TO STDOUT (FORMAT binary)" : " TO STDOUT";
  const std::string name = QualifiedName(conn, table.schema, table.name);
  const std::string where = range ? BlockRangePredicate(*range) : "";
  if (where.empty()) return "COPY " + name + ColumnList(conn, table.columns) + format;
  // ONLY: COPY of a table never includes its inheritance children; SELECT would.
  std::string select = "SELECT";
  for (size_t i = 0; i < table.columns.size(); ++i) {
    select += (i == 0 ? " " : ", ") + conn.QuoteIdent(table.columns[i]);
  }
  return "COPY (" + select + " FROM ONLY " + name + " WHERE " + where + ")" + format;
}

std::string CopyInSql(const Connection& conn, const std::string& schema, const std::string& name,
                      const std::vector<std::string>& columns, bool binary) {
  return "COPY " + QualifiedName(conn, schema, name) + ColumnList(conn, columns) + " FROM STDIN" +
         (binary ? " (FORMAT binary)" : "");
}

// Ranked so the example names the most telling object (a table before a function).
Result<std::string> DescribeUserObjects(Connection& conn) {
  const std::string user_ns = kUserNamespace;
  const std::string sql =
      "WITH objs(rank, kind, name) AS ("
      " SELECT 1, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'"
      " WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'"
      " ELSE 'type' END, n.nspname || '.' || c.relname"
      " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
      " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND " +
      user_ns +
      " UNION ALL SELECT 2, 'function', n.nspname || '.' || p.proname FROM pg_catalog.pg_proc p"
      " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE " +
      user_ns +
      // Row types come with their relation and array types with their element: not counted.
      " UNION ALL SELECT 3, 'type', n.nspname || '.' || t.typname FROM pg_catalog.pg_type t"
      " JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE t.typrelid = 0"
      " AND NOT (t.typelem <> 0 AND t.typlen = -1) AND " +
      user_ns +
      " UNION ALL SELECT 4, 'schema', n.nspname FROM pg_catalog.pg_namespace n"
      " WHERE n.nspname <> 'public' AND " +
      user_ns +
      " UNION ALL SELECT 5, 'extension', x.extname FROM pg_catalog.pg_extension x"
      " WHERE x.extname <> 'plpgsql'"
      " UNION ALL SELECT 6, 'large object', l.oid::pg_catalog.text"
      " FROM pg_catalog.pg_largeobject_metadata l"
      ") SELECT (SELECT pg_catalog.count(*) FROM objs),"
      " (SELECT kind || ' ' || name FROM objs ORDER BY rank, name LIMIT 1)";
  Result<QueryResult> rows = conn.Query(sql);
  if (!rows.ok()) return rows.status().WithContext("look for objects in the target database");
  const int64_t count = rows->GetInt64(0, 0);
  if (count == 0) return std::string();
  return std::to_string(count) + (count == 1 ? " user object" : " user objects") + ", e.g. " +
         std::string(rows->Get(0, 1));
}

}  // namespace dbb::pg
