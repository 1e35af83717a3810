// Plans the checks of a backup (one work item per file, or per directory of external contents),
// runs them on the threads largest first, and adds what only the whole can tell: the number and
// bytes of the external contents, the databases a cluster backup lacks.
#include "engine/verify.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "compress/codec.h"
#include "engine/cluster_manifest.h"
#include "engine/journal.h"
#include "engine/sealed_json.h"
#include "engine/verify_checks.h"

namespace dbb::engine {
namespace {

using verify_internal::BackupUnderCheck;
using verify_internal::Findings;
using verify_internal::WithoutPath;

struct Work {
  uint64_t bytes = 0;  // for the order: largest first
  std::function<void()> run;
};

struct Plan {
  std::deque<BackupUnderCheck> backups;  // a deque: the work holds pointers into it
  std::vector<Work> work;
};

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The names in `dir` (without . and ..); empty when it cannot be listed.
std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  // readdir is thread-safe on a stream no other thread reads (glibc, POSIX.1-2024).
  while (const dirent* e = ::readdir(d)) {  // NOLINT(concurrency-mt-unsafe)
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// Why a directory without a manifest is not a backup, and what completes it.
std::string NotComplete(const std::string& dir, const std::string& missing) {
  std::string what =
      "no " + missing + ": not a complete backup (interrupted, failed, or still running)";
  if (Exists(dir + "/" + kJournalName)) {
    what += "; it holds the journal of an interrupted backup (" + std::string(kJournalName) +
            "): `dbbackup backup single DB --dir " + dir + " --resume` can complete it";
  }
  return what;
}

// Files in data/ that the manifest does not list: left by another run, or put there by hand.
void CheckNoExtraFiles(Findings& f, const BackupUnderCheck& b) {
  std::set<std::string> listed;
  for (const TableEntry& t : b.manifest.tables) {
    for (const DataFile& file : t.files) listed.insert(file.file);
  }
  for (const BlobFile& file : b.manifest.large_objects.files) listed.insert(file.data.file);
  const std::string data = std::string(kDataDirName) + "/";
  for (const std::string& name : ListDir(b.dir + "/" + kDataDirName)) {
    if (!listed.contains(data + name)) {
      f.Problem(b.prefix + data + name, "not listed in the manifest");
    }
  }
}

// blobs/ of an external-mode backup: one work item per two-hex-digit subdirectory.
void PlanContents(Findings& f, BackupUnderCheck& b, Plan* plan) {
  const LargeObjects& l = b.manifest.large_objects;
  const std::vector<std::string> subs = ListDir(b.dir + "/" + kBlobContentDirName);
  f.AddTotals(l.distinct, l.content_stored_bytes);
  const uint64_t share = l.content_stored_bytes / std::max<size_t>(1, subs.size());
  for (const std::string& sub : subs) {
    const bool hex2 =
        sub.size() == 2 && sub.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex2) {
      f.Problem(b.prefix + kBlobContentDirName + "/" + sub,
                "not a directory of large-object contents (those are named by two hex digits)");
      continue;
    }
    plan->work.push_back({share, [&f, &b, sub] { verify_internal::CheckContentDir(f, b, sub); }});
  }
}

// The work items of one backup's files.
void PlanFiles(Findings& f, BackupUnderCheck& b, Plan* plan) {
  const Manifest& m = b.manifest;
  f.AddTotals(1, m.schema.bytes);
  plan->work.push_back({m.schema.bytes, [&f, &b] {
                          verify_internal::CheckPlainFile(
                              f, b.dir, b.prefix, b.manifest.schema.file, b.manifest.schema.bytes,
                              b.manifest.schema.crc32c);
                        }});
  for (const TableEntry& t : m.tables) {
    for (const DataFile& file : t.files) {
      f.AddTotals(1, file.stored_bytes);
      plan->work.push_back({file.stored_bytes, [&f, &b, &t, &file] {
                              verify_internal::CheckTableFile(f, b, t, file);
                            }});
    }
  }
  for (const BlobFile& file : m.large_objects.files) {
    f.AddTotals(1, file.data.stored_bytes);
    plan->work.push_back(
        {file.data.stored_bytes, [&f, &b, &file] { verify_internal::CheckBlobFile(f, b, file); }});
  }
  if (m.large_objects.included && m.large_objects.mode == BlobMode::kExternal) {
    PlanContents(f, b, plan);
  }
  CheckNoExtraFiles(f, b);
}

// A database's manifest against its line in cluster.json: both are sealed, so a difference
// means a directory that belongs to another backup.
void CheckAgainstCluster(Findings& f, const BackupUnderCheck& b, const ClusterDatabase& d) {
  const Manifest& m = b.manifest;
  std::string what;
  if (m.database != d.name) {
    what = "the backup of database \"" + m.database + "\", cluster.json says \"" + d.name + "\"";
  } else if (m.tables.size() != d.tables || m.rows() != d.rows) {
    what = std::to_string(m.tables.size()) + " tables and " + std::to_string(m.rows()) +
           " rows, cluster.json says " + std::to_string(d.tables) + " and " +
           std::to_string(d.rows);
  }
  if (!what.empty()) f.Problem(b.prefix + kManifestName, what);
}

// Reads the manifest of the single-database backup in `dir` (its problems named under
// `prefix`) and plans its files. `listed`: its line in cluster.json, nullptr for a backup of its
// own.
void PlanBackup(Findings& f, const std::string& dir, const std::string& prefix,
                const ClusterDatabase* listed, Plan* plan, VerifyResult* result) {
  const std::string manifest_path = dir + "/" + kManifestName;
  if (!Exists(manifest_path)) {
    f.Problem(prefix + kManifestName, NotComplete(dir, kManifestName));
    return;
  }
  auto m = ReadManifest(dir);
  if (!m.ok()) {
    f.Problem(prefix + kManifestName, WithoutPath(m.status().message(), manifest_path));
    return;
  }
  BackupUnderCheck& b = plan->backups.emplace_back();
  b.dir = dir;
  b.prefix = prefix;
  b.manifest = std::move(m.value());
  if (!b.manifest.complete) f.Problem(prefix + kManifestName, "says the backup is not complete");
  if (listed != nullptr) CheckAgainstCluster(f, b, *listed);
  if (b.manifest.format_version < kSealedSinceFormatVersion) {
    result->notes.push_back(prefix + kManifestName + ": format version " +
                            std::to_string(b.manifest.format_version) +
                            " has no checksum of its own; its contents are taken as they are");
  }
  auto engine = compress::ParseEngine(b.manifest.compression.engine);
  if (engine.ok()) {
    b.suffix = compress::FileSuffix(engine.value());
  } else {
    f.Problem(prefix + kManifestName, engine.status().message());
  }
  PlanFiles(f, b, plan);
}

// Directories under databases/ that cluster.json does not list: left by another run.
void CheckNoExtraDatabases(Findings& f, const std::string& dir, const ClusterManifest& c) {
  std::set<std::string> listed;
  for (const ClusterDatabase& d : c.databases) listed.insert(d.dir);
  const std::string databases = std::string(kDatabasesDirName) + "/";
  for (const std::string& name : ListDir(dir + "/" + kDatabasesDirName)) {
    if (!listed.contains(databases + name)) {
      f.Problem(databases + name, "not listed in cluster.json");
    }
  }
}

void PlanCluster(Findings& f, const std::string& dir, Plan* plan, VerifyResult* result) {
  const std::string path = dir + "/" + kClusterManifestName;
  auto c = ReadClusterManifest(dir);
  if (!c.ok()) {
    f.Problem(kClusterManifestName, WithoutPath(c.status().message(), path));
    return;
  }
  if (c->format_version < kSealedSinceFormatVersion) {
    result->notes.push_back(std::string(kClusterManifestName) + ": format version " +
                            std::to_string(c->format_version) +
                            " has no checksum of its own; its contents are taken as they are");
  }
  const auto& g = c->globals;
  f.AddTotals(1, g.bytes);
  plan->work.push_back({g.bytes, [&f, dir, g] {
                          verify_internal::CheckPlainFile(f, dir, "", g.file, g.bytes, g.crc32c);
                        }});
  for (const ClusterDatabase& d : c->databases) {
    if (d.status != DatabaseStatus::kComplete) {
      result->missing_databases.push_back(d.name + ": " + DatabaseStatusName(d.status) +
                                          (d.error.empty() ? "" : ": " + d.error));
      continue;
    }
    if (!Exists(dir + "/" + d.dir)) {
      f.Problem(d.dir, "missing: cluster.json lists the complete backup of database \"" + d.name +
                           "\" here");
      continue;
    }
    PlanBackup(f, dir + "/" + d.dir, d.dir + "/", &d, plan, result);
  }
  CheckNoExtraDatabases(f, dir, c.value());
}

// Runs every item on `jobs` threads, largest first.
void RunWork(std::vector<Work>& work, int jobs, const Findings& f) {
  std::stable_sort(work.begin(), work.end(),
                   [](const Work& a, const Work& b) { return a.bytes > b.bytes; });
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < work.size() && !f.stopped(); i = next++) work[i].run();
  };
  std::vector<std::thread> threads;
  const size_t n = std::min<size_t>(static_cast<size_t>(jobs), std::max<size_t>(work.size(), 1));
  for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();
}

