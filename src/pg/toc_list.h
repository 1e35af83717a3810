// The table of contents of a pg_dump custom-format archive, as `pg_restore -l -v` prints it, and
// the filtered list (`pg_restore -L`) that restores only some relations and what they need.
//
// A line of `pg_restore -l -v`:
//   217; 1259 16423 TABLE public actor postgres
//   ;	depends on: 216 5
// i.e. "<dump id>; <catalog table oid> <object oid> <desc> <schema> <tag> <owner>", followed by
// a comment line with the dump ids it depends on (absent when none). Other comment lines
// (starting with ';') and blank lines are ignored.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace dbb::pg {

struct TocEntry {
  int dump_id = 0;
  uint32_t table_oid = 0;   // the catalog: 1259 = pg_class
  uint32_t object_oid = 0;  // the object's oid in the source database
  std::string desc;         // "TABLE", "FK CONSTRAINT", "SEQUENCE OWNED BY", ...
  std::string line;         // the entry's line as printed (without the newline)
  std::vector<int> depends_on;

  // A relation's own definition: TABLE, VIEW, MATERIALIZED VIEW, SEQUENCE, FOREIGN TABLE (with
  // table_oid 1259). Not INDEX, TABLE ATTACH, SEQUENCE OWNED BY, SEQUENCE SET, ... .
  bool is_relation() const;
};

// kCorrupt naming the line (number and text) for a line that is neither an entry, a comment nor
// blank, a dependency list that is not a list of dump ids or comes before any entry, and a dump id
// seen twice.
Result<std::vector<TocEntry>> ParseTocList(std::string_view text);

struct TocSelection {
  std::string list;  // for pg_restore -L: every entry's line, the dropped ones commented out
  std::set<uint32_t> relation_oids;           // relations kept (selected, and the ones they need)
  size_t dropped = 0;                         // entries dropped
  std::vector<std::string> dropped_examples;  // up to 5 dropped non-relation lines, for a note
};

// Keeps:
//   1. relation entries whose object_oid is in `selected`;
//   2. every entry a kept entry depends on, transitively (a type, a schema, a function, the
//      sequence in a column default, the views a view reads; a table's partition or inheritance
//      parent), except that a table is pulled in this way only by a table (tables hold data: a
//      view over a table not selected is not a reason to create it empty), and a relation in
//      `excluded` (--exclude-table) never is;
//   3. every non-relation entry all of whose dependencies are kept, transitively (indexes,
//      constraints, triggers, comments, privileges of kept relations; and the schemas, types,
//      functions, extensions that depend on no relation at all). A dependency on a dump id that
//      is not in the list counts as kept.
// Drops the rest: other relations and what depends on them (a foreign key into a table not
// restored, a view over one, even a selected view). Entries on a dependency cycle that reaches no
// dropped relation are kept. O(entries + dependencies), no recursion.
TocSelection SelectToc(const std::vector<TocEntry>& entries, const std::set<uint32_t>& selected,
                       const std::set<uint32_t>& excluded = {});

}  // namespace dbb::pg
