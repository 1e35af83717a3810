// Directories of synthetic backups for the retention (prune) tests: real sealed manifests and
// journals, with mtimes set to chosen ages.
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace dbb::testing {

// The current time, in seconds since the epoch.
int64_t Now();

// The UTC time (as manifests write it) `days` ago.
std::string DaysAgo(double days);

// A file at `path` holding `contents`; its parent directories are created.
void WriteFile(const std::string& path, const std::string& contents);

// Every mtime in the tree at `path` (the directory included) set to `t`.
void SetTreeMtime(const std::string& path, int64_t t);

// A complete single-database backup in `dir` whose manifest started `days` ago (its files a day
// later: mtimes do not count for finished backups).
void MakeSingle(const std::string& dir, double days);

// An interrupted backup in `dir`: the journal `journal` (engine::kJournalName or
// kClusterJournalName) and a 500-byte .partial data file, every mtime `idle_s` ago.
void MakeIncomplete(const std::string& dir, const std::string& journal, int64_t idle_s);

// The names of the entries in `dir`.
std::set<std::string> Entries(const std::string& dir);

}  // namespace dbb::testing
