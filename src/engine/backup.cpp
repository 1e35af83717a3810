#include "engine/backup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/timing.h"
#include "common/units.h"
#include "common/utc_time.h"
#include "compress/crc32c.h"
#include "engine/blob_backup.h"
#include "engine/blob_stream.h"
#include "engine/connection_workers.h"
#include "engine/coordinator_watch.h"
#include "engine/journal.h"
#include "engine/resume.h"
#include "engine/run_state.h"
#include "engine/space_check.h"
#include "io/file_reader.h"
#include "io/small_file.h"
#include "pg/catalog.h"
#include "pg/copy_stream.h"
#include "pg/pg_tools.h"
#include "pg/snapshot.h"

namespace dbb::engine {
namespace {

// More chunks than this per table buy nothing (each is a file and a COPY).
constexpr uint64_t kMaxChunksPerTable = 10000;

// What the manifest records about the server and the database, read on the coordinator.
Status ReadServerFacts(pg::Connection& conn, Manifest* m) {
  auto r = conn.Query(
      "SELECT current_database(), current_setting('server_version'), "
      "current_setting('server_encoding'), datcollate, datctype, "
      "pg_catalog.pg_database_size(oid) "
      "FROM pg_catalog.pg_database WHERE datname = current_database()");
  if (!r.ok()) return r.status();
  m->database = std::string(r->Get(0, 0));
  m->server_version = std::string(r->Get(0, 1));
  m->server_version_num = conn.server_version_num();
  m->encoding = std::string(r->Get(0, 2));
  m->lc_collate = std::string(r->Get(0, 3));
  m->lc_ctype = std::string(r->Get(0, 4));
  m->metrics.database_size_bytes = static_cast<uint64_t>(r->GetInt64(0, 5));
  auto props = pg::ReadDatabaseProps(conn);
  if (!props.ok()) return props.status();
  m->properties = std::move(props.value());
  return Status::Ok();
}

// "data/00003.public.orders.gz", or for chunk 2 of a split table
// "data/00003.public.orders.0002.gz".
std::string DataFileName(size_t table_no, const pg::TableInfo& t, size_t chunk, size_t chunks,
                         const char* suffix) {
  char number[32];
  std::snprintf(number, sizeof number, "%05zu", table_no);
  std::string name = std::string(kDataDirName) + "/" + number + "." + FileNamePart(t.schema) + "." +
                     FileNamePart(t.name);
  if (chunks > 1) {
    std::snprintf(number, sizeof number, ".%04zu", chunk);
    name += number;
  }
  return name + suffix;
}

// A table over `chunk_size` (heap and TOAST) is split into that many ranges of equal block
// counts (TOAST is assumed spread like the heap), at most one per heap block.
std::vector<std::optional<pg::BlockRange>> SplitTable(const pg::TableInfo& t, uint64_t chunk_size) {
  if (chunk_size == 0 || t.size_bytes <= chunk_size || t.heap_blocks < 2) return {std::nullopt};
  const uint64_t n = std::min<uint64_t>(
      {(t.size_bytes + chunk_size - 1) / chunk_size, t.heap_blocks, kMaxChunksPerTable});
  std::vector<std::optional<pg::BlockRange>> ranges;
  for (uint64_t i = 0; i < n; ++i) {
    pg::BlockRange r{.first = t.heap_blocks * i / n};
    if (i + 1 < n) r.end = t.heap_blocks * (i + 1) / n;
    ranges.emplace_back(r);
  }
  return ranges;
}

// The chunk size in effect: as given, or auto (backup.h) from the selected tables' total size.
uint64_t ChunkSize(const BackupOptions& o, const pg::Catalog& catalog) {
  if (o.chunk_size) return *o.chunk_size;
  uint64_t total = 0;
  for (const pg::TableInfo& t : catalog.tables) total += t.size_bytes;
  const uint64_t share = total / (4 * static_cast<uint64_t>(o.jobs));
  return std::clamp(share, kMinAutoChunkSize, kMaxAutoChunkSize);
}

// One unit of work: one file of one table.
struct WorkUnit {
  size_t table = 0;
  size_t file = 0;
  uint64_t estimate_bytes = 0;
};

// One manifest entry per table, in the catalog's order (largest first), with its files.
void PlanTables(const pg::Connection& conn, const pg::Catalog& catalog, uint64_t chunk_size,
                const char* suffix, std::vector<TableEntry>* entries) {
  const bool can_split = conn.server_version_num() >= pg::kTidRangeScanVersion;
  bool said = false;
  for (size_t i = 0; i < catalog.tables.size(); ++i) {
    const pg::TableInfo& t = catalog.tables[i];
    auto ranges = SplitTable(t, chunk_size);
    if (!can_split && ranges.size() > 1) {
      if (!said) {
        log::Info("PostgreSQL " + std::to_string(conn.server_version_num() / 10000) +
                  " has no TID range scans (14 and later do): tables larger than --chunk-size "
                  "are copied whole, one connection each");
        said = true;
      }
      ranges = {std::nullopt};
    }
    TableEntry entry{.oid = t.oid,
                     .schema = t.schema,
                     .name = t.name,
                     .partition = t.partition,
                     .unlogged = t.unlogged,
                     .columns = t.columns,
                     .binary = t.binary_ok,
                     .copy_from = pg::CopyInSql(conn, t.schema, t.name, t.columns, t.binary_ok)};
    for (size_t c = 0; c < ranges.size(); ++c) {
      entry.files.push_back(
          {.file = DataFileName(i + 1, t, c + 1, ranges.size(), suffix), .blocks = ranges[c]});
    }
    entries->push_back(std::move(entry));
  }
}

// The work units of the files not yet finished (all but those a resumed backup keeps), largest
// first, so that one large table is spread over every worker.
std::vector<WorkUnit> UnfinishedUnits(const pg::Catalog& catalog,
                                      const std::vector<TableEntry>& entries) {
  std::vector<WorkUnit> units;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::vector<DataFile>& files = entries[i].files;
    for (size_t f = 0; f < files.size(); ++f) {
      if (files[f].snapshot != 0) continue;
      units.push_back(
          {.table = i, .file = f, .estimate_bytes = catalog.tables[i].size_bytes / files.size()});
    }
  }
  std::stable_sort(units.begin(), units.end(), [](const WorkUnit& a, const WorkUnit& b) {
    return a.estimate_bytes > b.estimate_bytes;
  });
  return units;
}

// Large objects are cut into units like tables into chunks: at most a chunk of content, and at
// most a quarter of each connection's share of the objects (within 100..10000), so that 20k
// small objects are spread over every connection too.
BlobPlanOptions BlobUnitOptions(const BackupOptions& o, uint64_t chunk_size, const char* suffix,
                                uint64_t objects) {
  return {.unit_bytes = chunk_size == 0 ? kMaxAutoChunkSize : chunk_size,
          .unit_objects =
              std::clamp<uint64_t>(objects / (4 * static_cast<uint64_t>(o.jobs)), 100, 10000),
          .suffix = suffix};
}

// Large objects come with a whole database, as with pg_dump; --no-blobs and a selection of tables
// leave them out (said once).
bool IncludeLargeObjects(const BackupOptions& o, uint64_t count) {
  if (count == 0) return false;
  if (o.blobs && o.filter.empty()) return true;
  log::Info("the database's " + std::to_string(count) + " large objects are not backed up (" +
            (o.blobs ? "a selection of tables leaves them out, as pg_dump does" : "--no-blobs") +
            ")");
  return false;
}

Status PlanLargeObjects(const BackupOptions& o, pg::Connection& coordinator, uint64_t chunk_size,
                        const char* suffix, RunState& run, Manifest* m) {
  LargeObjects& l = m->large_objects;
  l.included = true;
  l.mode = o.blob_mode;
  DBB_RETURN_IF_ERROR(PlanBlobs(coordinator, BlobUnitOptions(o, chunk_size, suffix, l.count), &l));
  for (const BlobFile& f : l.files) run.AddCreated(o.dir + "/" + f.data.file);
  log::Verbose(std::to_string(l.files.size()) + " files for " + std::to_string(l.count) +
               " large objects (" + FormatBytes(l.bytes) + ", " + BlobModeName(o.blob_mode) + ")");
  return Status::Ok();
}

// This run among the runs of one backup: its number, the interrupted backup it resumes, and the
// journal it records finished files in.
struct RunJournal {
  int run = 1;
  std::optional<Journal> previous;        // --resume of an interrupted backup
  std::unique_ptr<JournalWriter> writer;  // once the plan is laid out
  uint64_t estimate_bytes = 0;            // what this run should store (space_check.h)
  std::atomic<uint64_t> stored_bytes{0};  // what its finished files hold
};

// Copies tables' files (a whole table or a chunk) on the data connections, and keeps what
// --verbose reports. Thread-safe: CopyFile runs on every connection at once.
class DataCopier {
 public:
  DataCopier(const BackupOptions& options, compress::Pipeline* pipeline, RunState* run,
             RunJournal* journal)
      : options_(options), pipeline_(pipeline), run_(run), journal_(journal) {}

