#include "pg/toc_list.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>
#include <span>
#include <unordered_map>

namespace dbb::pg {

namespace {

constexpr uint32_t kPgClassOid = 1259;
constexpr size_t kMaxDroppedExamples = 5;
constexpr size_t kMaxQuotedLineChars = 120;

constexpr std::string_view kRelationDescs[] = {"MATERIALIZED VIEW", "FOREIGN TABLE", "SEQUENCE",
                                               "TABLE", "VIEW"};

// pg_dump's descs of more than one word, so that "TABLE DATA public t" reads as TABLE DATA and not
// as TABLE in schema DATA. Single-word descs need no list: the first word is the desc.
constexpr std::string_view kMultiWordDescs[] = {
    "ACCESS METHOD",
    "BLOB METADATA",
    "CHECK CONSTRAINT",
    "DATABASE PROPERTIES",
    "DEFAULT ACL",
    "EVENT TRIGGER",
    "FK CONSTRAINT",
    "FOREIGN DATA WRAPPER",
    "INDEX ATTACH",
    "LARGE OBJECT",
    "MATERIALIZED VIEW DATA",
    "OPERATOR CLASS",
    "OPERATOR FAMILY",
    "PROCEDURAL LANGUAGE",
    "PUBLICATION TABLE",
    "PUBLICATION TABLES IN SCHEMA",
    "ROW SECURITY",
    "SECURITY LABEL",
    "SEQUENCE OWNED BY",
    "SEQUENCE SET",
    "SHELL TYPE",
    "STATISTICS DATA",
    "SUBSCRIPTION TABLE",
    "TABLE ATTACH",
    "TABLE DATA",
    "TEXT SEARCH CONFIGURATION",
    "TEXT SEARCH DICTIONARY",
    "TEXT SEARCH PARSER",
    "TEXT SEARCH TEMPLATE",
    "USER MAPPING",
    "MATERIALIZED VIEW",
    "FOREIGN TABLE",
};

// The longest of `descs` that `rest` starts with, followed by a space; empty when none.
std::string_view LongestDesc(std::span<const std::string_view> descs, std::string_view rest) {
  std::string_view best;
  for (std::string_view desc : descs) {
    if (desc.size() > best.size() && rest.size() > desc.size() && rest.starts_with(desc) &&
        rest[desc.size()] == ' ') {
      best = desc;
    }
  }
  return best;
}

// `rest` is the line after the two oids: "<desc> <schema> <tag> <owner>", where only the desc's
// extent is ambiguous. In pg_class (1259) only relations and indexes live, and a relation desc is
// taken first there: a table in a schema named DATA is a TABLE, while TABLE DATA, TABLE ATTACH,
// SEQUENCE SET, SEQUENCE OWNED BY come with catalog oid 0.
std::string_view DescOf(uint32_t table_oid, std::string_view rest) {
  if (table_oid == kPgClassOid) {
    std::string_view desc = LongestDesc(kRelationDescs, rest);
    if (!desc.empty()) return desc;
  }
  std::string_view desc = LongestDesc(kMultiWordDescs, rest);
  if (!desc.empty()) return desc;
  return rest.substr(0, rest.find(' '));
}

// Parses a number of digits at the front of `s` and advances past it.
template <typename T>
bool TakeNumber(std::string_view& s, T& out) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc()) return false;
  s.remove_prefix(static_cast<size_t>(end - s.data()));
  return true;
}

