// Helpers shared by the test suites: temporary directories, files, external commands and
// the product's own sample data generator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dbb::testing {

// A fresh directory under $TMPDIR (default /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A small file system of `size_bytes` mounted at a new temporary directory, for ENOSPC and
// O_DIRECT-refusal tests. `fstype` is "tmpfs" or "ramfs" (ramfs ignores size and refuses
// O_DIRECT). ok() is false when mounting is not permitted (not root); reason() says why.
class ScratchMount {
 public:
  ScratchMount(const std::string& fstype, uint64_t size_bytes);
  ~ScratchMount();
  ScratchMount(const ScratchMount&) = delete;
  ScratchMount& operator=(const ScratchMount&) = delete;
  bool ok() const { return mounted_; }
  const std::string& reason() const { return reason_; }
  const std::string& path() const { return dir_.path(); }

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string reason_;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout
};
// Runs `command` with /bin/sh; captures stdout (stderr passes through).
CommandResult RunCommand(const std::string& command);
bool HaveProgram(const std::string& name);

std::vector<std::byte> ReadFileBytes(const std::string& path);
void WriteFileBytes(const std::string& path, const std::vector<std::byte>& data);

// Big-endian (network order) bytes of `v`, as COPY BINARY and the blob stream write integers.
std::string Int32(int32_t v);
std::string Int16(int16_t v);

// Sample data (text-like, random, mixed): use dbb::engine::MakeSampleData (engine/sample_data.h).

}  // namespace dbb::testing
