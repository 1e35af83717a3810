#include "engine/sealed_json.h"

#include <cstddef>
#include <span>

#include "common/check.h"
#include "compress/sha256.h"

namespace dbb::engine {
namespace {

constexpr size_t kHexDigits = 64;

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

std::string Sha256Hex(std::string_view text) {
  return compress::ToHex(
      compress::Sha256Of(std::as_bytes(std::span<const char>(text.data(), text.size()))));
}

// Where `"manifest_sha256": "<value>"` followed by "}" starts, parsed backwards from the end of
// the text (the seal must be the last member, so a table named manifest_sha256 elsewhere in an
// older manifest is never taken for it); npos when the text does not end that way. `value` gets
// the text between the quotes.
size_t FindSeal(std::string_view text, std::string_view* value) {
  size_t end = text.size();
  auto skip_space = [&] {
    while (end > 0 && IsSpace(text[end - 1])) --end;
  };
  auto expect = [&](std::string_view s) {
    if (end < s.size() || text.substr(end - s.size(), s.size()) != s) return false;
    end -= s.size();
    return true;
  };
  skip_space();
  if (!expect("}")) return std::string_view::npos;
  skip_space();
  if (!expect("\"")) return std::string_view::npos;
  const size_t value_end = end;
  while (end > 0 && text[end - 1] != '"' && value_end - end <= kHexDigits) --end;
  *value = text.substr(end, value_end - end);
  if (!expect("\"")) return std::string_view::npos;
  skip_space();
  if (!expect(":")) return std::string_view::npos;
  skip_space();
  if (!expect("\"" + std::string(kSealMember) + "\"")) return std::string_view::npos;
  return end;
}

}  // namespace

std::string SealJson(std::string_view json) {
  const size_t close = json.rfind('}');
  DBB_CHECK_MSG(close != std::string_view::npos, "SealJson: not a JSON object");
  size_t body_end = close;
  while (body_end > 0 && IsSpace(json[body_end - 1])) --body_end;
  DBB_CHECK_MSG(body_end > 0, "SealJson: not a JSON object");
  // The members stay one per line, indented by one space, as dump(1) writes them.
  std::string sealed(json.substr(0, body_end));
  sealed += json[body_end - 1] == '{' ? "\n " : ",\n ";
  const std::string digest = Sha256Hex(sealed);
  sealed += "\"" + std::string(kSealMember) + "\": \"" + digest + "\"\n}\n";
  return sealed;
}

SealState CheckJsonSeal(std::string_view text) {
  std::string_view value;
  const size_t at = FindSeal(text, &value);
  if (at == std::string_view::npos) return SealState::kMissing;
  if (value.size() != kHexDigits ||
      value.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return SealState::kMismatch;
  }
  return Sha256Hex(text.substr(0, at)) == value ? SealState::kValid : SealState::kMismatch;
}

Status CheckSeal(std::string_view text, const std::string& path, bool required) {
  switch (CheckJsonSeal(text)) {
    case SealState::kValid:
      return Status::Ok();
    case SealState::kMismatch:
      return Status(StatusCode::kCorrupt,
                    path +
                        ": checksum mismatch: the manifest was changed or damaged after the "
                        "backup wrote it");
    case SealState::kMissing:
      break;
  }
  if (!required) return Status::Ok();
  return Status(StatusCode::kCorrupt, path + ": no \"" + kSealMember +
                                          "\" at its end: the manifest was cut short, or "
                                          "changed after the backup wrote it");
}

}  // namespace dbb::engine
