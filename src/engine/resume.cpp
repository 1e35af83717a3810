#include "engine/resume.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <map>
#include <thread>

#include "common/log.h"
#include "engine/backup.h"

namespace dbb::engine {
namespace {

struct Candidate {
  DataFile* file = nullptr;
  const DoneFile* done = nullptr;
  std::string problem;  // empty: kept
};

// Whether `c`'s file still is what its run recorded.
void Check(const std::string& dir, Candidate& c) {
  uint64_t bytes = 0;
  auto crc = FileCrc32c(dir + "/" + c.file->file, &bytes);
  if (!crc.ok()) {
    c.problem = crc.status().sys_errno() == ENOENT ? "missing" : crc.status().message();
  } else if (bytes != c.done->file.stored_bytes || crc.value() != c.done->file.crc32c) {
    c.problem = "changed since its run finished it";
  }
}

void CheckAll(const std::string& dir, int jobs, std::vector<Candidate>& candidates) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < candidates.size(); i = next++) Check(dir, candidates[i]);
  };
  std::vector<std::thread> threads;
  const size_t n = std::min<size_t>(static_cast<size_t>(std::max(jobs, 1)), candidates.size());
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
}

bool SameTable(const PlannedTable& p, const TableEntry& t) {
  return p.schema == t.schema && p.name == t.name && p.columns == t.columns && p.binary == t.binary;
}

// A new file whose name an earlier layout already uses (two names that look alike once made
// file-safe) gets a suffix, so a kept file is never overwritten.
void AvoidKeptNames(const std::set<std::string>& reused, int run, std::vector<TableEntry>* tables,
                    const std::set<uint32_t>& reused_oids) {
  for (TableEntry& t : *tables) {
    if (reused_oids.count(t.oid) != 0) continue;
    for (DataFile& f : t.files) {
      if (reused.count(f.file) == 0) continue;
      const size_t dot = f.file.rfind('.');
      f.file.insert(dot, ".r" + std::to_string(run));
    }
  }
}

}  // namespace

Result<KeptFiles> KeepEarlierFiles(const std::string& dir, const Journal& previous, int jobs,
                                   std::vector<TableEntry>* tables) {
  std::map<uint32_t, const PlannedTable*> planned;
  for (const PlannedTable& p : previous.plan) planned[p.oid] = &p;
  std::vector<Candidate> candidates;
  std::set<std::string> reused;
  std::set<uint32_t> reused_oids;
  for (TableEntry& t : *tables) {
    auto it = planned.find(t.oid);
    if (it == planned.end()) continue;
    if (!SameTable(*it->second, t)) {
      log::Info("table " + t.schema + "." + t.name +
                " changed since the interrupted run (name, columns or format): copied again");
      continue;
    }
    t.files.clear();
    for (const DataFile& f : it->second->files) {
      t.files.push_back({.file = f.file, .blocks = f.blocks});
      reused.insert(f.file);
    }
    reused_oids.insert(t.oid);
    for (DataFile& f : t.files) {
      auto done = previous.done.find(f.file);
      if (done != previous.done.end()) candidates.push_back({.file = &f, .done = &done->second});
    }
  }
  const int run = previous.runs.empty() ? 1 : previous.runs.back().run + 1;
  AvoidKeptNames(reused, run, tables, reused_oids);
  CheckAll(dir, jobs, candidates);

  KeptFiles kept;
  for (Candidate& c : candidates) {
    if (!c.problem.empty()) {
      log::Info(c.file->file + ": copied again (" + c.problem + ")");
      continue;
    }
    *c.file = c.done->file;
    c.file->snapshot = static_cast<size_t>(c.done->run);
    ++kept.files;
    kept.stored_bytes += c.file->stored_bytes;
  }
  for (const TableEntry& t : *tables) {
    for (const DataFile& f : t.files) {
      if (f.snapshot != 0) kept.table_oids.insert(t.oid);
    }
  }
  DBB_RETURN_IF_ERROR(PruneUnfinished(dir, FinishedFiles(*tables)));
  return kept;
}

Status PruneUnfinished(const std::string& dir, const std::set<std::string>& keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const char* gone : {kSchemaName, kBlobContentDirName}) {
    fs::remove_all(dir + "/" + gone, ec);
    if (ec) return Status::FromErrno(ec.value(), "remove " + dir + "/" + gone);
  }
  const std::string data = dir + "/" + kDataDirName;
  if (!fs::exists(data, ec)) return Status::Ok();
  for (const fs::directory_entry& e : fs::directory_iterator(data, ec)) {
    const std::string name = std::string(kDataDirName) + "/" + e.path().filename().string();
    if (keep.count(name) != 0) continue;
    fs::remove_all(e.path(), ec);
    if (ec) return Status::FromErrno(ec.value(), "remove " + e.path().string());
  }
  if (ec) return Status::FromErrno(ec.value(), "list " + data);
  return Status::Ok();
}

std::set<std::string> FinishedFiles(const std::vector<TableEntry>& tables) {
  std::set<std::string> names;
  for (const TableEntry& t : tables) {
    for (const DataFile& f : t.files) {
      if (f.snapshot != 0) names.insert(f.file);
    }
  }
  return names;
}

}  // namespace dbb::engine