bool TakePrefix(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

// "<dump id>; <catalog oid> <object oid> <desc> ...", exactly as pg_restore prints it.
std::optional<TocEntry> ParseEntry(std::string_view line) {
  TocEntry e;
  std::string_view s = line;
  if (!TakeNumber(s, e.dump_id) || !TakePrefix(s, "; ") || !TakeNumber(s, e.table_oid) ||
      !TakePrefix(s, " ") || !TakeNumber(s, e.object_oid) || !TakePrefix(s, " ") || s.empty() ||
      s[0] == ' ') {
    return std::nullopt;
  }
  e.desc = std::string(DescOf(e.table_oid, s));
  e.line = std::string(line);
  return e;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// After ';': "\tdepends on: 216 5"; nullopt for any other comment.
std::optional<std::string_view> DependsList(std::string_view comment) {
  const size_t start = comment.find_first_not_of(" \t");
  if (start == std::string_view::npos) return std::nullopt;
  comment.remove_prefix(start);
  if (!TakePrefix(comment, "depends on:")) return std::nullopt;
  return comment;
}

Status LineError(size_t line_no, std::string_view line, std::string_view what) {
  std::string quoted(line.substr(0, kMaxQuotedLineChars));
  if (line.size() > kMaxQuotedLineChars) quoted += "...";
  return Status(StatusCode::kCorrupt, "TOC list line " + std::to_string(line_no) + " \"" + quoted +
                                          "\": " + std::string(what));
}

Status ParseDepends(std::string_view list, size_t line_no, std::string_view line,
                    std::vector<int>& out) {
  while (true) {
    const size_t start = list.find_first_not_of(" \t\r");
    if (start == std::string_view::npos) return Status::Ok();
    list.remove_prefix(start);
    int id = 0;
    if (!TakeNumber(list, id) ||
        (!list.empty() && list[0] != ' ' && list[0] != '\t' && list[0] != '\r')) {
      return LineError(line_no, line,
                       "the dependency list is not a list of dump ids (expected \";\tdepends on: "
                       "<dump id> ...\")");
    }
    out.push_back(id);
  }
}

}  // namespace

bool TocEntry::is_relation() const {
  return table_oid == kPgClassOid &&
         std::ranges::find(kRelationDescs, desc) != std::end(kRelationDescs);
}

Result<std::vector<TocEntry>> ParseTocList(std::string_view text) {
  std::vector<TocEntry> entries;
  std::unordered_map<int, size_t> line_of_id;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    if (IsBlank(line)) continue;
    if (line[0] == ';') {
      const std::optional<std::string_view> deps = DependsList(line.substr(1));
      if (!deps.has_value()) continue;
      if (entries.empty()) return LineError(line_no, line, "a dependency list before any entry");
      DBB_RETURN_IF_ERROR(ParseDepends(*deps, line_no, line, entries.back().depends_on));
      continue;
    }
    std::optional<TocEntry> entry = ParseEntry(line);
    if (!entry.has_value()) {
      return LineError(line_no, line,
                       "not a TOC entry (expected \"<dump id>; <catalog oid> <object oid> <desc> "
                       "<schema> <name> <owner>\" as pg_restore -l prints it)");
    }
    const auto [it, inserted] = line_of_id.emplace(entry->dump_id, line_no);
    if (!inserted) {
      return LineError(line_no, line,
                       "dump id " + std::to_string(entry->dump_id) +
                           " appears twice (also on line " + std::to_string(it->second) + ")");
    }
    entries.push_back(std::move(*entry));
  }
  return entries;
}

namespace {

// Edges by position in `entries`, in compressed rows: the targets of row i are
// targets[begin[i] .. begin[i + 1]).
struct Edges {
  std::vector<size_t> begin;
  std::vector<size_t> targets;
};

// Dependencies by position; a dump id that is not in the list is left out, which is what makes it
// count as kept (it can neither be needed nor be dropped).
Edges DependencyEdges(const std::vector<TocEntry>& entries) {
  std::unordered_map<int, size_t> position;
  position.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) position.emplace(entries[i].dump_id, i);
  Edges deps;
  deps.begin.reserve(entries.size() + 1);
  for (const TocEntry& e : entries) {
    deps.begin.push_back(deps.targets.size());
    for (int id : e.depends_on) {
      const auto it = position.find(id);
      if (it != position.end()) deps.targets.push_back(it->second);
    }
  }
  deps.begin.push_back(deps.targets.size());
  return deps;
}