  // "io_uring, O_DIRECT": how the data files were written. Call after the copies.
  std::string DescribeIo() const {
    return std::string(io::IoEngineName(io_.engine)) + (io_.direct ? ", O_DIRECT" : ", buffered");
  }
  double copy_seconds() const { return NanosToSeconds(copy_ns_.load()); }
  double append_seconds() const { return NanosToSeconds(append_ns_.load()); }

  Status CopyFile(pg::Connection& conn, const pg::TableInfo& table, DataFile& file) {
    const SteadyClock::time_point start = SteadyClock::now();
    auto out = pipeline_->Open(options_.dir + "/" + file.file);
    if (!out.ok()) return out.status();
    StopSource* stop = run_->stop();
    Result<uint64_t> rows = [&] {
      const ScopedNanos timed(&copy_ns_);
      return pg::CopyOut(conn, pg::CopyOutSql(conn, table, table.binary_ok, file.blocks),
                         [&out, stop, this](std::span<const std::byte> bytes) {
                           if (stop->requested()) {
                             return Status(StatusCode::kCancelled, "stopped");
                           }
                           if (Progress* p = run_->progress()) p->AddBytes(bytes.size());
                           const ScopedNanos appending(&append_ns_);
                           return out.value()->Append(bytes);
                         });
    }();
    std::string what = "table " + pg::QualifiedName(conn, table.schema, table.name);
    if (file.blocks) what += " (" + pg::BlockRangePredicate(*file.blocks) + ")";
    if (!rows.ok()) {
      out.value()->Abort();
      return rows.status().WithContext(what);
    }
    auto stats = out.value()->Close();
    if (!stats.ok()) return stats.status().WithContext(what);
    file.rows = rows.value();
    file.raw_bytes = stats->raw_bytes;
    file.stored_bytes = stats->stored_bytes;
    file.members = stats->members;
    file.crc32c = stats->crc32c;
    file.seconds = SecondsSince(start);
    DBB_RETURN_IF_ERROR(journal_->writer->Done(file, journal_->run));
    file.snapshot = static_cast<size_t>(journal_->run);
    journal_->stored_bytes += file.stored_bytes;
    {
      std::lock_guard<std::mutex> lock(io_mu_);
      io_ = stats->io;
    }
    log::Verbose(what + ": " + std::to_string(file.rows) + " rows, " + FormatBytes(file.raw_bytes) +
                 " in " + std::to_string(file.seconds) + " s");
    return Status::Ok();
  }

