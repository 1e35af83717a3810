// What a database holds that a logical backup must carry as data, read from the system catalogs
// inside the backup's snapshot. Schema (DDL) is pg_dump's business; this is the data section:
// the same set of relations whose data `pg_dump` dumps.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "pg/connection.h"
#include "pg/name_pattern.h"

namespace dbb::pg {

// A relation whose rows are copied: an ordinary table (relkind 'r'), which includes leaf
// partitions, inheritance children and unlogged tables. Excluded, as pg_dump does: system
// schemas (pg_catalog, information_schema, pg_toast, temp schemas), members of extensions,
// partitioned parents (no storage), views, foreign tables.
struct TableInfo {
  uint32_t oid = 0;
  std::string schema;
  std::string name;
  bool partition = false;  // relispartition: a leaf partition, copied by its own name
  bool unlogged = false;
  // Columns in attnum order, excluding dropped and generated (stored) columns: generated values
  // are computed again on restore, and COPY FROM refuses them in a column list.
  std::vector<std::string> columns;
  // Every column's type, through domains, arrays, ranges and composites, has binary send and
  // receive functions. False: the table must be copied in text format.
  bool binary_ok = true;
  uint64_t size_bytes = 0;   // pg_table_size (heap + TOAST): the work estimate, largest first
  uint64_t heap_blocks = 0;  // blocks of the main fork when the catalog was read
};

// Every user relation a selection (--table, --schema, ...) can name, of any kind, as pg_dump
// selects them: what restore matches its patterns against, and how it finds each relation's
// entries in the schema archive (by oid).
struct RelationInfo {
  uint32_t oid = 0;
  std::string kind;  // table, partitioned table, view, materialized view, sequence, foreign table
  std::string schema;
  std::string name;
  uint32_t owned_by = 0;  // a sequence owned by a table's column (serial, identity): the table
};

// Part of a table's heap, in blocks: the rows whose ctid lies in [first, end). No end: to the
// end of the table (the last part; it also takes blocks added after the size was read).
struct BlockRange {
  uint64_t first = 0;
  std::optional<uint64_t> end;
};

// A sequence's state at the snapshot, as pg_dump records it (setval(last_value, is_called)).
struct SequenceInfo {
  uint32_t oid = 0;  // in the source database
  std::string schema;
  std::string name;
  std::string last_value;  // as text: int8, may be negative
  bool is_called = false;
};

// A materialized view. Its contents are not copied; restore runs REFRESH MATERIALIZED VIEW for
// populated ones, in this list's order (a view that reads another comes after it).
struct MatViewInfo {
  uint32_t oid = 0;  // in the source database
  std::string schema;
  std::string name;
  bool populated = false;
};

struct Catalog {
  std::vector<RelationInfo> relations;  // the selected ones, in (schema, name) order
  std::vector<TableInfo> tables;        // largest first (size_bytes descending, then name)
  std::vector<SequenceInfo> sequences;
  std::vector<MatViewInfo> matviews;  // refresh order
  // Large objects in the database. Not backed up yet (a later format version carries them); the
  // backup warns and records the count so nothing is lost silently.
  uint64_t large_objects = 0;
  uint32_t block_size = 8192;  // the server's block_size
};

// The relations `filter` selects, and the sequences owned by selected tables (pg_dump dumps a
// table's serial and identity sequences with it).
std::set<uint32_t> SelectRelations(const std::vector<RelationInfo>& relations,
                                   const RelationFilter& filter);

// Reads all of the above, values included (sequence states), in `conn`'s current transaction,
// for the relations `filter` selects (SelectRelations). Locks every selected table as LockTables
// does (waiting at most `lock_wait_timeout_ms` per table) before reading sizes: pg_table_size takes
// that lock itself, and would otherwise wait forever behind a session holding an ACCESS EXCLUSIVE
// lock. The locks last until the transaction ends.
Result<Catalog> ReadCatalog(Connection& conn, uint64_t lock_wait_timeout_ms = 0,
                            const RelationFilter& filter = {});

// LOCK TABLE ... IN ACCESS SHARE MODE for each table, as pg_dump does, waiting at most
// `lock_wait_timeout_ms` per table (0 = wait forever). A lock that times out is kServer naming
// the table and the flag ("... raise --lock-wait-timeout or stop the session holding it"). A
// table dropped since the catalog was read is kServer naming it.
Status LockTables(Connection& conn, const std::vector<TableInfo>& tables,
                  uint64_t lock_wait_timeout_ms);

// "schema"."name", quoted for SQL.
std::string QualifiedName(const Connection& conn, const std::string& schema,
                          const std::string& name);
// COPY statements for one table: "COPY "s"."t" ("a", "b") TO STDOUT (FORMAT binary)" and the
// matching FROM STDIN, in binary or text format. With a range, the rows of those blocks only:
// "COPY (SELECT "a", "b" FROM ONLY "s"."t" WHERE ctid >= '(a,0)' AND ctid < '(b,0)') TO ...",
// a TID range scan on PostgreSQL 14 and later.
std::string CopyOutSql(const Connection& conn, const TableInfo& table, bool binary,
                       const std::optional<BlockRange>& range = std::nullopt);
// "ctid >= '(10,0)'::pg_catalog.tid AND ctid < '(20,0)'::pg_catalog.tid" ("" for a whole table).
std::string BlockRangePredicate(const BlockRange& range);
// The first server version with TID range scans (a ctid range reads only its blocks).
inline constexpr int kTidRangeScanVersion = 140000;
std::string CopyInSql(const Connection& conn, const std::string& schema, const std::string& name,
                      const std::vector<std::string>& columns, bool binary);

// User objects in the current database, for restore's "target must be empty" check: relations,
// types, functions outside the system schemas, schemas other than public, extensions other than
// plpgsql, large objects. Returns a short description ("3 objects, e.g. table public.t") or ""
// when there are none.
Result<std::string> DescribeUserObjects(Connection& conn);

}  // namespace dbb::pg