Edges Reversed(const Edges& edges) {
  const size_t n = edges.begin.size() - 1;
  Edges rev;
  rev.begin.assign(n + 1, 0);
  for (size_t t : edges.targets) ++rev.begin[t + 1];
  for (size_t i = 0; i < n; ++i) rev.begin[i + 1] += rev.begin[i];
  rev.targets.resize(edges.targets.size());
  std::vector<size_t> fill(rev.begin.begin(), rev.begin.end() - 1);
  for (size_t from = 0; from < n; ++from) {
    for (size_t k = edges.begin[from]; k < edges.begin[from + 1]; ++k) {
      rev.targets[fill[edges.targets[k]]++] = from;
    }
  }
  return rev;
}

enum class Fate : uint8_t { kUndecided, kNeeded, kDropped };

// Marks every entry reached from the ones already marked, along `edges`, as `fate`, where it is
// not already marked so and `may(from, to)` allows it. A worklist, not recursion: a TOC can hold a
// few hundred thousand entries, and an entry reached twice (or through a cycle) is not walked
// again.
template <typename May>
void Spread(const Edges& edges, Fate fate, std::vector<size_t> work, std::vector<Fate>& fates,
            const May& may) {
  while (!work.empty()) {
    const size_t from = work.back();
    work.pop_back();
    for (size_t k = edges.begin[from]; k < edges.begin[from + 1]; ++k) {
      const size_t to = edges.targets[k];
      if (fates[to] == fate || !may(from, to)) continue;
      fates[to] = fate;
      work.push_back(to);
    }
  }
}

}  // namespace

// Rules 1 and 2 mark the selected relations and everything they need, transitively. Rule 3 is
// computed from the other side: a relation outside that closure is dropped, and so is every
// entry that depends on a dropped one, transitively; whatever is left is kept. Each edge is walked
// at most once per pass, so this is O(entries + dependencies), and a dependency cycle that never
// reaches a dropped relation is kept, as if each entry on it counted as kept for the others.
TocSelection SelectToc(const std::vector<TocEntry>& entries, const std::set<uint32_t>& selected,
                       const std::set<uint32_t>& excluded) {
  const Edges deps = DependencyEdges(entries);
  std::vector<Fate> fates(entries.size(), Fate::kUndecided);

  std::vector<size_t> work;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].is_relation() && selected.contains(entries[i].object_oid)) {
      fates[i] = Fate::kNeeded;
      work.push_back(i);
    }
  }
  // Rule 2, for relations: tables (which hold data) are pulled in only by a table created from
  // them (partition and inheritance parents); sequences, views and other definitions by
  // anything; an excluded relation never.
  auto may_pull = [&entries, &excluded, &fates](size_t from, size_t to) {
    const TocEntry& target = entries[to];
    if (fates[to] != Fate::kUndecided) return false;
    if (!target.is_relation()) return true;
    if (excluded.contains(target.object_oid)) return false;
    if (target.desc != "TABLE") return true;
    return entries[from].desc == "TABLE" && entries[from].is_relation();
  };
  Spread(deps, Fate::kNeeded, std::move(work), fates, may_pull);

  work.clear();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].is_relation() && fates[i] == Fate::kUndecided) {
      fates[i] = Fate::kDropped;
      work.push_back(i);
    }
  }
  // A view or materialized view cannot be created over a relation that is not: it goes too, even
  // when selected. Tables stay (their data was asked for).
  auto must_drop = [&entries, &fates](size_t, size_t to) {
    if (fates[to] == Fate::kUndecided) return true;
    const TocEntry& e = entries[to];
    return e.is_relation() && (e.desc == "VIEW" || e.desc == "MATERIALIZED VIEW");
  };
  Spread(Reversed(deps), Fate::kDropped, std::move(work), fates, must_drop);

  TocSelection out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const TocEntry& e = entries[i];
    if (fates[i] != Fate::kDropped) {
      if (e.is_relation()) out.relation_oids.insert(e.object_oid);
      out.list += e.line;
      out.list += '\n';
      continue;
    }
    ++out.dropped;
    if (!e.is_relation() && out.dropped_examples.size() < kMaxDroppedExamples) {
      out.dropped_examples.push_back(e.line);
    }
    out.list += ';';
    out.list += e.line;
    out.list += '\n';
  }
  return out;
}

}  // namespace dbb::pg