 private:
  const BackupOptions& options_;
  compress::Pipeline* pipeline_;
  RunState* run_;
  RunJournal* journal_;
  std::atomic<uint64_t> copy_ns_{0};    // in COPY, all connections
  std::atomic<uint64_t> append_ns_{0};  // of which handing bytes to the pipeline
  std::mutex io_mu_;
  io::IoChoice io_;  // of the last file written (the same for all: one directory)
};

// "public"."t" as PQescapeIdentifier writes it, for messages made without a connection.
std::string QuotedName(const std::string& schema, const std::string& name) {
  auto quote = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  };
  return quote(schema) + "." + quote(name);
}

// The data phase: every table file and blob file is one task on the -j connections, each with the
// snapshot imported; largest first across both. A file whose connection is lost is copied again on
// a new one (o.retries).
void CopyData(const BackupOptions& o, const pg::Catalog& catalog,
              const std::vector<WorkUnit>& units, DataCopier& copier, BlobCopier& blob_copier,
              RunState& run, Manifest* m) {
  std::vector<SizedTask> tasks;
  for (const WorkUnit& u : units) {
    DataFile* file = &m->tables[u.table].files[u.file];
    const pg::TableInfo* table = &catalog.tables[u.table];
    const size_t chunks = m->tables[u.table].files.size();
    const std::string chunk = ChunkSuffix(u.file, chunks);
    tasks.push_back(
        {.bytes = u.estimate_bytes,
         .run = [&copier, table,
                 file](pg::Connection& conn) { return copier.CopyFile(conn, *table, *file); },
         .what = "copying table " + QuotedName(table->schema, table->name) + chunk,
         .label = table->schema + "." + table->name + chunk});
  }
  for (BlobFile& f : m->large_objects.files) {
    const std::string objects =
        "large objects " + std::to_string(f.first_oid) + ".." + std::to_string(f.last_oid);
    tasks.push_back(
        {.bytes = f.bytes + f.data.rows * kBlobObjectCostBytes,
         .run = [&blob_copier, &f](pg::Connection& conn) { return blob_copier.Copy(conn, f); },
         .what = "copying " + objects + " (" + f.data.file + ")",
         .label = objects,
         .bytes_when_done = true});
  }
  RunOnConnections(o.conn, o.jobs,
                   [snapshot = m->snapshot](pg::Connection& conn) {
                     return ImportBackupSnapshot(conn, snapshot);
                   },
                   std::move(tasks), &run, {.retries = o.retries});
}

}  // namespace

