#include "pg/toc_list.h"

#include <gtest/gtest.h>

#include <string>

namespace dbb::pg {
namespace {

// A pagila-like TOC as `pg_restore -l -v` prints it: the header comments, lines with an empty
// owner (a trailing space) and the TAB after ';' in the dependency lines.
constexpr std::string_view kToc =
    ";\n"
    "; Archive created at 2026-11-27 09:50:00 UTC\n"
    ";     dbname: shop\n"
    ";\n"
    "; Selected TOC Entries:\n"
    ";\n"
    "3681; 0 0 ENCODING - ENCODING \n"
    "3682; 0 0 STDSTRINGS - STDSTRINGS \n"
    "5; 2615 2200 SCHEMA - public postgres\n"
    "3685; 0 0 ACL - SCHEMA public postgres\n"
    ";\tdepends on: 5\n"
    "6; 3079 16385 EXTENSION - pgcrypto \n"
    "900; 1247 17000 TYPE public mpaa_rating postgres\n"
    ";\tdepends on: 5\n"
    "275; 1255 16400 FUNCTION public last_updated() postgres\n"
    ";\tdepends on: 5\n"
    "216; 1259 16422 SEQUENCE public actor_actor_id_seq postgres\n"
    ";\tdepends on: 5\n"
    "217; 1259 16423 TABLE public actor postgres\n"
    ";\tdepends on: 216 5\n"
    "218; 0 0 SEQUENCE OWNED BY public actor_actor_id_seq postgres\n"
    ";\tdepends on: 216 217\n"
    "219; 1259 16430 TABLE public film_actor postgres\n"
    ";\tdepends on: 5\n"
    "238; 1259 16510 SEQUENCE public payment_payment_id_seq postgres\n"
    ";\tdepends on: 5\n"
    "239; 1259 16515 TABLE public payment postgres\n"
    ";\tdepends on: 238 5\n"
    "240; 1259 16521 TABLE public payment_p2022_01 postgres\n"
    ";\tdepends on: 238 239 5\n"
    "241; 1259 16525 TABLE public payment_p2022_02 postgres\n"
    ";\tdepends on: 238 239 5\n"
    "3345; 0 0 TABLE ATTACH public payment_p2022_01 postgres\n"
    ";\tdepends on: 240 239\n"
    "3346; 0 0 TABLE ATTACH public payment_p2022_02 postgres\n"
    ";\tdepends on: 241 239\n"
    "250; 1259 16600 VIEW public actor_info postgres\n"
    ";\tdepends on: 217 219 5\n"
    "3690; 0 0 COMMENT public VIEW actor_info postgres\n"
    ";\tdepends on: 250\n"
    "3399; 2606 16607 CONSTRAINT public actor actor_pkey postgres\n"
    ";\tdepends on: 217\n"
    "3401; 2606 16609 CONSTRAINT public film_actor film_actor_pkey postgres\n"
    ";\tdepends on: 219\n"
    "3400; 1259 16635 INDEX public idx_actor_last_name postgres\n"
    ";\tdepends on: 217\n"
    "3515; 2620 16669 TRIGGER public actor last_updated postgres\n"
    ";\tdepends on: 275 217\n"
    "3520; 2606 16700 FK CONSTRAINT public film_actor film_actor_actor_id_fkey postgres\n"
    ";\tdepends on: 219 3399\n"
    "3600; 0 16423 TABLE DATA public actor postgres\n"
    ";\tdepends on: 217\n"
    "3700; 0 0 SEQUENCE SET public actor_actor_id_seq postgres\n"
    ";\tdepends on: 216\n";

std::vector<TocEntry> Parse(std::string_view text) {
  auto entries = ParseTocList(text);
  EXPECT_TRUE(entries.ok()) << entries.status().message();
  if (!entries.ok()) return {};
  return std::move(entries).value();
}

// The dump ids of the list's lines that pg_restore -L would restore (not commented out).
std::vector<int> KeptIds(const TocSelection& s) {
  std::vector<int> ids;
  size_t start = 0;
  while (start < s.list.size()) {
    const size_t eol = s.list.find('\n', start);
    const std::string line = s.list.substr(start, eol - start);
    start = eol + 1;
    if (line[0] != ';') ids.push_back(std::stoi(line));
  }
  return ids;
}

std::vector<int> SelectedIds(std::string_view toc, const std::set<uint32_t>& oids) {
  return KeptIds(SelectToc(Parse(toc), oids));
}

TEST(ParseTocList, ReadsEveryEntryInOrder) {
  const std::vector<TocEntry> entries = Parse(kToc);
  ASSERT_EQ(entries.size(), 26u);
  const TocEntry& encoding = entries[0];
  EXPECT_EQ(encoding.dump_id, 3681);
  EXPECT_EQ(encoding.table_oid, 0u);
  EXPECT_EQ(encoding.object_oid, 0u);
  EXPECT_EQ(encoding.desc, "ENCODING");
  EXPECT_EQ(encoding.line, "3681; 0 0 ENCODING - ENCODING ") << "the empty owner's space is kept";
  EXPECT_TRUE(encoding.depends_on.empty());

  const TocEntry& actor = entries[8];
  EXPECT_EQ(actor.dump_id, 217);
  EXPECT_EQ(actor.table_oid, 1259u);
  EXPECT_EQ(actor.object_oid, 16423u);
  EXPECT_EQ(actor.desc, "TABLE");
  EXPECT_EQ(actor.line, "217; 1259 16423 TABLE public actor postgres");
  EXPECT_EQ(actor.depends_on, (std::vector<int>{216, 5}));
  EXPECT_TRUE(actor.is_relation());

  EXPECT_EQ(entries.back().dump_id, 3700);
  EXPECT_EQ(entries.back().depends_on, std::vector<int>{216});
}

TEST(ParseTocList, DescsWithSpaces) {
  const std::vector<TocEntry> entries = Parse(
      "3345; 0 0 TABLE ATTACH public payment_p2022_01 postgres\n"
      "3520; 2606 16700 FK CONSTRAINT public film_actor film_actor_actor_id_fkey postgres\n"
      "218; 0 0 SEQUENCE OWNED BY public actor_actor_id_seq postgres\n"
      "3700; 0 0 SEQUENCE SET public actor_actor_id_seq postgres\n"
      "3701; 0 16700 MATERIALIZED VIEW DATA public mv postgres\n"
      "260; 1259 16700 MATERIALIZED VIEW public mv postgres\n"
      "261; 1259 16710 FOREIGN TABLE public ft postgres\n"
      "3702; 0 0 DEFAULT ACL - DEFAULT PRIVILEGES FOR TABLES public postgres\n"
      "3703; 0 0 ROW SECURITY public actor postgres\n"
      "3704; 0 16423 TABLE DATA public actor postgres\n"
      "3400; 1259 16635 INDEX public idx_actor_last_name postgres\n"
      "262; 1259 16720 TABLE DATA stats postgres\n"
      "263; 1259 16730 VIEW public v \n"
      "264; 1259 16740 SEQUENCE public s \n"
      "3705; 1255 16400 FUNCTION public last_updated() postgres\n"
      "3706; 0 0 TEXT SEARCH CONFIGURATION public english_stem postgres\n"
      "3707; 0 0 NEWFANGLED - thing postgres\n");
  struct Want {
    std::string desc;
    bool relation;
  };
  const std::vector<Want> want = {
      {"TABLE ATTACH", false},
      {"FK CONSTRAINT", false},
      {"SEQUENCE OWNED BY", false},
      {"SEQUENCE SET", false},
      {"MATERIALIZED VIEW DATA", false},
      {"MATERIALIZED VIEW", true},
      {"FOREIGN TABLE", true},
      {"DEFAULT ACL", false},
      {"ROW SECURITY", false},
      {"TABLE DATA", false},
      {"INDEX", false},
      {"TABLE", true},  // a table in a schema named DATA: pg_class entries are relations first
      {"VIEW", true},
      {"SEQUENCE", true},
      {"FUNCTION", false},
      {"TEXT SEARCH CONFIGURATION", false},
      {"NEWFANGLED", false},  // unknown: the first word
  };
  ASSERT_EQ(entries.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(entries[i].desc, want[i].desc) << entries[i].line;
    EXPECT_EQ(entries[i].is_relation(), want[i].relation) << entries[i].line;
  }
}

TEST(ParseTocList, RelationNeedsPgClass) {
  TocEntry e{.table_oid = 1259, .desc = "TABLE"};
  EXPECT_TRUE(e.is_relation());
  e.table_oid = 0;
  EXPECT_FALSE(e.is_relation());
  e = TocEntry{.table_oid = 1259, .desc = "INDEX"};
  EXPECT_FALSE(e.is_relation());
}

TEST(ParseTocList, IgnoresCommentsAndBlankLines) {
  const std::vector<TocEntry> entries = Parse(
      "\n"
      "; a comment\n"
      "   \n"
      "5; 2615 2200 SCHEMA - public postgres\n"
      "; depends on nothing, says a comment that is not a dependency list\n"
      "\n"
      ";\tdepends on: 5 \n"  // the list belongs to the last entry, wherever it is
      "6; 3079 16385 EXTENSION - pgcrypto ");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].depends_on, std::vector<int>{5});
  EXPECT_EQ(entries[1].line, "6; 3079 16385 EXTENSION - pgcrypto ") << "no newline at the end";
  EXPECT_TRUE(Parse("").empty());
}

