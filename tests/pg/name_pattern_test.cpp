#include "pg/name_pattern.h"

#include <gtest/gtest.h>

namespace dbb::pg {
namespace {

NamePattern P(std::string_view text) {
  auto p = NamePattern::Parse(text);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return std::move(p).value();
}

NamePattern S(std::string_view text) {
  auto p = NamePattern::ParseSchema(text);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return std::move(p).value();
}

void ExpectInvalid(const Status& st, const std::string& message) {
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), message);
}

TEST(NamePattern, StarMatchesAnySequence) {
  const NamePattern p = P("a*");
  EXPECT_TRUE(p.Matches("public", "a"));
  EXPECT_TRUE(p.Matches("public", "abc"));
  EXPECT_FALSE(p.Matches("public", "ba"));
  EXPECT_FALSE(p.Matches("public", ""));
  EXPECT_TRUE(P("*").Matches("s", ""));
  EXPECT_TRUE(P("*").Matches("s", "anything at all"));
  EXPECT_TRUE(P("*_log").Matches("s", "audit_log"));
  EXPECT_FALSE(P("*_log").Matches("s", "audit_logs"));
  EXPECT_TRUE(P("a*b*c").Matches("s", "aXbYbZc"));
  EXPECT_FALSE(P("a*b*c").Matches("s", "aXbYbZ"));
  EXPECT_TRUE(P("**x**").Matches("s", "x"));
  EXPECT_TRUE(P("*ab").Matches("s", "aab")) << "the star takes one more character and retries";
}

TEST(NamePattern, QuestionMarkMatchesOneCharacter) {
  EXPECT_TRUE(P("a?c").Matches("s", "abc"));
  EXPECT_FALSE(P("a?c").Matches("s", "ac"));
  EXPECT_FALSE(P("a?c").Matches("s", "abbc"));
  EXPECT_TRUE(P("caf?").Matches("s", "caf\xC3\xA9")) << "one UTF-8 character, two bytes";
  EXPECT_FALSE(P("caf??").Matches("s", "caf\xC3\xA9"));
  EXPECT_TRUE(P("*?").Matches("s", "\xC3\xA9"));
  EXPECT_FALSE(P("*??").Matches("s", "\xC3\xA9"));
}

TEST(NamePattern, FoldsUnquotedLettersToLowerCase) {
  EXPECT_TRUE(P("Actor").Matches("public", "actor"));
  EXPECT_FALSE(P("Actor").Matches("public", "Actor")) << "PostgreSQL folds unquoted names";
  EXPECT_TRUE(P("PUBLIC.ACT*").Matches("public", "actor"));
  EXPECT_FALSE(P("PUBLIC.ACT*").Matches("Public", "actor"));
  EXPECT_TRUE(P("\"My\"Table").Matches("s", "Mytable")) << "quoted part kept, the rest folded";
}

TEST(NamePattern, QuotedTextIsLiteral) {
  EXPECT_TRUE(P("\"Order Notes\"").Matches("s", "Order Notes"));
  EXPECT_FALSE(P("\"Order Notes\"").Matches("s", "order notes"));
  const NamePattern dotted = P("\"my.schema\".\"T.1\"");
  EXPECT_TRUE(dotted.Matches("my.schema", "T.1"));
  EXPECT_FALSE(dotted.Matches("my", "schema.T.1"));
  EXPECT_TRUE(P("\"a\"\"b\"").Matches("s", "a\"b")) << "\"\" is a quote inside quotes";
  EXPECT_TRUE(P("\"x*\"").Matches("s", "x*"));
  EXPECT_FALSE(P("\"x*\"").Matches("s", "xy")) << "a quoted * is not a wildcard";
  EXPECT_TRUE(P("\"x?\"").Matches("s", "x?"));
  EXPECT_FALSE(P("\"x?\"").Matches("s", "xy"));
  EXPECT_TRUE(P("\"Big\"*").Matches("s", "Big_table")) << "wildcards outside the quotes";
}

