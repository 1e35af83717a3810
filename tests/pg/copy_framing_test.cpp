// CopyFraming: binary and text COPY streams checked in pieces split at every byte, row counts,
// and the exact message of each kind of damage. (Real server output is checked by the
// integration test of `dbbackup verify`.)
#include "pg/copy_framing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/test_util.h"

namespace dbb::pg {
namespace {

using dbb::testing::Int16;
using dbb::testing::Int32;

std::string Header(const std::string& extension = "") {
  return std::string("PGCOPY\n\377\r\n\0", 11) + Int32(0) +
         Int32(static_cast<int32_t>(extension.size())) + extension;
}

// One row; nullopt-like NULLs are written as "\x01NULL" markers below.
std::string Row(const std::vector<std::string>& fields) {
  std::string out = Int16(static_cast<int16_t>(fields.size()));
  for (const std::string& f : fields) {
    if (f == "<NULL>") {
      out += Int32(-1);
    } else {
      out += Int32(static_cast<int32_t>(f.size())) + f;
    }
  }
  return out;
}

std::string Trailer() { return Int16(-1); }

std::span<const std::byte> Bytes(const std::string& s, size_t from = 0,
                                 size_t n = std::string::npos) {
  const std::string_view v = std::string_view(s).substr(from, n);
  return std::as_bytes(std::span<const char>(v.data(), v.size()));
}

// Feeds `stream` split at `split` (two pieces), then Finish; the first error, or OK.
Status Check(CopyFormat format, size_t columns, const std::string& stream, size_t split,
             uint64_t* rows = nullptr) {
  CopyFraming framing(format, columns);
  Status st = framing.Feed(Bytes(stream, 0, split));
  if (st.ok()) st = framing.Feed(Bytes(stream, split));
  if (st.ok()) st = framing.Finish();
  if (rows) *rows = framing.rows();
  return st;
}

// Feeds one byte at a time.
Status CheckByteByByte(CopyFormat format, size_t columns, const std::string& stream) {
  CopyFraming framing(format, columns);
  for (size_t i = 0; i < stream.size(); ++i) DBB_RETURN_IF_ERROR(framing.Feed(Bytes(stream, i, 1)));
  return framing.Finish();
}

std::string SampleBinary() {
  return Header("ext!") + Row({"1", "<NULL>", ""}) + Row({std::string(70000, 'x'), "b", "c"}) +
         Row({"<NULL>", "<NULL>", "<NULL>"}) + Trailer();
}

TEST(CopyFraming, BinaryStreamSplitAnywhereCountsRows) {
  const std::string stream = SampleBinary();
  for (size_t split = 0; split <= stream.size(); split += split < 200 ? 1 : 997) {
    uint64_t rows = 0;
    const Status st = Check(CopyFormat::kBinary, 3, stream, split, &rows);
    ASSERT_TRUE(st.ok()) << "split at " << split << ": " << st.message();
    EXPECT_EQ(rows, 3u);
  }
  EXPECT_TRUE(CheckByteByByte(CopyFormat::kBinary, 3, stream).ok());
}

TEST(CopyFraming, BinaryEdgeCases) {
  uint64_t rows = 1;
  EXPECT_TRUE(Check(CopyFormat::kBinary, 2, Header() + Trailer(), 3, &rows).ok());
  EXPECT_EQ(rows, 0u) << "no rows";
  // A table without columns: each row is a field count of 0.
  const std::string no_columns = Header() + Row({}) + Row({}) + Trailer();
  EXPECT_TRUE(Check(CopyFormat::kBinary, 0, no_columns, 17, &rows).ok());
  EXPECT_EQ(rows, 2u);
  EXPECT_TRUE(CheckByteByByte(CopyFormat::kBinary, 0, no_columns).ok());
}

TEST(CopyFraming, EveryTruncationIsAnError) {
  const std::string stream = SampleBinary();
  for (size_t n = 0; n < stream.size(); n += n < 200 ? 1 : 1009) {
    const Status st = Check(CopyFormat::kBinary, 3, stream.substr(0, n), n / 2);
    ASSERT_EQ(st.code(), StatusCode::kCorrupt) << "cut at " << n;
  }
  EXPECT_EQ(Check(CopyFormat::kBinary, 3, "", 0).message(),
            "COPY stream byte 0: empty: no PGCOPY signature");
  EXPECT_EQ(Check(CopyFormat::kBinary, 3, Header().substr(0, 13), 5).message(),
            "COPY stream byte 13: truncated: the stream ends in its header");
  const std::string one_row = Header() + Row({"a", "b", "c"});
  EXPECT_EQ(Check(CopyFormat::kBinary, 3, one_row, 5).message(),
            "COPY stream byte 36 (row 2): truncated: no end-of-data trailer");
  EXPECT_EQ(Check(CopyFormat::kBinary, 3, one_row.substr(0, 30), 5).message(),
            "COPY stream byte 30 (row 1): truncated: the stream ends inside a row");
}

TEST(CopyFraming, DamageIsNamedWithItsOffset) {
  std::string bad_signature = SampleBinary();
  bad_signature[1] = 'H';
  EXPECT_EQ(Check(CopyFormat::kBinary, 3, bad_signature, 40).message(),
            "COPY stream byte 0: not a binary COPY stream (no PGCOPY signature)");
  std::string oids = SampleBinary();
  oids[12] = 1;  // flags bit 16 (big-endian: bytes 11-14)
  EXPECT_EQ(Check(CopyFormat::kBinary, 3, oids, 40).message(),
            "COPY stream byte 11: header flags 0x00010000: bits 16-31 must be 0 (OIDs, or a "
            "format this version does not know)");
  const std::string head = Header();  // 19 bytes
  EXPECT_EQ(Check(CopyFormat::kBinary, 4, head + Row({"1", "2", "3"}) + Trailer(), 7).message(),
            "COPY stream byte 19 (row 1): 3 fields, the table has 4 columns");
  const std::string second = head + Row({"1", "2"}) + Int16(2) + Int32(-2) + Trailer();
  EXPECT_EQ(Check(CopyFormat::kBinary, 2, second, 25).message(),
            "COPY stream byte 33 (row 2): field length -2");
  EXPECT_EQ(Check(CopyFormat::kBinary, 2, head + Trailer() + "x", 3).message(),
            "COPY stream byte 21: data after the end-of-data trailer");
  // Once failed, it stays failed.
  CopyFraming framing(CopyFormat::kBinary, 1);
  EXPECT_FALSE(framing.Feed(Bytes("not copy at all")).ok());
  EXPECT_FALSE(framing.Feed(Bytes(Header())).ok());
  EXPECT_FALSE(framing.Finish().ok());
}

TEST(CopyFraming, TextLinesAreRows) {
  const std::string stream = "1\tone\t\\N\n2\ta\\tb\\nc\t\n3\t\t\n";
  for (size_t split = 0; split <= stream.size(); ++split) {
    uint64_t rows = 0;
    const Status st = Check(CopyFormat::kText, 3, stream, split, &rows);
    ASSERT_TRUE(st.ok()) << "split at " << split << ": " << st.message();
    EXPECT_EQ(rows, 3u);
  }
  EXPECT_TRUE(CheckByteByByte(CopyFormat::kText, 3, stream).ok());
  uint64_t rows = 1;
  EXPECT_TRUE(Check(CopyFormat::kText, 3, "", 0, &rows).ok());
  EXPECT_EQ(rows, 0u);
  EXPECT_TRUE(Check(CopyFormat::kText, 1, "\n\n", 1, &rows).ok()) << "empty strings";
  EXPECT_EQ(rows, 2u);
  EXPECT_TRUE(Check(CopyFormat::kText, 0, "\n\n\n", 1, &rows).ok()) << "no columns";
  EXPECT_EQ(rows, 3u);
}

TEST(CopyFraming, TextDamage) {
  EXPECT_EQ(Check(CopyFormat::kText, 2, "1\ta\n2\ta\tb\n", 6).message(),
            "COPY stream byte 4 (row 2): a line of 3 fields, the table has 2 columns");
  EXPECT_EQ(Check(CopyFormat::kText, 2, "1\ta\n2\tb", 6).message(),
            "COPY stream byte 4 (row 2): truncated: the last line has no newline");
  EXPECT_EQ(Check(CopyFormat::kText, 0, "\nx\n", 1).message(),
            "COPY stream byte 1 (row 2): a line of 1 fields, the table has 0 columns");
}

}  // namespace
}  // namespace dbb::pg
