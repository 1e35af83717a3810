// SealJson / CheckJsonSeal: the manifests' own checksum (format version 5).
#include "engine/sealed_json.h"

#include <gtest/gtest.h>

#include <string>

#include "compress/sha256.h"

namespace dbb::engine {
namespace {

std::string Sha256Hex(const std::string& s) {
  return compress::ToHex(
      compress::Sha256Of(std::as_bytes(std::span<const char>(s.data(), s.size()))));
}

TEST(SealedJson, LastMemberCoversEveryByteBeforeIt) {
  const std::string sealed = SealJson("{\n \"a\": 1,\n \"b\": {\n  \"c\": \"}\"\n }\n}\n");
  // The members before it are kept byte for byte; the closing brace moves after the seal.
  const std::string covered = "{\n \"a\": 1,\n \"b\": {\n  \"c\": \"}\"\n },\n ";
  EXPECT_EQ(sealed, covered + "\"manifest_sha256\": \"" + Sha256Hex(covered) + "\"\n}\n");
  EXPECT_EQ(CheckJsonSeal(sealed), SealState::kValid);
}

TEST(SealedJson, EmptyObjectAndCompactText) {
  const std::string empty = SealJson("{}");
  EXPECT_EQ(empty, "{\n \"manifest_sha256\": \"" + Sha256Hex("{\n ") + "\"\n}\n");
  EXPECT_EQ(CheckJsonSeal(empty), SealState::kValid);
  EXPECT_EQ(CheckJsonSeal(SealJson("{\"x\":[1,2]}")), SealState::kValid);
  // Whitespace after the closing brace is allowed (an editor's extra newline)...
  EXPECT_EQ(CheckJsonSeal(SealJson("{\"x\":1}") + "\n\n"), SealState::kValid);
}

TEST(SealedJson, EveryChangedByteIsCaught) {
  const std::string sealed = SealJson("{\n \"rows\": 12345,\n \"name\": \"t\"\n}\n");
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string changed = sealed;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    EXPECT_NE(CheckJsonSeal(changed), SealState::kValid) << "byte " << i;
  }
  EXPECT_EQ(CheckJsonSeal("{\n \"rows\": 1\n}\n"), SealState::kMissing);
  EXPECT_EQ(CheckJsonSeal(sealed.substr(0, sealed.size() - 5)), SealState::kMissing) << "cut";
  EXPECT_EQ(CheckJsonSeal(""), SealState::kMissing);
  // The seal's name inside a value, or not last, is no seal.
  EXPECT_EQ(CheckJsonSeal("{\"t\": \"manifest_sha256\"}"), SealState::kMissing);
  EXPECT_EQ(CheckJsonSeal("{\"manifest_sha256\": \"" + std::string(64, 'a') + "\", \"x\": 1}"),
            SealState::kMissing);
  EXPECT_EQ(CheckJsonSeal("{\"manifest_sha256\": \"" + std::string(64, 'A') + "\"}"),
            SealState::kMismatch)
      << "upper-case hex is not what a backup writes";
}

TEST(SealedJson, CheckSealMessages) {
  const std::string path = "/b/manifest.json";
  EXPECT_TRUE(CheckSeal(SealJson("{}"), path, true).ok());
  EXPECT_TRUE(CheckSeal("{}", path, false).ok()) << "older versions have none";
  EXPECT_EQ(CheckSeal("{}", path, true).message(),
            "/b/manifest.json: no \"manifest_sha256\" at its end: the manifest was cut short, or "
            "changed after the backup wrote it");
  std::string changed = SealJson("{\"rows\": 1}");
  changed[9] = '2';
  const Status st = CheckSeal(changed, path, false);
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_EQ(st.message(),
            "/b/manifest.json: checksum mismatch: the manifest was changed or damaged after the "
            "backup wrote it");
}

}  // namespace
}  // namespace dbb::engine
