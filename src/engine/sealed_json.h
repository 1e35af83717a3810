// A manifest that carries its own checksum (format version 5; like the Manifest-Checksum of
// PostgreSQL's backup_manifest): the JSON object's last member is
//
//   "manifest_sha256": "<64 lowercase hex digits>"
//
// followed by "}" and a newline, and the SHA-256 covers every byte of the text before the
// `"manifest_sha256"` of that member. A reader can so tell a manifest that was edited or damaged
// after the backup wrote it from one that holds what the backup recorded. The member is
// ordinary JSON, so readers that do not check it just ignore it.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace dbb::engine {

inline constexpr const char* kSealMember = "manifest_sha256";
// The first manifest format version (manifest.json and cluster.json) that is always sealed.
inline constexpr int kSealedSinceFormatVersion = 5;

// `json`: one JSON object as text (as nlohmann's dump writes it: ending in "}" and optional
// whitespace). Returns it with the seal member added as its last member, ending in "}\n".
// A text without a closing "}" is a programmer bug (checked).
std::string SealJson(std::string_view json);

enum class SealState {
  kValid,     // the seal is there and matches
  kMissing,   // no seal member at the end of the object
  kMismatch,  // a seal that does not match the text before it (or is not 64 hex digits)
};
SealState CheckJsonSeal(std::string_view text);

// What a manifest reader does with the seal of the file at `path` (named in the message):
// kCorrupt "PATH: checksum mismatch: the manifest was changed or damaged after the backup wrote
// it" for a seal that does not match; kCorrupt for a missing seal only when `required` (format
// version 5 and later); OK otherwise.
Status CheckSeal(std::string_view text, const std::string& path, bool required);

// Parses the manifest text read from `path` with `parse` (returning Result<T>, T with a
// `format_version`) and checks its seal, required from kSealedSinceFormatVersion on. A text that
// does not parse is checked too: a damaged manifest's checksum says why better than the parser.
template <typename T, typename Parse>
Result<T> ParseSealed(const std::string& text, const std::string& path, Parse parse) {
  Result<T> m = parse(text);
  if (!m.ok()) {
    if (m.status().code() == StatusCode::kCorrupt) {
      DBB_RETURN_IF_ERROR(CheckSeal(text, path, /*required=*/false));
    }
    return m.status().WithContext(path);
  }
  DBB_RETURN_IF_ERROR(CheckSeal(text, path, m->format_version >= kSealedSinceFormatVersion));
  return m;
}

}  // namespace dbb::engine