compress::PipelineOptions BackupPipelineOptions(const compress::PipelineOptions& options,
                                                int connections, bool external_blobs) {
  compress::PipelineOptions popts = options;
  popts.max_outputs = static_cast<size_t>(connections) * (external_blobs ? 2 : 1);
  // One syncfs before the manifest instead of an fsync per file: a thousand small tables would
  // otherwise wait for a thousand journal commits. A file is only part of a backup once the
  // manifest names it, and the manifest is written after the sync.
  popts.writer.sync_on_close = false;
  return popts;
}

namespace {

// What must not change between the runs of one backup (journal.h).
JournalIdentity IdentityOf(const BackupOptions& o, const Manifest& m) {
  return {.database = m.database,
          .compression = m.compression.engine + " level " + std::to_string(m.compression.level),
          .selection = o.filter.Describe(),
          .large_objects = !o.blobs || !o.filter.empty() ? "none" : BlobModeName(o.blob_mode)};
}

Status CheckSameBackup(const BackupOptions& o, const Manifest& m, const Journal& previous) {
  const JournalIdentity now = IdentityOf(o, m);
  const JournalIdentity& then = previous.identity;
  if (now == then) return Status::Ok();
  auto differs = [](const char* what, const std::string& a, const std::string& b) {
    return a == b ? std::string() : std::string("; ") + what + ": " + a + " then, " + b + " now";
  };
  return Status(StatusCode::kInvalidArgument,
                "--resume: the interrupted backup in " + o.dir + " was made with other options" +
                    differs("database", then.database, now.database) +
                    differs("compression", then.compression, now.compression) +
                    differs("selection", then.selection.empty() ? "none" : then.selection,
                            now.selection.empty() ? "none" : now.selection) +
                    differs("large objects", then.large_objects, now.large_objects) +
                    ". Run it with the same options, or remove " + o.dir + " to start over");
}

// Keeps what earlier runs finished (resume.h) and says so.
Status KeepFinished(const BackupOptions& o, const Journal& previous,
                    std::vector<TableEntry>* tables) {
  auto kept = KeepEarlierFiles(o.dir, previous, o.jobs, tables);
  if (!kept.ok()) return kept.status();
  log::Info("resuming the interrupted backup in " + o.dir + ": " + std::to_string(kept->files) +
            " finished files of " + std::to_string(kept->table_oids.size()) + " tables kept (" +
            FormatBytes(kept->stored_bytes) + "); everything else is copied in a new snapshot");
  return Status::Ok();
}

// Pre-flight: the estimated size of what is left to copy against the free space.
Status CheckSpace(const BackupOptions& o, const std::vector<WorkUnit>& units, const Manifest& m,
                  RunJournal* journal) {
  uint64_t source = m.large_objects.included ? m.large_objects.bytes : 0;
  for (const WorkUnit& u : units) source += u.estimate_bytes;
  journal->estimate_bytes = EstimateStoredBytes(source);
  log::Verbose("estimated backup size: " + FormatBytes(journal->estimate_bytes) + " (" +
               FormatBytes(source) + " to copy)");
  if (o.force) return Status::Ok();
  return CheckFreeSpace(o.dir, source, journal->estimate_bytes);
}

// Opens the journal (a new one, or the interrupted backup's) and records this run and its plan.
Status StartJournal(const BackupOptions& o, const Manifest& m, RunState& run, RunJournal* journal) {
  auto writer = journal->previous ? JournalWriter::Append(o.dir, *journal->previous)
                                  : JournalWriter::Create(o.dir, IdentityOf(o, m));
  if (!writer.ok()) return writer.status();
  if (!journal->previous) run.AddCreated(o.dir + "/" + kJournalName);
  journal->writer = std::move(writer.value());
  std::vector<PlannedTable> plan;
  for (const TableEntry& t : m.tables) {
    PlannedTable& p = plan.emplace_back(PlannedTable{.oid = t.oid,
                                                     .schema = t.schema,
                                                     .name = t.name,
                                                     .columns = t.columns,
                                                     .binary = t.binary});
    for (const DataFile& f : t.files) p.files.push_back({.file = f.file, .blocks = f.blocks});
  }
  return journal->writer->BeginRun(
      {.run = journal->run, .snapshot = m.snapshot, .started_at = m.started_at}, plan);
}

// The manifest's snapshots (oldest first) and each file's index among them; files still carry
// the number of the run that read them.
void RecordSnapshots(const RunJournal& journal, Manifest* m) {
  std::map<int, size_t> index;
  for (const TableEntry& t : m->tables) {
    for (const DataFile& f : t.files) index[static_cast<int>(f.snapshot)] = 0;
  }
  index[journal.run] = 0;  // schema, sequences and large objects are always this run's
  m->snapshots.clear();
  for (auto& [run, i] : index) {
    i = m->snapshots.size();
    if (run == journal.run) {
      m->snapshots.push_back({.snapshot = m->snapshot, .started_at = m->started_at});
      continue;
    }
    for (const JournalRun& r : journal.previous->runs) {
      if (r.run == run)
        m->snapshots.push_back({.snapshot = r.snapshot, .started_at = r.started_at});
    }
  }
  for (TableEntry& t : m->tables) {
    for (DataFile& f : t.files) f.snapshot = index[static_cast<int>(f.snapshot)];
  }
  for (BlobFile& b : m->large_objects.files) b.data.snapshot = index[journal.run];
  m->consistent = m->snapshots.size() == 1;
}

// The manifest's "metrics", as the run ends (database_size_bytes is read with the server facts).
void RecordMetrics(const RunState& run, Manifest* m) {
  RunMetrics& metrics = m->metrics;
  metrics.duration_s = m->duration_s;
  metrics.raw_bytes = m->raw_bytes();
  metrics.stored_bytes = m->stored_bytes();
  metrics.errors = run.retries();
  metrics.slowest_tables = SlowestTables(m->tables);
  CaptureProcessMetrics(&metrics);
}

// Everything after the snapshot is exported, while the coordinator holds it.
Status BackupAtSnapshot(const BackupOptions& o, pg::Connection& coordinator, RunState& run,
                        RunJournal& journal, BackupResult* result) {
  Manifest& m = result->manifest;
  // Locks every table ACCESS SHARE (as pg_dump does) before it reads their sizes.
  auto catalog = pg::ReadCatalog(coordinator, o.lock_wait_timeout_ms, o.filter);
  if (!catalog.ok()) return catalog.status();
  m.selection = o.filter.Describe();
  m.relations = catalog->relations;
  if (!o.filter.empty()) {
    log::Info("selected " + std::to_string(catalog->tables.size()) + " tables (" + m.selection +
              ")");
  }
  m.sequences = catalog->sequences;
  m.matviews = catalog->matviews;
  m.large_objects.count = catalog->large_objects;
  const bool blobs = IncludeLargeObjects(o, catalog->large_objects);

  const std::string data_dir = o.dir + "/" + kDataDirName;
  if (::mkdir(data_dir.c_str(), 0700) == 0) {
    run.AddCreated(data_dir);
  } else if (errno != EEXIST || !journal.previous) {
    return Status::FromErrno(errno, "create " + data_dir);
  }
  // External large objects write a content file while their unit's file is open.
  const bool external = blobs && o.blob_mode == BlobMode::kExternal;
  std::unique_ptr<compress::Pipeline> own_pipeline;
  compress::Pipeline* pipeline = o.shared_pipeline;
  if (pipeline == nullptr) {
    auto made = compress::Pipeline::Create(BackupPipelineOptions(o.pipeline, o.jobs, external));
    if (!made.ok()) return made.status();
    own_pipeline = std::move(made.value());
    pipeline = own_pipeline.get();
    log::Verbose("memory bound: page pipeline " + pipeline->DescribeMemory() +
                 ", plus per connection the row being copied (libpq receives a row whole, then "
                 "copies it: about 2x the largest row; under 32 MB for rows under 16 MB)");
  }
  result->pipeline_memory_bytes = pipeline->memory_bytes();
  const uint64_t chunk_size = ChunkSize(o, catalog.value());
  const char* suffix = compress::FileSuffix(pipeline->options().codec.engine);
  PlanTables(coordinator, catalog.value(), chunk_size, suffix, &m.tables);
  if (journal.previous) DBB_RETURN_IF_ERROR(KeepFinished(o, *journal.previous, &m.tables));
  std::vector<WorkUnit> units = UnfinishedUnits(catalog.value(), m.tables);
  for (const WorkUnit& u : units) {
    run.AddCreated(o.dir + "/" + m.tables[u.table].files[u.file].file);
  }
  log::Verbose(std::to_string(units.size()) + " files to copy for " +
               std::to_string(m.tables.size()) + " tables (--chunk-size " +
               FormatBytes(chunk_size) + (o.chunk_size ? "" : ", auto") + ")");
  if (blobs) {
    DBB_RETURN_IF_ERROR(PlanLargeObjects(o, coordinator, chunk_size, suffix, run, &m));
  }
  DBB_RETURN_IF_ERROR(CheckSpace(o, units, m, &journal));
  DBB_RETURN_IF_ERROR(StartJournal(o, m, run, &journal));
  BlobCopier blob_copier(o.dir, o.blob_mode, suffix, pipeline, &run);
  if (blobs) DBB_RETURN_IF_ERROR(blob_copier.Prepare());

  // The schema is dumped by pg_dump while the data flows: both read the same snapshot.
  const std::string schema_path = o.dir + "/" + kSchemaName;
  run.AddCreated(schema_path);
  std::thread schema_thread([&] {
    Status st = pg::DumpSchema(coordinator, {.snapshot = m.snapshot,
                                             .out_path = schema_path,
                                             .lock_wait_timeout_ms = o.lock_wait_timeout_ms,
                                             .stop = run.stop()});
    if (!st.ok()) run.Fail(st);
  });
  DataCopier copier(o, pipeline, &run, &journal);
  run.SetPhase("data");
  {
    const CoordinatorWatch watch(coordinator, &run);
    CopyData(o, catalog.value(), units, copier, blob_copier, run, &m);
  }
  schema_thread.join();
  DBB_RETURN_IF_ERROR(run.status());
  if (blobs) blob_copier.Summarize(&m.large_objects);
  result->io = copier.DescribeIo();
  result->times = {.copy_s = copier.copy_seconds(),
                   .append_s = copier.append_seconds(),
                   .pipeline = pipeline->times()};

  run.SetPhase("syncing to disk");
  auto crc = FileCrc32c(schema_path, &m.schema.bytes);
  if (!crc.ok()) return crc.status();
  m.schema.crc32c = crc.value();
  DBB_RETURN_IF_ERROR(io::SyncFileSystem(o.dir));
  DBB_RETURN_IF_ERROR(io::FsyncDir(data_dir));
  return io::FsyncDir(o.dir);
}

}  // namespace

