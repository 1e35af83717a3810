// RunVerify on backups built here, file by file, as the backup writes them (pages compressed into
// members, the manifest sealed), so that every kind of damage can be made without a server: a
// flipped byte, a truncated, deleted or extra file, an edited manifest, a row count or column
// count the stream does not have, a missing or changed external content, and a cluster with a
// damaged and a missing database. Real backups are verified by tests/integration/verify_test.
#include "engine/verify.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "compress/codec.h"
#include "compress/crc32c.h"
#include "compress/sha256.h"
#include "engine/blob_stream.h"
#include "engine/cluster_manifest.h"
#include "engine/manifest.h"
#include "io/small_file.h"
#include "support/test_util.h"

namespace dbb::engine {
namespace {

namespace fs = std::filesystem;
using dbb::testing::Int16;
using dbb::testing::Int32;
using dbb::testing::TempDir;

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

// A binary COPY stream of `rows` rows of (int4, text, bytea) whose bytes barely compress, so that
// a few thousand rows make a file larger than one read.
std::string BinaryCopy(uint64_t rows, uint32_t seed) {
  std::string out = std::string("PGCOPY\n\377\r\n\0", 11) + Int32(0) + Int32(0);
  uint32_t x = seed;
  for (uint64_t r = 0; r < rows; ++r) {
    out += Int16(3) + Int32(4) + Int32(static_cast<int32_t>(r));
    if (r % 7 == 0) {
      out += Int32(-1);
    } else {
      out += Int32(5) + "row " + std::to_string(r % 10);
    }
    std::string noise(100, '\0');
    for (char& c : noise) c = static_cast<char>((x = x * 1103515245u + 12345u) >> 24);
    out += Int32(100) + noise;
  }
  return out + Int16(-1);
}

std::string TextCopy(uint64_t rows) {
  std::string out;
  for (uint64_t r = 0; r < rows; ++r) out += std::to_string(r) + "\ta\\tb\\n\t\\N\n";
  return out;
}

// `stream` compressed in pages of `page_bytes` (a member each) into DIR/`file`, as the pipeline
// writes data files; returns the manifest's entry.
DataFile WriteDataFile(const std::string& dir, const std::string& file, const std::string& stream,
                       uint64_t rows, size_t page_bytes = 16 * 1024) {
  auto compressor = compress::MakeCompressor({}).value();
  std::string out;
  uint64_t members = 0;
  size_t offset = 0;
  do {
    const std::string page = stream.substr(offset, page_bytes);
    std::vector<std::byte> packed(compressor->MaxCompressedBytes(page.size()));
    const size_t n = compressor->Compress(Bytes(page), packed).value();
    out.append(reinterpret_cast<const char*>(packed.data()), n);
    ++members;
    offset += page_bytes;
  } while (offset < stream.size());
  EXPECT_TRUE(io::WriteFileAtomic(dir + "/" + file, out).ok());
  return {.file = file,
          .rows = rows,
          .raw_bytes = stream.size(),
          .stored_bytes = out.size(),
          .members = members,
          .crc32c = compress::Crc32c(0, Bytes(out))};
}

// A backup of two tables (one binary, split into two chunks, one text) and, when `blobs`, large
// objects inline or external.
Manifest MakeBackup(const std::string& dir, std::optional<BlobMode> blobs = std::nullopt) {
  fs::create_directories(dir + "/data");
  Manifest m;
  m.complete = true;
  m.database = "shop";
  m.compression = {.engine = "isal", .level = 1, .page_bytes = 16 * 1024};
  const std::string schema = "not really a pg_dump archive";
  EXPECT_TRUE(io::WriteFileAtomic(dir + "/schema.dump", schema).ok());
  m.schema.bytes = schema.size();
  m.schema.crc32c = compress::Crc32c(0, Bytes(schema));
  TableEntry big{.schema = "public", .name = "big", .columns = {"id", "label", "noise"}};
  big.files.push_back(
      WriteDataFile(dir, "data/00001.public.big.0001.gz", BinaryCopy(3000, 1), 3000));
  big.files.push_back(WriteDataFile(dir, "data/00001.public.big.0002.gz", BinaryCopy(10, 2), 10));
  m.tables.push_back(big);
  TableEntry text{.schema = "public", .name = "t", .columns = {"id", "s", "n"}, .binary = false};
  text.files.push_back(WriteDataFile(dir, "data/00002.public.t.gz", TextCopy(50), 50));
  m.tables.push_back(text);
  if (blobs) {
    fs::create_directories(dir + "/blobs");
    LargeObjects& l = m.large_objects;
    l.included = true;
    l.mode = *blobs;
    std::string stream = BlobStreamStart();
    for (uint32_t oid = 100; oid < 110; ++oid) {
      const std::string content = oid == 105 ? "" : "content of " + std::to_string(oid % 4);
      BlobRecord r{.object = {.oid = oid, .size = content.size(), .owner = "app"}};
      if (*blobs == BlobMode::kExternal) r.sha256 = compress::Sha256Of(Bytes(content));
      stream += EncodeBlobHead(r);
      if (*blobs == BlobMode::kInline) stream += content;
      if (*blobs == BlobMode::kExternal && !content.empty()) {
        const std::string file = BlobContentPath(compress::ToHex(*r.sha256), ".gz");
        if (!fs::exists(dir + "/" + file)) {
          fs::create_directories(fs::path(dir + "/" + file).parent_path());
          const DataFile f = WriteDataFile(dir, file, content, 0);
          ++l.distinct;
          l.content_stored_bytes += f.stored_bytes;
        }
      }
      ++l.count;
      l.bytes += content.size();
    }
    stream += BlobStreamEnd();
    l.files.push_back({.data = WriteDataFile(dir, "data/blobs.0001.gz", stream, l.count),
                       .first_oid = 100,
                       .last_oid = 109,
                       .bytes = l.bytes});
    if (*blobs == BlobMode::kInline) l.distinct = l.count;
  }
  EXPECT_TRUE(WriteManifest(dir, m).ok());
  return m;
}

VerifyResult Verify(const std::string& dir, bool quick = false) {
  auto r = RunVerify({.dir = dir, .quick = quick, .jobs = 3});
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : VerifyResult{};
}

// "path: what" of every problem, for failure messages and exact comparisons.
std::vector<std::string> Lines(const VerifyResult& r) {
  std::vector<std::string> out;
  for (const VerifyProblem& p : r.problems) out.push_back(p.path + ": " + p.what);
  return out;
}

std::string Joined(const VerifyResult& r) {
  std::string out;
  for (const std::string& l : Lines(r)) out += l + "\n";
  return out;
}

void FlipByte(const std::string& path, size_t at) {
  std::vector<std::byte> bytes = dbb::testing::ReadFileBytes(path);
  ASSERT_LT(at, bytes.size());
  bytes[at] ^= std::byte{0x10};
  dbb::testing::WriteFileBytes(path, bytes);
}

TEST(Verify, CleanBackupHolds) {
  TempDir tmp;
  const Manifest m = MakeBackup(tmp.path(), BlobMode::kInline);
  Progress progress;
  auto r = RunVerify({.dir = tmp.path(), .jobs = 2, .progress = &progress});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->problems.empty()) << Joined(r.value());
  EXPECT_FALSE(r->cluster);
  EXPECT_EQ(r->files, 5u) << "schema, 3 table files, 1 blob file";
  EXPECT_EQ(r->rows, 3060u);
  EXPECT_EQ(r->large_objects, 10u);
  EXPECT_EQ(r->raw_bytes,
            m.raw_bytes() - m.large_objects.bytes + m.large_objects.files[0].data.raw_bytes);
  EXPECT_EQ(r->stored_bytes, m.stored_bytes());
  const Progress::Snapshot done = progress.Read();
  EXPECT_EQ(done.units_done, done.units_total);
  EXPECT_EQ(done.bytes_done, done.bytes_total);
  EXPECT_GT(m.tables[0].files[0].stored_bytes, 256u * 1024) << "one file is read in pieces";
  const VerifyResult quick = Verify(tmp.path(), true);
  EXPECT_TRUE(quick.problems.empty()) << Joined(quick);
  EXPECT_EQ(quick.rows, 0u) << "quick inflates nothing";
  EXPECT_EQ(quick.stored_bytes, m.stored_bytes());
}

TEST(Verify, FlippedByteInAChunkIsNamed) {
  TempDir tmp;
  const Manifest m = MakeBackup(tmp.path());
  const DataFile& chunk = m.tables[0].files[0];
  FlipByte(tmp.file(chunk.file), chunk.stored_bytes / 2);
  const VerifyResult quick = Verify(tmp.path(), true);
  ASSERT_EQ(quick.problems.size(), 1u) << Joined(quick);
  EXPECT_EQ(quick.problems[0].path, "data/00001.public.big.0001.gz");
  EXPECT_TRUE(quick.problems[0].what.starts_with("CRC-32C "));
  EXPECT_NE(quick.problems[0].what.find(", the manifest says " +
                                        [&] {
                                          char hex[9];
                                          std::snprintf(hex, sizeof hex, "%08x", chunk.crc32c);
                                          return std::string(hex);
                                        }()),
            std::string::npos)
      << quick.problems[0].what;
  const VerifyResult full = Verify(tmp.path());
  ASSERT_EQ(full.problems.size(), 1u) << Joined(full);
  EXPECT_EQ(full.problems[0].path, "data/00001.public.big.0001.gz");
  EXPECT_NE(full.problems[0].what.find("; gzip member"), std::string::npos)
      << "the decoder says which member: " << full.problems[0].what;
}

TEST(Verify, TruncatedDeletedAndExtraFilesAreNamed) {
  TempDir tmp;
  const Manifest m = MakeBackup(tmp.path());
  const DataFile& text = m.tables[1].files[0];
  fs::resize_file(tmp.file(text.file), text.stored_bytes - 3);
  fs::remove(tmp.file(m.tables[0].files[1].file));
  ASSERT_TRUE(io::WriteFileAtomic(tmp.file("data/00003.public.old.gz.partial"), "x").ok());
  for (bool quick : {true, false}) {
    const VerifyResult r = Verify(tmp.path(), quick);
    const std::vector<std::string> lines = Lines(r);
    ASSERT_EQ(lines.size(), 3u) << Joined(r);
    EXPECT_EQ(lines[0], "data/00001.public.big.0002.gz: missing (the manifest lists it)");
    EXPECT_EQ(lines[1],
              "data/00002.public.t.gz: " + std::to_string(text.stored_bytes - 3) +
                  " bytes, the manifest says " + std::to_string(text.stored_bytes) +
                  (quick ? "" : "; truncated: stream ends inside gzip member 1 (at byte 0)"));
    EXPECT_EQ(lines[2], "data/00003.public.old.gz.partial: not listed in the manifest");
  }
}

TEST(Verify, EditedManifestIsNamed) {
  TempDir tmp;
  MakeBackup(tmp.path());
  const std::string path = tmp.file("manifest.json");
  std::string text = io::ReadSmallFile(path, 1 << 20).value();
  text.replace(text.find("\"rows\": 3000"), 12, "\"rows\": 3001");
  ASSERT_TRUE(io::WriteFileAtomic(path, text).ok());
  const VerifyResult r = Verify(tmp.path(), true);
  EXPECT_EQ(Lines(r), std::vector<std::string>{
                          "manifest.json: checksum mismatch: the manifest was changed or damaged "
                          "after the backup wrote it"});
}

// A manifest that is intact but does not describe its streams: what only inflating finds.
TEST(Verify, RowsColumnsAndLengthsAreChecked) {
  TempDir tmp;
  Manifest m = MakeBackup(tmp.path());
  m.tables[0].files[1].rows = 11;
  m.tables[1].columns.pop_back();
  m.tables[0].files[0].raw_bytes += 1;
  ASSERT_TRUE(WriteManifest(tmp.path(), m).ok());
  EXPECT_TRUE(Verify(tmp.path(), true).problems.empty()) << "quick does not inflate";
  const std::vector<std::string> lines = Lines(Verify(tmp.path()));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "data/00001.public.big.0001.gz: inflates to " +
                          std::to_string(m.tables[0].files[0].raw_bytes - 1) +
                          " bytes, the manifest says " +
                          std::to_string(m.tables[0].files[0].raw_bytes));
  EXPECT_EQ(lines[1], "data/00001.public.big.0002.gz: 10 rows, the manifest says 11");
  EXPECT_EQ(lines[2],
            "data/00002.public.t.gz: COPY stream byte 0 (row 1): a line of 3 fields, the table "
            "has 2 columns");
}

