// `dbbackup verify DIR`: checks a backup directory without any database.
//
// A single-database backup (manifest.json):
//   - the manifest is there, complete, and its own checksum holds (format 5, sealed_json.h);
//   - every file it lists (schema.dump, data/ table files and chunks, blob files) is present with
//     its size and CRC-32C; no file in data/ that the manifest does not list;
//   - full mode (the default) also inflates every data file: each gzip member's CRC-32 and
//     length (zstd: each frame's checksum), the member count, the inflated length (raw_bytes),
//     and the COPY stream's framing with its row count (pg/copy_framing.h): binary signature,
//     header, field count per row, trailer, or text lines; blob files are parsed
//     (blob_stream.h): object count, content bytes, OIDs in order and in range, and with
//     external contents that each one named exists;
//   - external large-object contents (blobs/xx/<sha256>.gz): their number and bytes as the
//     manifest says; full mode inflates each and checks that its SHA-256 is its name.
// A cluster backup (cluster.json): the cluster manifest and its checksum, globals.sql, and each
// database with status "complete" as above (its problems named under its directory); the
// databases the run did not back up are reported apart (VerifyResult::missing_databases).
//
// `quick` checks sizes and checksums only (CRC-32C of every file, the manifests' SHA-256):
// nothing is inflated, so external contents are checked by their total count and bytes only.
//
// Files are checked on `jobs` threads, largest first. Memory is bounded whatever the backup's
// size: per thread a reader's read-ahead buffers (ReaderOptions: 4 x 1 MiB by default) and one
// decoder (256 KiB of output, the codec's state), plus the manifests themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/progress.h"
#include "common/status.h"
#include "common/stop.h"
#include "io/file_reader.h"

namespace dbb::engine {

// One thing wrong. `path` is relative to the verified directory ("data/00001.public.t.0002.gz",
// "databases/0001.shop/manifest.json"), or "" for the directory itself.
struct VerifyProblem {
  std::string path;
  std::string what;  // "CRC-32C 1a2b3c4d, the manifest says 5e6f7a8b"

  bool operator==(const VerifyProblem&) const = default;
};

struct VerifyOptions {
  std::string dir;
  bool quick = false;
  int jobs = 1;  // checking threads, >= 1
  io::ReaderOptions reader;
  StopSource* stop = nullptr;  // optional; a stop request ends the run with kCancelled
  // Called as each problem is found, one call at a time (serialized), from a checking thread.
  std::function<void(const VerifyProblem&)> on_problem;
  // Optional: the files to check and their bytes (as the manifests say; known before the first
  // file is read), the files checked and the bytes read.
  Progress* progress = nullptr;
};

struct VerifyResult {
  bool cluster = false;
  uint64_t files = 0;                   // checked (present or not)
  uint64_t stored_bytes = 0;            // read
  uint64_t raw_bytes = 0;               // inflated (0 when quick)
  uint64_t rows = 0;                    // counted in the COPY streams (0 when quick)
  uint64_t large_objects = 0;           // counted in the blob files (0 when quick)
  std::vector<VerifyProblem> problems;  // sorted by path
  // Cluster: the databases the backup does not hold: "name: failed: <why>".
  std::vector<std::string> missing_databases;
  // What was not checked, not a problem: "manifest.json: format version 4 has no checksum of
  // its own".
  std::vector<std::string> notes;
};

// Checks `options.dir`. Problems found (damaged, missing or extra files, no manifest) are in the
// result, never an error: the error cases are a directory that cannot be read at all (missing,
// not a directory, no permission: kIoError) and a stop (kCancelled).
Result<VerifyResult> RunVerify(const VerifyOptions& options);

// The result as one JSON object: {"dir", "kind": "single"|"cluster", "mode": "full"|"quick",
// "ok" (no problems), "partial" (databases missing), "files", "stored_bytes", "raw_bytes",
// "rows", "large_objects", "missing_databases", "notes", "problems": [{"path", "problem"}]}.
std::string VerifyResultToJson(const VerifyOptions& options, const VerifyResult& result);

}  // namespace dbb::engine
