#include "engine/journal.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_util.h"

namespace dbb::engine {
namespace {

using dbb::testing::TempDir;

const JournalIdentity kIdentity{
    .database = "app", .compression = "isal level 1", .selection = "", .large_objects = "inline"};

std::vector<PlannedTable> Plan() {
  return {{.oid = 16384,
           .schema = "public",
           .name = "orders",
           .columns = {"id", "note"},
           .binary = true,
           .files = {{.file = "data/00001.public.orders.0001.gz",
                      .blocks = pg::BlockRange{.first = 0, .end = 100}},
                     {.file = "data/00001.public.orders.0002.gz",
                      .blocks = pg::BlockRange{.first = 100}}}}};
}

void AppendRaw(const std::string& dir, const std::string& text) {
  std::ofstream(dir + "/" + kJournalName, std::ios::app) << text;
}

TEST(Journal, RunsPlanAndFinishedFilesReadBack) {
  TempDir tmp;
  {
    auto w = JournalWriter::Create(tmp.path(), kIdentity);
    ASSERT_TRUE(w.ok()) << w.status().message();
    ASSERT_TRUE((*w)->BeginRun({.run = 1, .snapshot = "S1", .started_at = "T1"}, Plan()).ok());
    ASSERT_TRUE((*w)->Done({.file = "data/00001.public.orders.0002.gz",
                            .blocks = pg::BlockRange{.first = 100},
                            .rows = 7,
                            .raw_bytes = 70,
                            .stored_bytes = 30,
                            .members = 1,
                            .crc32c = 0xdeadbeef},
                           1)
                    .ok());
  }
  auto j = ReadJournal(tmp.path());
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ(j->identity, kIdentity);
  ASSERT_EQ(j->runs.size(), 1u);
  EXPECT_EQ(j->runs[0].snapshot, "S1");
  ASSERT_EQ(j->plan.size(), 1u);
  EXPECT_EQ(j->plan[0].columns, (std::vector<std::string>{"id", "note"}));
  ASSERT_EQ(j->plan[0].files.size(), 2u);
  EXPECT_EQ(j->plan[0].files[0].blocks->end, 100u);
  EXPECT_FALSE(j->plan[0].files[1].blocks->end.has_value());
  ASSERT_EQ(j->done.size(), 1u);
  const DoneFile& d = j->done.at("data/00001.public.orders.0002.gz");
  EXPECT_EQ(d.run, 1);
  EXPECT_EQ(d.file.rows, 7u);
  EXPECT_EQ(d.file.crc32c, 0xdeadbeefu);
}

// A crash mid-append tears the last line: it is dropped, and a resumed run appends after it.
TEST(Journal, TornLastLineIsDroppedAndAppendedAfter) {
  TempDir tmp;
  {
    auto w = JournalWriter::Create(tmp.path(), kIdentity);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->BeginRun({.run = 1, .snapshot = "S1", .started_at = "T1"}, Plan()).ok());
  }
  AppendRaw(tmp.path(), "{\"done\": {\"file\": \"data/00001.pub");
  auto j = ReadJournal(tmp.path());
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_TRUE(j->done.empty());
  {
    auto w = JournalWriter::Append(tmp.path(), j.value());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->BeginRun({.run = 2, .snapshot = "S2", .started_at = "T2"}, Plan()).ok());
  }
  j = ReadJournal(tmp.path());
  ASSERT_TRUE(j.ok()) << j.status().message();
  ASSERT_EQ(j->runs.size(), 2u);
  EXPECT_EQ(j->runs[1].snapshot, "S2");
}

TEST(Journal, DamagedLineBeforeTheLastIsCorrupt) {
  TempDir tmp;
  {
    auto w = JournalWriter::Create(tmp.path(), kIdentity);
    ASSERT_TRUE(w.ok());
  }
  AppendRaw(tmp.path(), "not json\n{\"run\": 1, \"snapshot\": \"S\", \"started_at\": \"T\"}\n");
  auto j = ReadJournal(tmp.path());
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(j.status().message().find("line 2"), std::string::npos) << j.status().message();
}

TEST(Journal, CreateRefusesAnExistingJournal) {
  TempDir tmp;
  ASSERT_TRUE(JournalWriter::Create(tmp.path(), kIdentity).ok());
  EXPECT_FALSE(JournalWriter::Create(tmp.path(), kIdentity).ok());
}

}  // namespace
}  // namespace dbb::engine