TEST(NamePattern, OtherCharactersMatchThemselves) {
  EXPECT_TRUE(P("a\\b").Matches("s", "a\\b"));
  EXPECT_FALSE(P("a\\b").Matches("s", "ab"));
  EXPECT_TRUE(P("\"a\\*\"").Matches("s", "a\\*"));
  EXPECT_TRUE(P("t[0-9]+").Matches("s", "t[0-9]+")) << "no regular expressions";
  EXPECT_FALSE(P("t[0-9]+").Matches("s", "t1"));
  EXPECT_TRUE(P("a$|b").Matches("s", "a$|b"));
}

TEST(NamePattern, SchemaPart) {
  const NamePattern p = P("sales.*");
  EXPECT_TRUE(p.Matches("sales", "orders"));
  EXPECT_FALSE(p.Matches("sales_eu", "orders"));
  EXPECT_TRUE(P("*.orders").Matches("anything", "orders"));
  EXPECT_TRUE(P("s?les.ord*").Matches("sales", "orders"));
  EXPECT_EQ(p.text(), "sales.*");
}

TEST(NamePattern, WithoutSchemaMatchesAnySchema) {
  const NamePattern p = P("orders");
  EXPECT_TRUE(p.Matches("public", "orders"));
  EXPECT_TRUE(p.Matches("sales", "orders"));
  EXPECT_TRUE(p.Matches("", "orders"));
  EXPECT_FALSE(p.Matches("orders", "public"));
}

TEST(NamePattern, SchemaPatterns) {
  EXPECT_TRUE(S("sales_*").MatchesSchema("sales_eu"));
  EXPECT_FALSE(S("sales_*").MatchesSchema("sales"));
  EXPECT_TRUE(S("Sales").MatchesSchema("sales"));
  EXPECT_TRUE(S("\"my.schema\"").MatchesSchema("my.schema"));
  EXPECT_TRUE(S("\"Sales\"").MatchesSchema("Sales"));
  EXPECT_FALSE(S("\"Sales\"").MatchesSchema("sales"));
}

TEST(NamePattern, Errors) {
  ExpectInvalid(NamePattern::Parse("").status(),
                "'': the pattern is empty (give a name such as 'orders' or a pattern such as "
                "'sales.*')");
  ExpectInvalid(NamePattern::Parse("\"Order Notes").status(),
                "'\"Order Notes': unterminated double quote (close the quoted part with \", and "
                "write \"\" for a quote inside it)");
  ExpectInvalid(NamePattern::Parse("\"a\"\"").status(),
                "'\"a\"\"': unterminated double quote (close the quoted part with \", and write "
                "\"\" for a quote inside it)");
  ExpectInvalid(NamePattern::Parse("a.b.c").status(),
                "'a.b.c': a pattern names at most schema.table (database-qualified names are not "
                "supported)");
  ExpectInvalid(NamePattern::Parse(".t").status(),
                "'.t': the schema part before the dot is empty (write 'orders' or '*.orders' to "
                "match any schema)");
  ExpectInvalid(NamePattern::Parse("\"\".t").status(),
                "'\"\".t': the schema part before the dot is empty (write 'orders' or '*.orders' "
                "to match any schema)");
  ExpectInvalid(NamePattern::Parse("sales.").status(),
                "'sales.': the name after the dot is empty (write 'sales.*' for every relation in "
                "schema sales)");
  ExpectInvalid(NamePattern::Parse("\"\"").status(),
                "'\"\"': the name is empty (\"\" is no name; give one between the quotes)");
  ExpectInvalid(NamePattern::Parse("it's.").status(),
                "'it'\\''s.': the name after the dot is empty (write 'sales.*' for every relation "
                "in schema sales)");
}

TEST(NamePattern, SchemaErrors) {
  ExpectInvalid(NamePattern::ParseSchema("").status(),
                "'': the pattern is empty (give a schema name such as 'sales' or a pattern such "
                "as 'sales_*')");
  ExpectInvalid(NamePattern::ParseSchema("db.sales").status(),
                "'db.sales': a schema pattern names one schema (database-qualified names are not "
                "supported; quote a name that contains a dot: '\"my.schema\"')");
  ExpectInvalid(NamePattern::ParseSchema("\"sales").status(),
                "'\"sales': unterminated double quote (close the quoted part with \", and write "
                "\"\" for a quote inside it)");
  ExpectInvalid(NamePattern::ParseSchema("\"\"").status(),
                "'\"\"': the schema name is empty (\"\" is no name; give one between the quotes)");
}