// External contents: those found in blobs/ against the manifest's count and bytes. The only
// check of a deleted content in quick mode (full mode names it from the blob files).
void CheckContentTotals(Findings& f, const BackupUnderCheck& b) {
  const LargeObjects& l = b.manifest.large_objects;
  if (!l.included || l.mode != BlobMode::kExternal) return;
  const uint64_t files = b.content_files.load(), bytes = b.content_bytes.load();
  if (files == l.distinct && bytes == l.content_stored_bytes) return;
  f.Problem(b.prefix + kBlobContentDirName,
            std::to_string(files) + " content files of " + std::to_string(bytes) +
                " bytes, the manifest says " + std::to_string(l.distinct) + " of " +
                std::to_string(l.content_stored_bytes));
}

// The directory itself can be read: anything less is an error of the run, not a finding.
Status CheckReadableDir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Status::FromErrno(errno, dir);
  if (!S_ISDIR(st.st_mode)) return Status::FromErrno(ENOTDIR, dir);
  if (::access(dir.c_str(), R_OK | X_OK) != 0) return Status::FromErrno(errno, dir);
  return Status::Ok();
}

}  // namespace

Result<VerifyResult> RunVerify(const VerifyOptions& o) {
  DBB_CHECK(o.jobs >= 1);
  DBB_RETURN_IF_ERROR(CheckReadableDir(o.dir));
  Findings f(o);
  VerifyResult result;
  Plan plan;
  if (IsClusterBackup(o.dir)) {
    result.cluster = true;
    PlanCluster(f, o.dir, &plan, &result);
  } else if (Exists(o.dir + "/" + kManifestName)) {
    PlanBackup(f, o.dir, "", nullptr, &plan, &result);
  } else {
    f.Problem("", NotComplete(o.dir, std::string(kManifestName) + " or " + kClusterManifestName));
  }
  RunWork(plan.work, o.jobs, f);
  if (f.stopped()) return Status(StatusCode::kCancelled, "stopped: " + o.stop->reason());
  for (const BackupUnderCheck& b : plan.backups) CheckContentTotals(f, b);
  result.files = f.files();
  result.stored_bytes = f.stored_bytes();
  result.raw_bytes = f.raw_bytes();
  result.rows = f.rows();
  result.large_objects = f.objects();
  result.problems = f.problems();
  return result;
}

std::string VerifyResultToJson(const VerifyOptions& o, const VerifyResult& r) {
  nlohmann::json problems = nlohmann::json::array();
  for (const VerifyProblem& p : r.problems) {
    problems.push_back({{"path", p.path}, {"problem", p.what}});
  }
  const nlohmann::json j = {{"dir", o.dir},
                            {"kind", r.cluster ? "cluster" : "single"},
                            {"mode", o.quick ? "quick" : "full"},
                            {"ok", r.problems.empty()},
                            {"partial", !r.missing_databases.empty()},
                            {"files", r.files},
                            {"stored_bytes", r.stored_bytes},
                            {"raw_bytes", r.raw_bytes},
                            {"rows", r.rows},
                            {"large_objects", r.large_objects},
                            {"missing_databases", r.missing_databases},
                            {"notes", r.notes},
                            {"problems", problems}};
  return j.dump(1) + "\n";
}

}  // namespace dbb::engine
