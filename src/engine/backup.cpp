#include "engine/backup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/timing.h"
#include "common/units.h"
#include "compress/crc32c.h"
#include "engine/blob_backup.h"
#include "engine/blob_stream.h"
#include "engine/connection_workers.h"
#include "engine/run_state.h"
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
      "current_setting('server_encoding'), datcollate, datctype "
      "FROM pg_catalog.pg_database WHERE datname = current_database()");
  if (!r.ok()) return r.status();
  m->database = std::string(r->Get(0, 0));
  m->server_version = std::string(r->Get(0, 1));
  m->server_version_num = conn.server_version_num();
  m->encoding = std::string(r->Get(0, 2));
  m->lc_collate = std::string(r->Get(0, 3));
  m->lc_ctype = std::string(r->Get(0, 4));
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

// One manifest entry per table, in the catalog's order (largest first), with its files; and the
// work units of all tables, largest first, so that one large table is spread over every worker.
std::vector<WorkUnit> PlanTables(const pg::Connection& conn, const pg::Catalog& catalog,
                                 uint64_t chunk_size, const char* suffix,
                                 std::vector<TableEntry>* entries) {
  const bool can_split = conn.server_version_num() >= pg::kTidRangeScanVersion;
  bool said = false;
  std::vector<WorkUnit> units;
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
      units.push_back({.table = i, .file = c, .estimate_bytes = t.size_bytes / ranges.size()});
    }
    entries->push_back(std::move(entry));
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

// Copies tables' files (a whole table or a chunk) on the data connections, and keeps what
// --verbose reports. Thread-safe: CopyFile runs on every connection at once.
class DataCopier {
 public:
  DataCopier(const BackupOptions& options, compress::Pipeline* pipeline, RunState* run)
      : options_(options), pipeline_(pipeline), run_(run) {}

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
  std::atomic<uint64_t> copy_ns_{0};    // in COPY, all connections
  std::atomic<uint64_t> append_ns_{0};  // of which handing bytes to the pipeline
  std::mutex io_mu_;
  io::IoChoice io_;  // of the last file written (the same for all: one directory)
};

// The data phase: every table file and blob file is one task on the -j connections, each with the
// snapshot imported; largest first across both.
void CopyData(const BackupOptions& o, const pg::Catalog& catalog,
              const std::vector<WorkUnit>& units, DataCopier& copier, BlobCopier& blob_copier,
              RunState& run, Manifest* m) {
  std::vector<SizedTask> tasks;
  for (const WorkUnit& u : units) {
    DataFile* file = &m->tables[u.table].files[u.file];
    const pg::TableInfo* table = &catalog.tables[u.table];
    tasks.push_back({u.estimate_bytes, [&copier, table, file](pg::Connection& conn) {
                       return copier.CopyFile(conn, *table, *file);
                     }});
  }
  for (BlobFile& f : m->large_objects.files) {
    tasks.push_back(
        {f.bytes + f.data.rows * kBlobObjectCostBytes,
         [&blob_copier, &f](pg::Connection& conn) { return blob_copier.Copy(conn, f); }});
  }
  RunOnConnections(
      o.conn, o.jobs,
      [snapshot = m->snapshot](pg::Connection& conn) { return pg::ImportSnapshot(conn, snapshot); },
      std::move(tasks), &run);
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

// Everything after the snapshot is exported, while the coordinator holds it.
Status BackupAtSnapshot(const BackupOptions& o, pg::Connection& coordinator, RunState& run,
                        BackupResult* result) {
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
  if (::mkdir(data_dir.c_str(), 0700) != 0) return Status::FromErrno(errno, "create " + data_dir);
  run.AddCreated(data_dir);
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
  std::vector<WorkUnit> units =
      PlanTables(coordinator, catalog.value(), chunk_size, suffix, &m.tables);
  for (const TableEntry& t : m.tables) {
    for (const DataFile& f : t.files) run.AddCreated(o.dir + "/" + f.file);
  }
  log::Verbose(std::to_string(units.size()) + " files for " + std::to_string(m.tables.size()) +
               " tables (--chunk-size " + FormatBytes(chunk_size) + (o.chunk_size ? "" : ", auto") +
               ")");
  if (blobs) {
    DBB_RETURN_IF_ERROR(PlanLargeObjects(o, coordinator, chunk_size, suffix, run, &m));
  }
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
  DataCopier copier(o, pipeline, &run);
  CopyData(o, catalog.value(), units, copier, blob_copier, run, &m);
  schema_thread.join();
  DBB_RETURN_IF_ERROR(run.status());
  if (blobs) blob_copier.Summarize(&m.large_objects);
  result->io = copier.DescribeIo();
  result->times = {.copy_s = copier.copy_seconds(),
                   .append_s = copier.append_seconds(),
                   .pipeline = pipeline->times()};

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

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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

  RunState run(o.stop);
  auto coordinator = pg::Connection::Open(o.conn);
  if (!coordinator.ok()) return coordinator.status();
  auto created = io::PrepareEmptyDir(o.dir);
  if (!created.ok()) return created.status();
  if (created.value()) run.AddCreated(o.dir);
  const int cancel_id = o.stop->OnStop([c = &coordinator.value()] { c->Cancel(); });
  Status st = ReadServerFacts(coordinator.value(), &m);
  if (st.ok()) {
    auto snapshot = pg::ExportSnapshot(coordinator.value());
    st = snapshot.ok() ? Status::Ok() : snapshot.status();
    if (st.ok()) m.snapshot = snapshot.value();
  }
  if (st.ok()) st = BackupAtSnapshot(o, coordinator.value(), run, &result);
  if (st.ok()) {
    m.complete = true;
    m.finished_at = UtcNow();
    m.duration_s = SecondsSince(start);
    st = WriteManifest(o.dir, m);
  }
  o.stop->Unregister(cancel_id);
  if (!st.ok()) {
    run.Fail(st);
    run.RemoveCreated();
    return run.status();
  }
  // The snapshot may go now: everything it guarded is on disk.
  if (Status end = coordinator.value().Exec("COMMIT"); !end.ok()) {
    log::Warn("ending the snapshot transaction: " + end.message());
  }
  return result;
}

}  // namespace dbb::engine