TEST(RelationFilter, EmptySelectsEverything) {
  auto f = RelationFilter::Create({}, {}, {});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->empty());
  EXPECT_TRUE(f->Selects("public", "actor"));
  EXPECT_TRUE(f->Selects("Any Schema", "Any Table"));
  EXPECT_EQ(f->Describe(), "");
  EXPECT_TRUE(RelationFilter().Selects("s", "t"));
}

TEST(RelationFilter, TablesWinOverSchemas) {
  auto f = RelationFilter::Create({"public.a*"}, {}, {"sales"});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_FALSE(f->empty());
  EXPECT_TRUE(f->Selects("public", "actor"));
  EXPECT_FALSE(f->Selects("public", "film"));
  EXPECT_FALSE(f->Selects("sales", "orders")) << "with --table, --schema is ignored (pg_dump)";
}

TEST(RelationFilter, SchemasAlone) {
  auto f = RelationFilter::Create({}, {}, {"sales", "hr_*"});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_TRUE(f->Selects("sales", "orders"));
  EXPECT_TRUE(f->Selects("hr_eu", "people"));
  EXPECT_FALSE(f->Selects("public", "actor"));
  EXPECT_FALSE(f->Selects("sales_eu", "orders"));
}

TEST(RelationFilter, ExclusionsApplyLast) {
  auto f = RelationFilter::Create({"a*", "film"}, {"actor", "*.*_old"}, {});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_FALSE(f->Selects("public", "actor"));
  EXPECT_TRUE(f->Selects("public", "address"));
  EXPECT_FALSE(f->Selects("public", "address_old"));
  EXPECT_TRUE(f->Selects("public", "film"));
  EXPECT_FALSE(f->Selects("public", "payment"));

  auto only_exclude = RelationFilter::Create({}, {"sales.*"}, {});
  ASSERT_TRUE(only_exclude.ok());
  EXPECT_TRUE(only_exclude->Selects("public", "actor"));
  EXPECT_FALSE(only_exclude->Selects("sales", "orders"));

  auto with_schema = RelationFilter::Create({}, {"orders"}, {"sales"});
  ASSERT_TRUE(with_schema.ok());
  EXPECT_TRUE(with_schema->Selects("sales", "items"));
  EXPECT_FALSE(with_schema->Selects("sales", "orders"));
  EXPECT_FALSE(with_schema->Selects("public", "items"));
}

TEST(RelationFilter, ErrorsNameTheFlag) {
  ExpectInvalid(RelationFilter::Create({"ok", "a.b.c"}, {}, {}).status(),
                "--table 'a.b.c': a pattern names at most schema.table (database-qualified names "
                "are not supported)");
  ExpectInvalid(RelationFilter::Create({"ok"}, {""}, {}).status(),
                "--exclude-table '': the pattern is empty (give a name such as 'orders' or a "
                "pattern such as 'sales.*')");
  ExpectInvalid(RelationFilter::Create({}, {}, {"db.sales"}).status(),
                "--schema 'db.sales': a schema pattern names one schema (database-qualified names "
                "are not supported; quote a name that contains a dot: '\"my.schema\"')");
}

TEST(RelationFilter, DescribeQuotesForAShell) {
  auto f = RelationFilter::Create({"public.a*"}, {"b"}, {});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->Describe(), "--table 'public.a*' --exclude-table 'b'");
  auto g = RelationFilter::Create({"\"Order Notes\"", "it's"}, {}, {"sales"});
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->Describe(), "--table '\"Order Notes\"' --table 'it'\\''s' --schema 'sales'");
  ASSERT_EQ(g->tables().size(), 2u);
  EXPECT_EQ(g->tables()[1].text(), "it's");
  EXPECT_EQ(g->schemas().size(), 1u);
  EXPECT_TRUE(g->exclude_tables().empty());
}

}  // namespace
}  // namespace dbb::pg