TEST(Verify, DirectoryWithoutManifest) {
  TempDir tmp;
  fs::create_directories(tmp.file("b/data"));
  VerifyResult r = Verify(tmp.file("b"));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].path, "");
  EXPECT_EQ(r.problems[0].what,
            "no manifest.json or cluster.json: not a complete backup (interrupted, failed, or "
            "still running)");
  ASSERT_TRUE(io::WriteFileAtomic(tmp.file("b/backup.journal"), "{}\n").ok());
  r = Verify(tmp.file("b"));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].what.find("--resume` can complete it"), std::string::npos)
      << r.problems[0].what;
  const auto missing = RunVerify({.dir = tmp.file("nothing")});
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
  EXPECT_NE(missing.status().message().find(tmp.file("nothing")), std::string::npos);
}

TEST(Verify, ExternalContents) {
  TempDir tmp;
  const Manifest m = MakeBackup(tmp.path(), BlobMode::kExternal);
  ASSERT_EQ(m.large_objects.distinct, 4u);
  EXPECT_TRUE(Verify(tmp.path()).problems.empty()) << Joined(Verify(tmp.path()));
  EXPECT_EQ(Verify(tmp.path()).files, 5u + 4u) << "and each content file";
  // One content deleted: full mode names it (once, though several objects share it); quick
  // mode sees the count.
  const std::string hex = compress::ToHex(compress::Sha256Of(Bytes(std::string("content of 1"))));
  const std::string gone = BlobContentPath(hex, ".gz");
  ASSERT_TRUE(fs::remove(tmp.file(gone)));
  std::vector<std::string> lines = Lines(Verify(tmp.path()));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "blobs: 3 content files of " +
                std::to_string(
                    m.large_objects.content_stored_bytes -
                    fs::file_size(tmp.file(BlobContentPath(
                        compress::ToHex(compress::Sha256Of(Bytes(std::string("content of 2")))),
                        ".gz")))) +
                " bytes, the manifest says 4 of " +
                std::to_string(m.large_objects.content_stored_bytes))
      << "contents of the same length compress to the same size";
  EXPECT_EQ(lines[1], gone + ": missing: large object 101 in data/blobs.0001.gz has this content");
  lines = Lines(Verify(tmp.path(), true));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].starts_with("blobs: 3 content files")) << lines[0];
  // Another content under its name: caught by its SHA-256 in full mode.
  fs::copy_file(
      tmp.file(BlobContentPath(
          compress::ToHex(compress::Sha256Of(Bytes(std::string("content of 2")))), ".gz")),
      tmp.file(gone));
  lines = Lines(Verify(tmp.path()));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].starts_with(gone + ": its content's SHA-256 is ")) << lines[0];
  EXPECT_TRUE(Verify(tmp.path(), true).problems.empty());
}

