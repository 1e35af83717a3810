// Relation selection by name: the --table, --exclude-table and --schema patterns of backup and
// restore, with pg_dump's pattern syntax (psql "Patterns"):
//   - `*` matches any sequence of characters, `?` any one character;
//   - an unquoted `.` separates the schema from the name ("sales.*", "*.orders");
//   - unquoted letters are folded to lower case; inside double quotes the characters are taken
//     literally and keep their case (`"Order Notes"`, `"my.schema".t`), and `""` is a quote;
//   - every other character matches itself (unlike psql, no regular expressions).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace dbb::pg {

class NamePattern {
 public:
  // kInvalidArgument naming the pattern for: an empty pattern, an unterminated quote, more than
  // one unquoted dot (database-qualified names are not supported), an empty schema or name part.
  // The message starts with the pattern quoted for a shell, so that a caller can put the flag in
  // front: "'a.b.c': a pattern names at most schema.table (...)".
  static Result<NamePattern> Parse(std::string_view text);

  // A schema pattern (--schema) has no unquoted dot (one is kInvalidArgument): the whole text is
  // the schema part.
  static Result<NamePattern> ParseSchema(std::string_view text);

  // Name part against `name`; schema part (when given) against `schema`. A pattern without a
  // schema part matches a relation in any schema (pg_dump: "in any schema").
  bool Matches(std::string_view schema, std::string_view name) const;
  bool MatchesSchema(std::string_view schema) const;  // for schema patterns

  const std::string& text() const { return text_; }

 private:
  std::string text_;                   // as given
  std::optional<std::string> schema_;  // glob, after case folding and unquoting
  std::string name_;                   // glob (for schema patterns: the schema glob)
  // The globs keep `*` and `?` as wildcards; a literal `*` or `?` (quoted) is stored escaped
  // with a backslash, and a literal backslash as two.
};

// pg_dump's rule: with any --table pattern, a relation is selected when it matches one of them
// (schemas are then ignored); otherwise, with any --schema pattern, when its schema matches one;
// otherwise every relation is. Then a relation matching any --exclude-table pattern is dropped.
class RelationFilter {
 public:
  // Parses every pattern; the first bad one is kInvalidArgument naming the flag and the pattern.
  static Result<RelationFilter> Create(const std::vector<std::string>& tables,
                                       const std::vector<std::string>& exclude_tables,
                                       const std::vector<std::string>& schemas);

  bool Selects(std::string_view schema, std::string_view name) const;
  // Matches an --exclude-table pattern.
  bool Excludes(std::string_view schema, std::string_view name) const;
  // No pattern at all: everything is selected.
  bool empty() const { return tables_.empty() && exclude_.empty() && schemas_.empty(); }
  // "--table 'a*' --exclude-table 'b'" (tables, exclusions, then schemas; each pattern quoted for
  // a shell; "" when empty): for messages and the manifest.
  std::string Describe() const;

  const std::vector<NamePattern>& tables() const { return tables_; }
  const std::vector<NamePattern>& exclude_tables() const { return exclude_; }
  const std::vector<NamePattern>& schemas() const { return schemas_; }

 private:
  std::vector<NamePattern> tables_;
  std::vector<NamePattern> exclude_;
  std::vector<NamePattern> schemas_;
};

}  // namespace dbb::pg