void ExpectCorrupt(std::string_view text, const std::string& message) {
  auto r = ParseTocList(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(r.status().message(), message);
}

TEST(ParseTocList, MalformedLinesAreCorrupt) {
  const std::string expected =
      ": not a TOC entry (expected \"<dump id>; <catalog oid> <object oid> <desc> <schema> <name> "
      "<owner>\" as pg_restore -l prints it)";
  ExpectCorrupt(";\n5; 2615 2200 SCHEMA - public postgres\ngarbage\n",
                "TOC list line 3 \"garbage\"" + expected);
  ExpectCorrupt("217; 1259 TABLE public actor postgres",
                "TOC list line 1 \"217; 1259 TABLE public actor postgres\"" + expected);
  ExpectCorrupt("217; 1259 16423 ", "TOC list line 1 \"217; 1259 16423 \"" + expected);
  ExpectCorrupt("-1; 0 0 ACL - x", "TOC list line 1 \"-1; 0 0 ACL - x\"" + expected);
  ExpectCorrupt("217;1259 16423 TABLE public actor postgres",
                "TOC list line 1 \"217;1259 16423 TABLE public actor postgres\"" + expected);
  ExpectCorrupt("217; 1259 99999999999 TABLE public actor postgres",
                "TOC list line 1 \"217; 1259 99999999999 TABLE public actor postgres\"" + expected);
  ExpectCorrupt("5; 2615 2200 SCHEMA - public postgres\n;\tdepends on: 3 x4\n",
                "TOC list line 2 \";\tdepends on: 3 x4\": the dependency list is not a list of "
                "dump ids (expected \";\tdepends on: <dump id> ...\")");
  ExpectCorrupt("5; 2615 2200 SCHEMA - public postgres\n;\tdepends on: 3x\n",
                "TOC list line 2 \";\tdepends on: 3x\": the dependency list is not a list of "
                "dump ids (expected \";\tdepends on: <dump id> ...\")");
  ExpectCorrupt("; header\n;\tdepends on: 3\n",
                "TOC list line 2 \";\tdepends on: 3\": a dependency list before any entry");
  ExpectCorrupt(
      "5; 2615 2200 SCHEMA - public postgres\n;\tdepends on: 1\n5; 2615 2201 SCHEMA - s postgres\n",
      "TOC list line 3 \"5; 2615 2201 SCHEMA - s postgres\": dump id 5 appears twice (also on "
      "line 1)");
  const std::string long_line(300, 'x');
  ExpectCorrupt(long_line, "TOC list line 1 \"" + std::string(120, 'x') + "...\"" + expected);
}

TEST(SelectToc, ATableKeepsWhatItNeedsAndWhatDependsOnlyOnIt) {
  const TocSelection s = SelectToc(Parse(kToc), {16423});
  // The sequence by rule 2; constraint, index, trigger (its function is kept), data, owned-by and
  // sequence set by rule 3; schema, ACL, extension, type, function: no relation dependencies.
  EXPECT_EQ(KeptIds(s), (std::vector<int>{3681, 3682, 5, 3685, 6, 900, 275, 216, 217, 218, 3399,
                                          3400, 3515, 3600, 3700}));
  EXPECT_EQ(s.relation_oids, (std::set<uint32_t>{16422, 16423}));
  EXPECT_EQ(s.dropped, 11u);  // six relations, two attaches, a comment, a constraint, an FK
  EXPECT_EQ(s.dropped_examples,
            (std::vector<std::string>{
                "3345; 0 0 TABLE ATTACH public payment_p2022_01 postgres",
                "3346; 0 0 TABLE ATTACH public payment_p2022_02 postgres",
                "3690; 0 0 COMMENT public VIEW actor_info postgres",
                "3401; 2606 16609 CONSTRAINT public film_actor film_actor_pkey postgres",
                "3520; 2606 16700 FK CONSTRAINT public film_actor film_actor_actor_id_fkey "
                "postgres"}));
}

TEST(SelectToc, APartitionKeepsItsParentButNotItsSiblings) {
  const TocSelection s = SelectToc(Parse(kToc), {16521});
  EXPECT_EQ(KeptIds(s), (std::vector<int>{3681, 3682, 5, 3685, 6, 900, 275, 238, 239, 240, 3345}));
  EXPECT_EQ(s.relation_oids, (std::set<uint32_t>{16510, 16515, 16521}));
}

TEST(SelectToc, ForeignKeyNeedsBothTables) {
  EXPECT_EQ(SelectedIds(kToc, {16423, 16430}),
            (std::vector<int>{3681, 3682, 5, 3685, 6, 900, 275, 216, 217, 218, 219, 3399, 3401,
                              3400, 3515, 3520, 3600, 3700}))
      << "the FK is kept; the view over both tables is not selected, so it and its comment go";
}

TEST(SelectToc, AViewOverTablesNotSelectedIsDropped) {
  // Tables hold data: a view is no reason to create them empty.
  EXPECT_EQ(SelectedIds(kToc, {16600}), SelectedIds(kToc, {}));
  const TocSelection with_tables = SelectToc(Parse(kToc), {16600, 16423, 16430});
  EXPECT_TRUE(with_tables.relation_oids.contains(16600));
}

TEST(SelectToc, AnExcludedRelationIsNeverPulledIn) {
  // actor's sequence would come with actor (rule 2), but not when excluded; actor stays.
  const TocSelection s = SelectToc(Parse(kToc), {16423}, {16422});
  EXPECT_FALSE(s.relation_oids.contains(16422));
  EXPECT_TRUE(s.relation_oids.contains(16423));
}

TEST(SelectToc, NothingSelectedKeepsOnlyObjectsWithoutRelations) {
  const TocSelection s = SelectToc(Parse(kToc), {});
  EXPECT_EQ(KeptIds(s), (std::vector<int>{3681, 3682, 5, 3685, 6, 900, 275}));
  EXPECT_TRUE(s.relation_oids.empty());
  EXPECT_EQ(s.dropped, 19u);
  EXPECT_EQ(s.dropped_examples.size(), 5u) << "at most five examples";
  EXPECT_EQ(s.dropped_examples.front(),
            "218; 0 0 SEQUENCE OWNED BY public actor_actor_id_seq postgres");
}

TEST(SelectToc, SelectedOidOfANonRelationSelectsNothing) {
  // TABLE DATA carries the table's oid, and an index lives in pg_class: neither is a relation.
  EXPECT_EQ(SelectedIds(kToc, {16635}), SelectedIds(kToc, {}));
  EXPECT_EQ(SelectToc(Parse(kToc), {16635}).relation_oids, std::set<uint32_t>{});
}

TEST(SelectToc, TriggerFollowsItsFunction) {
  const std::string base =
      "5; 2615 2200 SCHEMA - public postgres\n"
      "217; 1259 16423 TABLE public actor postgres\n"
      ";\tdepends on: 5\n"
      "219; 1259 16430 TABLE public film_actor postgres\n"
      ";\tdepends on: 5\n";
  // The function is absent from the list (a dump id not in the list counts as kept).
  EXPECT_EQ(SelectedIds(base + "3515; 2620 16669 TRIGGER public actor last_updated postgres\n"
                               ";\tdepends on: 275 217\n",
                        {16423}),
            (std::vector<int>{5, 217, 3515}));
  // The function depends on a table that is not restored: it goes, and the trigger with it.
  EXPECT_EQ(SelectedIds(base + "276; 1255 16401 FUNCTION public film_actor_check() postgres\n"
                               ";\tdepends on: 219 5\n"
                               "3516; 2620 16670 TRIGGER public actor check_film postgres\n"
                               ";\tdepends on: 276 217\n",
                        {16423}),
            (std::vector<int>{5, 217}));
}

TEST(SelectToc, DependencyOnAMissingDumpIdCountsAsKept) {
  const std::string toc =
      "217; 1259 16423 TABLE public actor postgres\n"
      ";\tdepends on: 9998\n"
      "900; 1247 17000 TYPE public t postgres\n"
      ";\tdepends on: 9999\n"
      "901; 1247 17001 TYPE public u postgres\n"
      ";\tdepends on: 9999 217\n";
  EXPECT_EQ(SelectedIds(toc, {16423}), (std::vector<int>{217, 900, 901}));
  EXPECT_EQ(SelectedIds(toc, {}), (std::vector<int>{900}));
}

TEST(SelectToc, DependencyCyclesTerminate) {
  const std::string toc =
      "5; 2615 2200 SCHEMA - public postgres\n"
      "10; 1247 17010 TYPE public a postgres\n"
      ";\tdepends on: 11 5\n"
      "11; 1255 17011 FUNCTION public a_in() postgres\n"
      ";\tdepends on: 10\n"
      "12; 1247 17012 TYPE public b postgres\n"
      ";\tdepends on: 13\n"
      "13; 1255 17013 FUNCTION public b_in() postgres\n"
      ";\tdepends on: 12 219\n"
      "14; 1255 17014 FUNCTION public c() postgres\n"
      ";\tdepends on: 14\n"
      "30; 1259 30000 TABLE public p postgres\n"
      ";\tdepends on: 31\n"
      "31; 1259 31000 TABLE public q postgres\n"
      ";\tdepends on: 30\n"
      "219; 1259 16430 TABLE public film_actor postgres\n"
      ";\tdepends on: 5\n";
  // 10 <-> 11 reach no relation: kept. 12 <-> 13 reach a dropped table: both dropped. 14 depends
  // on itself. 30 <-> 31: selecting one keeps both.
  const TocSelection s = SelectToc(Parse(toc), {30000});
  EXPECT_EQ(KeptIds(s), (std::vector<int>{5, 10, 11, 14, 30, 31}));
  EXPECT_EQ(s.relation_oids, (std::set<uint32_t>{30000, 31000}));
  EXPECT_EQ(SelectedIds(toc, {}), (std::vector<int>{5, 10, 11, 14}));
}

TEST(SelectToc, ListCommentsOutDroppedLines) {
  const TocSelection s = SelectToc(Parse(";\n"
                                         "; Selected TOC Entries:\n"
                                         "3681; 0 0 ENCODING - ENCODING \n"
                                         "217; 1259 16423 TABLE public actor postgres\n"
                                         "219; 1259 16430 TABLE public film_actor postgres\n"
                                         "3401; 2606 16609 CONSTRAINT public film_actor fa_pkey x\n"
                                         ";\tdepends on: 219\n"),
                                   {16423});
  EXPECT_EQ(s.list,
            "3681; 0 0 ENCODING - ENCODING \n"
            "217; 1259 16423 TABLE public actor postgres\n"
            ";219; 1259 16430 TABLE public film_actor postgres\n"
            ";3401; 2606 16609 CONSTRAINT public film_actor fa_pkey x\n");
  EXPECT_EQ(s.dropped, 2u);
  EXPECT_EQ(s.dropped_examples,
            std::vector<std::string>{"3401; 2606 16609 CONSTRAINT public film_actor fa_pkey x"});
  EXPECT_EQ(SelectToc({}, {1}).list, "");
}

TEST(SelectToc, LongChainsNeedNoDeepRecursion) {
  // 200000 views, each over the previous one: selecting the last needs them all (rule 2). And
  // 200000 comments, each on the previous one, the first on a table: they go with the table.
  constexpr int kChain = 200000;
  std::vector<TocEntry> entries;
  entries.reserve(2 * kChain + 1);
  for (int i = 1; i <= kChain; ++i) {
    const auto oid = static_cast<uint32_t>(100000 + i);
    entries.push_back({.dump_id = i,
                       .table_oid = 1259,
                       .object_oid = oid,
                       .desc = "VIEW",
                       .line = std::to_string(i) + "; 1259 " + std::to_string(oid) + " VIEW s v",
                       .depends_on = {i - 1}});
  }
  const int table_id = kChain + 1;
  entries.push_back({.dump_id = table_id,
                     .table_oid = 1259,
                     .object_oid = 1,
                     .desc = "TABLE",
                     .line = std::to_string(table_id) + "; 1259 1 TABLE s t"});
  for (int i = table_id + 1; i <= table_id + kChain; ++i) {
    entries.push_back({.dump_id = i,
                       .desc = "COMMENT",
                       .line = std::to_string(i) + "; 0 0 COMMENT s x",
                       .depends_on = {i - 1}});
  }
  const TocSelection views = SelectToc(entries, {100000 + kChain});
  EXPECT_EQ(views.relation_oids.size(), static_cast<size_t>(kChain));
  EXPECT_EQ(views.dropped, static_cast<size_t>(kChain + 1)) << "the table and its comments";
  const TocSelection table = SelectToc(entries, {1});
  EXPECT_EQ(table.relation_oids, std::set<uint32_t>{1});
  EXPECT_EQ(table.dropped, static_cast<size_t>(kChain)) << "the views";
}

}  // namespace
}  // namespace dbb::pg
