// Small files (the manifest, metadata) and directories, written the crash-safe way: a file is
// complete under its final name or absent, never half there.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace dbb::io {

// Writes `contents` to `path` atomically: `path`.tmp (created with `mode`), write, fsync, rename
// over `path`, fsync of the directory. On failure the temp file is removed.
Status WriteFileAtomic(const std::string& path, std::string_view contents, unsigned mode = 0600);

// Creates `path` (which must not exist: O_EXCL) holding `contents`, without fsync (the caller
// syncs the file system once for many files). Returns false, writing nothing, when the file
// exists already; on a failed write the file is removed.
Result<bool> WriteNewFile(const std::string& path, std::string_view contents, unsigned mode = 0600);

// Reads a whole file of at most `max_bytes` (larger is kCorrupt: not what we expect there).
Result<std::string> ReadSmallFile(const std::string& path, uint64_t max_bytes);

// fsync of a directory, so that renames and new entries in it survive a crash.
Status FsyncDir(const std::string& dir);

// syncfs(2) of the file system holding `dir`: every file written there reaches the disk in one
// flush (one journal commit), instead of an fsync per file. Reports writeback errors since the
// descriptor was opened or, on Linux 5.8+, since the last syncfs.
Status SyncFileSystem(const std::string& dir);

// `path` without trailing slashes ("/" stays): "/backups/" names its entries "/backups/NAME".
std::string TrimTrailingSlashes(std::string path);

// Creates `dir` and its missing parents, each with mode 0700 (kRefused naming the one that failed).
Status MakeDirs(const std::string& dir);

// Makes `dir` ready to receive a new backup: created with mode 0700 (parents as needed, 0700
// too) if missing; refused (kRefused) if it exists and is not empty, or is not a directory; its
// writability checked by creating and removing a probe file. Errors name the path and the fix.
// Returns true when it created `dir` (so a failed run can remove it again).
Result<bool> PrepareEmptyDir(const std::string& dir);

// A temporary file, removed when this goes out of scope.
class TempFile {
 public:
  TempFile() = default;
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  // Creates an empty file, 0600, in $TMPDIR (default /tmp), named PREFIX.XXXXXX.
  Status Create(const std::string& prefix);
  const std::string& path() const { return path_; }  // "" before Create

 private:
  std::string path_;
};

}  // namespace dbb::io
