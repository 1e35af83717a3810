#include "compress/codec.h"

#include <array>
#include <cctype>
#include <string>

#include "compress/engines.h"

namespace dbb::compress {

namespace {

struct EngineInfo {
  Engine engine;
  const char* name;
  int min_level;
  int max_level;
  int default_level;
  bool gzip;  // writes gzip members (as opposed to zstd frames)
};

// Listed in the order a user should consider them: the gzip engines first, fastest first.
constexpr std::array<EngineInfo, 3> kEngines = {{
    {Engine::kIsal, "isal", 0, 3, 1, true},
    {Engine::kLibdeflate, "libdeflate", 1, 12, 6, true},
    {Engine::kZstd, "zstd", 1, 19, 1, false},  // 1: faster than igzip -1 per core, smaller
}};

const EngineInfo& Info(Engine engine) {
  for (const EngineInfo& info : kEngines) {
    if (info.engine == engine) return info;
  }
  DBB_CHECK_MSG(false, "unknown compression engine");
  return kEngines[0];  // not reached
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string LevelRange(const EngineInfo& info) {
  return std::to_string(info.min_level) + "-" + std::to_string(info.max_level);
}

// Points a user at another engine that accepts `level`. A gzip engine is only pointed at zstd
// when no gzip engine fits, because zstd changes the file format; zstd users are not pointed at
// gzip for the same reason.
std::string LevelHint(const EngineInfo& current, int level) {
  for (const EngineInfo& other : kEngines) {
    if (other.engine == current.engine || (!current.gzip && other.gzip)) continue;
    if (level < other.min_level || level > other.max_level) continue;
    return "; use --compress-engine " + std::string(other.name) + " for levels " +
           LevelRange(other);
  }
  return "";
}

}  // namespace

const char* EngineName(Engine engine) { return Info(engine).name; }

Result<Engine> ParseEngine(std::string_view name) {
  std::string valid;
  for (const EngineInfo& info : kEngines) {
    if (EqualsIgnoringCase(name, info.name)) return info.engine;
    valid += valid.empty() ? "" : ", ";
    valid += info.name;
  }
  return Status(StatusCode::kInvalidArgument,
                "unknown compression engine '" + std::string(name) + "' (valid: " + valid + ")");
}

int DefaultLevel(Engine engine) { return Info(engine).default_level; }
int MinLevel(Engine engine) { return Info(engine).min_level; }
int MaxLevel(Engine engine) { return Info(engine).max_level; }

Status ValidateCodec(const CodecOptions& options) {
  const EngineInfo& info = Info(options.engine);
  if (options.level >= info.min_level && options.level <= info.max_level) return Status::Ok();
  return Status(StatusCode::kInvalidArgument,
                "compression level " + std::to_string(options.level) + " is out of range for " +
                    info.name + " (" + LevelRange(info) + ")" + LevelHint(info, options.level));
}

const char* FileSuffix(Engine engine) { return Info(engine).gzip ? ".gz" : ".zst"; }

Result<std::unique_ptr<Compressor>> MakeCompressor(const CodecOptions& options) {
  DBB_RETURN_IF_ERROR(ValidateCodec(options));
  switch (options.engine) {
    case Engine::kIsal:
      return internal::MakeIsalCompressor(options.level);
    case Engine::kLibdeflate:
      return internal::MakeLibdeflateCompressor(options.level);
    case Engine::kZstd:
      return internal::MakeZstdCompressor(options.level);
  }
  DBB_CHECK_MSG(false, "unknown compression engine");
  return Status(StatusCode::kInternal, "unknown compression engine");  // not reached
}

}  // namespace dbb::compress
