// Helpers for the file I/O suites: the four engine x O_DIRECT combinations, and whole files
// written with FileWriter and read back with FileReader.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "io/file_reader.h"
#include "io/file_writer.h"

namespace dbb {
// Failure messages show "no space" rather than the enum's bytes.
inline void PrintTo(StatusCode code, std::ostream* out) { *out << StatusCodeName(code); }
}  // namespace dbb

namespace dbb::io::testing {

struct Mode {
  const char* name;
  IoEngine engine;
  DirectMode direct;
};

inline constexpr Mode kModes[] = {
    {"UringDirect", IoEngine::kUring, DirectMode::kOn},
    {"UringBuffered", IoEngine::kUring, DirectMode::kOff},
    {"PwriteDirect", IoEngine::kPwrite, DirectMode::kOn},
    {"PwriteBuffered", IoEngine::kPwrite, DirectMode::kOff},
};

// Test names and failure messages show the mode's name.
inline void PrintTo(const Mode& mode, std::ostream* out) { *out << mode.name; }

// Appends `data` in pieces of the given sizes (repeated; one Append of everything when empty),
// then closes. Returns what the writer chose, or its first error.
inline Result<IoChoice> WriteWhole(const std::string& path, std::span<const std::byte> data,
                                   const WriterOptions& options,
                                   std::span<const size_t> pieces = {}) {
  Result<std::unique_ptr<FileWriter>> writer = OpenWriter(path, options);
  if (!writer.ok()) return writer.status();
  size_t at = 0;
  for (size_t i = 0; at < data.size(); ++i) {
    const size_t n =
        pieces.empty() ? data.size() : std::min(pieces[i % pieces.size()], data.size() - at);
    DBB_RETURN_IF_ERROR((*writer)->Append(data.subspan(at, n)));
    at += n;
  }
  if ((*writer)->bytes_appended() != data.size()) {
    return Status(StatusCode::kInternal,
                  "bytes_appended() is " + std::to_string((*writer)->bytes_appended()));
  }
  DBB_RETURN_IF_ERROR((*writer)->Close());
  return (*writer)->choice();
}

// Every byte of the file through FileReader.
inline Result<std::vector<std::byte>> ReadWhole(const std::string& path,
                                                const ReaderOptions& options) {
  Result<std::unique_ptr<FileReader>> reader = OpenReader(path, options);
  if (!reader.ok()) return reader.status();
  std::vector<std::byte> out;
  for (;;) {
    Result<std::span<const std::byte>> next = (*reader)->Next();
    if (!next.ok()) return next.status();
    if (next->empty()) break;
    out.insert(out.end(), next->begin(), next->end());
  }
  if (out.size() != (*reader)->file_bytes()) {
    return Status(StatusCode::kInternal,
                  "file_bytes() is " + std::to_string((*reader)->file_bytes()));
  }
  return out;
}

}  // namespace dbb::io::testing