std::string FileNamePart(const std::string& name) {
  std::string out;
  for (char c : name.substr(0, 40)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
    out += keep ? c : '_';
  }
  return out;
}

Result<uint32_t> FileCrc32c(const std::string& path, uint64_t* bytes) {
  auto reader = io::OpenReader(path);
  if (!reader.ok()) return reader.status();
  uint32_t crc = 0;
  for (;;) {
    auto chunk = reader.value()->Next();
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) break;
    crc = compress::Crc32c(crc, chunk.value());
  }
  *bytes = reader.value()->file_bytes();
  return crc;
}

namespace {

// The backup directory: new or empty, or with --resume one holding an interrupted backup (its
// journal is read into `journal`). True when this run created it.
Result<bool> PrepareBackupDir(const BackupOptions& o, RunJournal* journal) {
  struct stat st {};
  const bool interrupted = ::stat((o.dir + "/" + kJournalName).c_str(), &st) == 0;
  const bool complete = ::stat((o.dir + "/" + kManifestName).c_str(), &st) == 0;
  if (o.resume && complete) {
    return Status(StatusCode::kRefused,
                  "backup dir " + o.dir + " holds a complete backup: nothing to resume");
  }
  if (!interrupted || complete) {
    if (o.resume) log::Info("no interrupted backup in " + o.dir + ": starting a new one");
    return io::PrepareEmptyDir(o.dir);
  }
  if (!o.resume) {
    return Status(StatusCode::kRefused,
                  "backup dir " + o.dir + " holds an interrupted backup (" + kJournalName +
                      "): run the same command with --resume to complete it, or remove " + o.dir +
                      " to start over");
  }
  auto previous = ReadJournal(o.dir);
  if (!previous.ok()) return previous.status();
  journal->run = previous->runs.empty() ? 1 : previous->runs.back().run + 1;
  journal->previous = std::move(previous.value());
  return false;
}

size_t FileCount(const std::vector<TableEntry>& tables) {
  size_t n = 0;
  for (const TableEntry& t : tables) n += t.files.size();
  return n;
}

// After a failure or stop: with finished files on record, they stay with the journal and
// everything else goes (resume.h), and the error says how to complete the backup; else
// everything this run created goes.
Status LeaveUnfinished(const BackupOptions& o, const Manifest& m, const RunJournal& journal,
                       RunState& run) {
  Status failed = run.status();
  std::string need;  // a full disk: how much more, whether or not some files finished
  if (failed.code() == StatusCode::kNoSpace) {
    const uint64_t stored = journal.stored_bytes.load();
    auto free_bytes = FreeBytes(o.dir);
    need = "about " +
           FormatBytes(journal.estimate_bytes > stored ? journal.estimate_bytes - stored : 0) +
           " more is needed to finish (estimate; " + FormatBytes(stored) + " written by this run" +
           (free_bytes.ok() ? ", " + FormatBytes(free_bytes.value()) + " free now" : "") +
           "): free space, then run the same command with --resume";
  }
  const std::set<std::string> finished = FinishedFiles(m.tables);
  if (journal.writer == nullptr || finished.empty()) {
    run.RemoveCreated();
    if (need.empty()) return failed;
    return Status(failed.code(), failed.message() + "\n" + need, failed.sys_errno());
  }
  if (Status pruned = PruneUnfinished(o.dir, finished); !pruned.ok()) {
    log::Warn("removing the unfinished files: " + pruned.message());
  }
  std::string hint = o.dir + " holds an unfinished backup (" + std::to_string(finished.size()) +
                     " of " + std::to_string(FileCount(m.tables)) + " data files finished, kept)";
  hint += need.empty() ? ": run the same command with --resume to complete it, or remove " + o.dir
                       : "; " + need;
  return Status(failed.code(), failed.message() + "\n" + hint, failed.sys_errno());
}

// The journal goes once the manifest is written; if it stays (a crash in between), the
// manifest still says the backup is complete.
void ForgetJournal(const std::string& dir) {
  const std::string path = dir + "/" + kJournalName;
  if (::unlink(path.c_str()) != 0) {
    log::Warn("could not remove " + path + ": " + std::strerror(errno));
    return;
  }
  if (Status st = io::FsyncDir(dir); !st.ok()) log::Warn(st.message());
}

}  // namespace

