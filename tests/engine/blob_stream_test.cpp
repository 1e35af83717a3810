#include "engine/blob_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dbb::engine {
namespace {

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

// Records what the parser hands on: each record with its content joined.
class Collector : public BlobStreamParser::Handler {
 public:
  struct Seen {
    BlobRecord record;
    std::string content;
    bool ended = false;
  };
  Status Begin(const BlobRecord& r) override {
    seen.push_back({.record = r});
    return Status::Ok();
  }
  Status Content(std::span<const std::byte> b) override {
    seen.back().content.append(reinterpret_cast<const char*>(b.data()), b.size());
    return Status::Ok();
  }
  Status End() override {
    seen.back().ended = true;
    return Status::Ok();
  }
  std::vector<Seen> seen;
};

pg::LargeObject Object(uint32_t oid, uint64_t size) {
  return {.oid = oid, .size = size, .owner = "alice"};
}

// Three objects: full metadata with inline content, empty, and external.
std::string SampleStream(compress::Sha256Digest* digest) {
  pg::LargeObject a = Object(16384, 5);
  a.acl = std::vector<pg::Grant>{
      {.grantee = "", .grantor = "alice", .privilege = "SELECT"},
      {.grantee = "bob \"b\"", .grantor = "alice", .privilege = "UPDATE", .grantable = true}};
  a.comment = "it's é";
  pg::LargeObject b = Object(16385, 0);
  b.acl = std::vector<pg::Grant>{};  // everything revoked
  *digest = compress::Sha256Of(Bytes("external content"));
  return BlobStreamStart() + EncodeBlobHead({.object = a}) + "hello" +
         EncodeBlobHead({.object = b}) +
         EncodeBlobHead({.object = Object(4000000000u, 16), .sha256 = *digest}) + BlobStreamEnd();
}

TEST(BlobStream, RoundTripSplitAtEveryByte) {
  compress::Sha256Digest digest{};
  const std::string stream = SampleStream(&digest);
  for (size_t split = 0; split <= stream.size(); ++split) {
    Collector c;
    BlobStreamParser parser(&c);
    ASSERT_TRUE(parser.Feed(Bytes(stream.substr(0, split))).ok()) << split;
    ASSERT_TRUE(parser.Feed(Bytes(stream.substr(split))).ok()) << split;
    ASSERT_TRUE(parser.Finish().ok()) << split;
    ASSERT_EQ(c.seen.size(), 3u);
    EXPECT_EQ(parser.objects(), 3u);
    EXPECT_EQ(c.seen[0].record.object.comment, "it's é");
    ASSERT_TRUE(c.seen[0].record.object.acl.has_value());
    EXPECT_EQ(c.seen[0].record.object.acl->size(), 2u);
    EXPECT_EQ((*c.seen[0].record.object.acl)[1].grantee, "bob \"b\"");
    EXPECT_TRUE((*c.seen[0].record.object.acl)[1].grantable);
    EXPECT_EQ((*c.seen[0].record.object.acl)[1].privilege, "UPDATE");
    EXPECT_EQ(c.seen[0].content, "hello");
    EXPECT_TRUE(c.seen[1].record.object.acl.has_value() && c.seen[1].record.object.acl->empty());
    EXPECT_FALSE(c.seen[1].record.object.comment.has_value());
    EXPECT_EQ(c.seen[2].record.object.oid, 4000000000u);
    EXPECT_EQ(c.seen[2].record.sha256, digest);
    EXPECT_EQ(c.seen[2].content, "") << "external content is not in the stream";
    for (const auto& s : c.seen) EXPECT_TRUE(s.ended);
  }
}

TEST(BlobStream, OneByteAtATime) {
  compress::Sha256Digest digest{};
  const std::string stream = SampleStream(&digest);
  Collector c;
  BlobStreamParser parser(&c);
  for (char ch : stream) ASSERT_TRUE(parser.Feed(Bytes(std::string(1, ch))).ok());
  ASSERT_TRUE(parser.Finish().ok());
  EXPECT_EQ(c.seen.size(), 3u);
}

TEST(BlobStream, TruncatedAnywhereIsCorrupt) {
  compress::Sha256Digest digest{};
  const std::string stream = SampleStream(&digest);
  for (size_t n = 0; n < stream.size(); ++n) {
    Collector c;
    BlobStreamParser parser(&c);
    Status st = parser.Feed(Bytes(stream.substr(0, n)));
    if (st.ok()) st = parser.Finish();
    ASSERT_FALSE(st.ok()) << "cut at " << n;
    EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  }
}

TEST(BlobStream, RejectsGarbage) {
  compress::Sha256Digest digest{};
  const std::string stream = SampleStream(&digest);
  struct Case {
    std::string bytes;
    std::string message;
  };
  std::string bad_magic = stream;
  bad_magic[0] = 'X';
  std::string zero_oid =
      BlobStreamStart() + EncodeBlobHead({.object = Object(0, 0)}) + BlobStreamEnd();
  std::string huge_head = BlobStreamStart() + std::string("\x7f\xff\xff\xff", 4);
  for (const Case& c : std::vector<Case>{{bad_magic, "DBBLOBS1"},
                                         {zero_oid, "malformed head"},
                                         {huge_head, "a head of"},
                                         {stream + "x", "after its end marker"}}) {
    Collector collector;
    BlobStreamParser parser(&collector);
    Status st = parser.Feed(Bytes(c.bytes));
    if (st.ok()) st = parser.Finish();
    EXPECT_EQ(st.code(), StatusCode::kCorrupt) << c.message;
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st.message();
  }
}

TEST(BlobStream, HandlerErrorStopsParsing) {
  class Failing : public Collector {
    Status Content(std::span<const std::byte>) override {
      return Status(StatusCode::kServer, "server said no");
    }
  } failing;
  compress::Sha256Digest digest{};
  BlobStreamParser parser(&failing);
  const Status st = parser.Feed(Bytes(SampleStream(&digest)));
  EXPECT_EQ(st.code(), StatusCode::kServer);
}

}  // namespace
}  // namespace dbb::engine
