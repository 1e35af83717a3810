#include "engine/backup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/units.h"
#include "compress/crc32c.h"
#include "engine/run_state.h"
#include "io/file_reader.h"
#include "io/small_file.h"
#include "pg/catalog.h"
#include "pg/copy_stream.h"
#include "pg/pg_tools.h"
#include "pg/snapshot.h"

namespace dbb::engine {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

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

// One manifest entry per table, in the catalog's order (largest first), each with its file name.
std::vector<TableEntry> PlanTables(const pg::Connection& conn, const pg::Catalog& catalog,
                                   const char* suffix) {
  std::vector<TableEntry> entries;
  entries.reserve(catalog.tables.size());
  for (size_t i = 0; i < catalog.tables.size(); ++i) {
    const pg::TableInfo& t = catalog.tables[i];
    char file[64];
    std::snprintf(file, sizeof file, "%s/%05zu%s", kDataDirName, i + 1, suffix);
    entries.push_back({.oid = t.oid,
                       .schema = t.schema,
                       .name = t.name,
                       .partition = t.partition,
                       .unlogged = t.unlogged,
                       .columns = t.columns,
                       .binary = t.binary_ok,
                       .copy_from = pg::CopyInSql(conn, t.schema, t.name, t.columns, t.binary_ok),
                       .files = {DataFile{.file = file}}});
  }
  return entries;
}

// The data phase: `jobs` connections, each importing the snapshot, take tables in order.
class DataCopier {
 public:
  DataCopier(const BackupOptions& options, const std::string& snapshot, const pg::Catalog& catalog,
             std::vector<TableEntry>* entries, compress::Pipeline* pipeline, RunState* run)
      : options_(options),
        snapshot_(snapshot),
        catalog_(catalog),
        entries_(entries),
        pipeline_(pipeline),
        run_(run) {}

  void Run() {
    std::vector<std::thread> threads;
    const size_t n = std::min<size_t>(static_cast<size_t>(options_.jobs),
                                      std::max<size_t>(1, catalog_.tables.size()));
    for (size_t i = 0; i < n; ++i) threads.emplace_back([this] { Worker(); });
    for (std::thread& t : threads) t.join();
  }

  // "io_uring, O_DIRECT": how the data files were written. Call after Run.
  std::string DescribeIo() const {
    return std::string(io::IoEngineName(io_.engine)) + (io_.direct ? ", O_DIRECT" : ", buffered");
  }

 private:
  void Worker() {
    auto conn = pg::Connection::Open(options_.conn);
    if (!conn.ok()) return run_->Fail(conn.status());
    const int cancel_id = run_->stop()->OnStop([c = &conn.value()] { c->Cancel(); });
    Status st = pg::ImportSnapshot(conn.value(), snapshot_);
    while (st.ok() && !run_->stop()->requested()) {
      const size_t i = next_.fetch_add(1);
      if (i >= catalog_.tables.size()) break;
      st = CopyTable(conn.value(), catalog_.tables[i], &(*entries_)[i]);
    }
    run_->stop()->Unregister(cancel_id);
    if (!st.ok()) run_->Fail(st);
  }

  Status CopyTable(pg::Connection& conn, const pg::TableInfo& table, TableEntry* entry) {
    const Clock::time_point start = Clock::now();
    DataFile& file = entry->files.front();
    auto out = pipeline_->Open(options_.dir + "/" + file.file);
    if (!out.ok()) return out.status();
    StopSource* stop = run_->stop();
    auto rows = pg::CopyOut(conn, pg::CopyOutSql(conn, table, table.binary_ok),
                            [&out, stop](std::span<const std::byte> bytes) {
                              if (stop->requested()) {
                                return Status(StatusCode::kCancelled, "stopped");
                              }
                              return out.value()->Append(bytes);
                            });
    const std::string what = "table " + pg::QualifiedName(conn, table.schema, table.name);
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
    entry->seconds = SecondsSince(start);
    {
      std::lock_guard<std::mutex> lock(io_mu_);
      io_ = stats->io;
    }
    log::Verbose(what + ": " + std::to_string(file.rows) + " rows, " + FormatBytes(file.raw_bytes) +
                 " in " + std::to_string(entry->seconds) + " s");
    return Status::Ok();
  }

  const BackupOptions& options_;
  const std::string& snapshot_;
  const pg::Catalog& catalog_;
  std::vector<TableEntry>* entries_;
  compress::Pipeline* pipeline_;
  RunState* run_;
  std::atomic<size_t> next_{0};
  std::mutex io_mu_;
  io::IoChoice io_;  // of the last file written (the same for all: one directory)
};

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

// Everything after the snapshot is exported, while the coordinator holds it.
Status BackupAtSnapshot(const BackupOptions& o, pg::Connection& coordinator, RunState& run,
                        BackupResult* result) {
  Manifest& m = result->manifest;
  // Locks every table ACCESS SHARE (as pg_dump does) before it reads their sizes.
  auto catalog = pg::ReadCatalog(coordinator, o.lock_wait_timeout_ms);
  if (!catalog.ok()) return catalog.status();
  m.sequences = catalog->sequences;
  m.matviews = catalog->matviews;
  m.large_objects_not_included = catalog->large_objects;
  if (catalog->large_objects > 0) {
    log::Warn("database \"" + m.database + "\" has " + std::to_string(catalog->large_objects) +
              " large objects; this version of dbbackup does not back them up (columns "
              "that reference them keep their OIDs): back them up with pg_dump until a later "
              "version carries them");
  }

  const std::string data_dir = o.dir + "/" + kDataDirName;
  if (::mkdir(data_dir.c_str(), 0700) != 0) return Status::FromErrno(errno, "create " + data_dir);
  run.AddCreated(data_dir);
  compress::PipelineOptions popts = o.pipeline;
  popts.max_outputs = static_cast<size_t>(o.jobs);
  auto pipeline = compress::Pipeline::Create(popts);
  if (!pipeline.ok()) return pipeline.status();
  result->pipeline_memory_bytes = pipeline.value()->memory_bytes();
  m.tables = PlanTables(coordinator, catalog.value(), compress::FileSuffix(popts.codec.engine));
  for (const TableEntry& t : m.tables) run.AddCreated(o.dir + "/" + t.files.front().file);

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
  DataCopier copier(o, m.snapshot, catalog.value(), &m.tables, pipeline.value().get(), &run);
  copier.Run();
  schema_thread.join();
  DBB_RETURN_IF_ERROR(run.status());
  result->io = copier.DescribeIo();

  auto crc = FileCrc32c(schema_path, &m.schema.bytes);
  if (!crc.ok()) return crc.status();
  m.schema.crc32c = crc.value();
  DBB_RETURN_IF_ERROR(io::FsyncDir(data_dir));
  return io::FsyncDir(o.dir);
}

}  // namespace

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
  const Clock::time_point start = Clock::now();
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
