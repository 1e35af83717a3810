#include "pg/name_pattern.h"

#include <utility>

namespace dbb::pg {

namespace {

constexpr size_t kNoStar = std::string_view::npos;

// ASCII only: PostgreSQL folds unquoted identifiers with tolower() in the server's locale, which
// for the identifiers people write on a command line is the same.
char FoldAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

void AppendLiteral(std::string& glob, char c) {
  if (c == '*' || c == '?' || c == '\\') glob += '\\';
  glob += c;
}

bool IsUtf8Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Past the character starting at `i`, so that `?` matches one character of a UTF-8 name rather than
// one byte, as it does in pg_dump (which matches in the server's encoding).
size_t NextChar(std::string_view s, size_t i) {
  ++i;
  while (i < s.size() && IsUtf8Continuation(s[i])) ++i;
  return i;
}

// Iterative glob match: on a mismatch, the last `*` takes one more character and the rest of the
// glob is retried from there. Only the last `*` needs to be remembered, so this is O(|glob| * |s|)
// at worst and never recurses.
bool GlobMatches(std::string_view glob, std::string_view s) {
  size_t g = 0;
  size_t i = 0;
  size_t star_g = kNoStar;
  size_t star_i = 0;
  while (i < s.size()) {
    if (g < glob.size()) {
      const char c = glob[g];
      if (c == '*') {
        star_g = ++g;
        star_i = i;
        continue;
      }
      if (c == '?') {
        ++g;
        i = NextChar(s, i);
        continue;
      }
      const bool escaped = c == '\\';
      if ((escaped ? glob[g + 1] : c) == s[i]) {
        g += escaped ? 2 : 1;
        ++i;
        continue;
      }
    }
    if (star_g == kNoStar) return false;
    g = star_g;
    star_i = NextChar(s, star_i);
    i = star_i;
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

// Single quotes for a shell: what the user would type again.
std::string ShellQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

Status PatternError(std::string_view text, std::string_view what) {
  return Status(StatusCode::kInvalidArgument, ShellQuote(text) + ": " + std::string(what));
}

// Splits at unquoted dots into globs, folding and unquoting as the header describes.
Result<std::vector<std::string>> SplitPattern(std::string_view text) {
  std::vector<std::string> parts(1);
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        AppendLiteral(parts.back(), c);
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        parts.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        quoted = true;
        break;
      case '.':
        parts.emplace_back();
        break;
      case '*':
      case '?':
        parts.back() += c;
        break;
      default:
        AppendLiteral(parts.back(), FoldAscii(c));
    }
  }
  if (quoted) {
    return PatternError(text,
                        "unterminated double quote (close the quoted part with \", and write \"\" "
                        "for a quote inside it)");
  }
  return parts;
}

}  // namespace

Result<NamePattern> NamePattern::Parse(std::string_view text) {
  if (text.empty()) {
    return PatternError(text,
                        "the pattern is empty (give a name such as 'orders' or a pattern such as "
                        "'sales.*')");
  }
  auto parts = SplitPattern(text);
  if (!parts.ok()) return parts.status();
  std::vector<std::string>& p = parts.value();
  if (p.size() > 2) {
    return PatternError(text,
                        "a pattern names at most schema.table (database-qualified names are not "
                        "supported)");
  }
  if (p.size() == 2 && p[0].empty()) {
    return PatternError(text,
                        "the schema part before the dot is empty (write 'orders' or '*.orders' "
                        "to match any schema)");
  }
  if (p.back().empty()) {
    return PatternError(text, p.size() == 2
                                  ? "the name after the dot is empty (write 'sales.*' for "
                                    "every relation in schema sales)"
                                  : "the name is empty (\"\" is no name; give one between "
                                    "the quotes)");
  }
  NamePattern pattern;
  pattern.text_ = std::string(text);
  if (p.size() == 2) pattern.schema_ = std::move(p[0]);
  pattern.name_ = std::move(p.back());
  return pattern;
}

Result<NamePattern> NamePattern::ParseSchema(std::string_view text) {
  if (text.empty()) {
    return PatternError(text,
                        "the pattern is empty (give a schema name such as 'sales' or a pattern "
                        "such as 'sales_*')");
  }
  auto parts = SplitPattern(text);
  if (!parts.ok()) return parts.status();
  std::vector<std::string>& p = parts.value();
  if (p.size() > 1) {
    return PatternError(text,
                        "a schema pattern names one schema (database-qualified names are not "
                        "supported; quote a name that contains a dot: '\"my.schema\"')");
  }
  if (p[0].empty()) {
    return PatternError(text,
                        "the schema name is empty (\"\" is no name; give one between the "
                        "quotes)");
  }
  NamePattern pattern;
  pattern.text_ = std::string(text);
  pattern.name_ = std::move(p[0]);
  return pattern;
}

bool NamePattern::Matches(std::string_view schema, std::string_view name) const {
  if (schema_.has_value() && !GlobMatches(*schema_, schema)) return false;
  return GlobMatches(name_, name);
}

bool NamePattern::MatchesSchema(std::string_view schema) const {
  return GlobMatches(name_, schema);
}

namespace {

Status AddPatterns(std::string_view flag, const std::vector<std::string>& texts, bool schema,
                   std::vector<NamePattern>& out) {
  for (const std::string& text : texts) {
    auto pattern = schema ? NamePattern::ParseSchema(text) : NamePattern::Parse(text);
    if (!pattern.ok()) {
      // "--table 'a.b.c': ...": the flag and the value as the user would type them.
      return Status(pattern.status().code(), std::string(flag) + " " + pattern.status().message());
    }
    out.push_back(std::move(pattern.value()));
  }
  return Status::Ok();
}

bool AnyMatches(const std::vector<NamePattern>& patterns, std::string_view schema,
                std::string_view name) {
  for (const NamePattern& p : patterns) {
    if (p.Matches(schema, name)) return true;
  }
  return false;
}

void AppendDescribed(std::string_view flag, const std::vector<NamePattern>& patterns,
                     std::string& out) {
  for (const NamePattern& p : patterns) {
    if (!out.empty()) out += ' ';
    out += flag;
    out += ' ';
    out += ShellQuote(p.text());
  }
}

}  // namespace

Result<RelationFilter> RelationFilter::Create(const std::vector<std::string>& tables,
                                              const std::vector<std::string>& exclude_tables,
                                              const std::vector<std::string>& schemas) {
  RelationFilter filter;
  DBB_RETURN_IF_ERROR(AddPatterns("--table", tables, false, filter.tables_));
  DBB_RETURN_IF_ERROR(AddPatterns("--exclude-table", exclude_tables, false, filter.exclude_));
  DBB_RETURN_IF_ERROR(AddPatterns("--schema", schemas, true, filter.schemas_));
  return filter;
}

bool RelationFilter::Selects(std::string_view schema, std::string_view name) const {
  bool selected = true;
  if (!tables_.empty()) {
    selected = AnyMatches(tables_, schema, name);
  } else if (!schemas_.empty()) {
    selected = false;
    for (const NamePattern& p : schemas_) {
      if (p.MatchesSchema(schema)) {
        selected = true;
        break;
      }
    }
  }
  return selected && !Excludes(schema, name);
}

bool RelationFilter::Excludes(std::string_view schema, std::string_view name) const {
  return AnyMatches(exclude_, schema, name);
}

std::string RelationFilter::Describe() const {
  std::string out;
  AppendDescribed("--table", tables_, out);
  AppendDescribed("--exclude-table", exclude_, out);
  AppendDescribed("--schema", schemas_, out);
  return out;
}

}  // namespace dbb::pg