TEST(Verify, ClusterWithDamagedAndMissingDatabases) {
  TempDir tmp;
  const std::string dir = tmp.path();
  ClusterManifest c;
  const std::string globals = "CREATE ROLE app;\n";
  ASSERT_TRUE(io::WriteFileAtomic(dir + "/globals.sql", globals).ok());
  c.globals.bytes = globals.size();
  c.globals.crc32c = compress::Crc32c(0, Bytes(globals));
  const Manifest shop = MakeBackup(dir + "/databases/0001.shop");
  c.databases.push_back({.name = "shop",
                         .status = DatabaseStatus::kComplete,
                         .dir = "databases/0001.shop",
                         .tables = 2,
                         .rows = 3060});
  c.databases.push_back(
      {.name = "slow", .status = DatabaseStatus::kTimedOut, .error = "timed out after 1 s"});
  ASSERT_TRUE(WriteClusterManifest(dir, c).ok());
  VerifyResult r = Verify(dir);
  EXPECT_TRUE(r.cluster);
  EXPECT_TRUE(r.problems.empty()) << Joined(r);
  EXPECT_EQ(r.missing_databases, std::vector<std::string>{"slow: timed out: timed out after 1 s"});
  EXPECT_EQ(r.files, 5u) << "globals and the database's 4 files";
  // cluster.json and the database's manifest disagree: a directory of another backup.
  c.databases[0].rows = 3061;
  ASSERT_TRUE(WriteClusterManifest(dir, c).ok());
  EXPECT_EQ(Lines(Verify(dir, true)),
            std::vector<std::string>{"databases/0001.shop/manifest.json: 2 tables and 3060 rows, "
                                     "cluster.json says 2 and 3061"});
  c.databases[0].rows = 3060;
  ASSERT_TRUE(WriteClusterManifest(dir, c).ok());
  FlipByte(dir + "/databases/0001.shop/" + shop.tables[1].files[0].file, 20);
  r = Verify(dir, true);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].path, "databases/0001.shop/data/00002.public.t.gz");
  // A directory cluster.json does not list; a database whose manifest is gone.
  fs::create_directories(dir + "/databases/0009.old");
  fs::remove(dir + "/databases/0001.shop/manifest.json");
  r = Verify(dir, true);
  ASSERT_EQ(r.problems.size(), 2u) << Joined(r);
  EXPECT_EQ(r.problems[0].path, "databases/0001.shop/manifest.json");
  EXPECT_TRUE(r.problems[0].what.starts_with("no manifest.json: not a complete backup"));
  EXPECT_EQ(r.problems[1].path + ": " + r.problems[1].what,
            "databases/0009.old: not listed in cluster.json");
}

TEST(Verify, JsonSummary) {
  TempDir tmp;
  fs::create_directories(tmp.file("b"));
  const VerifyOptions o{.dir = tmp.file("b"), .quick = true};
  const std::string json = VerifyResultToJson(o, Verify(o.dir, true));
  EXPECT_NE(json.find("\"ok\": false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"mode\": \"quick\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"problem\": \"no manifest.json or cluster.json"), std::string::npos)
      << json;
}

}  // namespace
}  // namespace dbb::engine