Result<BackupResult> RunBackup(const BackupOptions& o) {
  DBB_CHECK(o.stop != nullptr && o.jobs >= 1);
  const SteadyClock::time_point start = SteadyClock::now();
  BackupResult result;
  Manifest& m = result.manifest;
  m.dbbackup_version = DBB_VERSION;
  m.started_at = UtcNow();
  m.compression = {.engine = compress::EngineName(o.pipeline.codec.engine),
                   .level = o.pipeline.codec.level,
                   .page_bytes = o.pipeline.page_bytes};

  RunState run(o.stop, o.progress);
  run.SetProgressPart(o.progress_part);
  run.SetPhase("planning");
  auto coordinator = pg::Connection::Open(o.conn);
  if (!coordinator.ok()) return coordinator.status();
  RunJournal journal;
  auto created = PrepareBackupDir(o, &journal);
  if (!created.ok()) return created.status();
  if (created.value()) run.AddCreated(o.dir);
  const int cancel_id = o.stop->OnStop([c = &coordinator.value()] { c->Cancel(); });
  Status st = ReadServerFacts(coordinator.value(), &m);
  if (st.ok() && journal.previous) st = CheckSameBackup(o, m, *journal.previous);
  if (st.ok()) {
    auto snapshot = pg::ExportSnapshot(coordinator.value());
    st = snapshot.ok() ? Status::Ok() : snapshot.status();
    if (st.ok()) m.snapshot = snapshot.value();
  }
  if (st.ok()) st = BackupAtSnapshot(o, coordinator.value(), run, journal, &result);
  if (st.ok()) {
    m.complete = true;
    m.finished_at = UtcNow();
    m.duration_s = SecondsSince(start);
    RecordSnapshots(journal, &m);
    RecordMetrics(run, &m);
    st = WriteManifest(o.dir, m);
  }
  o.stop->Unregister(cancel_id);
  if (!st.ok()) {
    run.Fail(st);
    return LeaveUnfinished(o, m, journal, run);
  }
  ForgetJournal(o.dir);
  // The snapshot may go now: everything it guarded is on disk.
  if (Status end = coordinator.value().Exec("COMMIT"); !end.ok()) {
    log::Warn("ending the snapshot transaction: " + end.message());
  }
  return result;
}

}  // namespace dbb::engine
