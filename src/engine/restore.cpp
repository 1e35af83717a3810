#include "engine/restore.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/timing.h"
#include "common/units.h"
#include "compress/codec.h"
#include "compress/decompressor.h"
#include "engine/blob_restore.h"
#include "engine/blob_stream.h"
#include "engine/connection_workers.h"
#include "engine/run_state.h"
#include "io/small_file.h"
#include "pg/catalog.h"
#include "pg/copy_stream.h"
#include "pg/pg_tools.h"
#include "pg/toc_list.h"

namespace dbb::engine {
namespace {

using Clock = std::chrono::steady_clock;

// A table of contents is about 100 bytes per schema object.
constexpr uint64_t kMaxTocBytes = 1ull << 30;

Status CreateDatabase(const RestoreOptions& o, const Manifest& m) {
  pg::ConnParams admin = o.conn;
  admin.dbname = o.maintenance_db;
  auto conn = pg::Connection::Open(admin);
  if (!conn.ok()) {
    return conn.status().WithContext("--create (connecting to database " + o.maintenance_db + ")");
  }
  Status st = pg::CreateDatabase(conn.value(), {.name = o.conn.dbname,
                                                .encoding = m.encoding,
                                                .lc_collate = m.lc_collate,
                                                .lc_ctype = m.lc_ctype,
                                                .locale_provider = m.properties.locale_provider,
                                                .icu_locale = m.properties.icu_locale,
                                                .tablespace = m.properties.tablespace});
  if (st.ok() || st.code() == StatusCode::kRefused) return st;
  return st.WithContext("--create");
}

// What a restore carries: the whole backup, or the relations a selection names (in the backup's
// own selection) with what they need from the schema archive.
struct RestorePlan {
  bool partial = false;
  std::vector<const TableEntry*> tables;  // whose data is loaded
  bool blobs = false;                     // large objects are loaded
  std::set<uint32_t> relations;           // partial: relations whose definitions are restored
  io::TempFile list;                      // partial: pg_restore --use-list
};

Status PlanRestore(const RestoreOptions& o, const Manifest& m, RestorePlan* plan) {
  plan->partial = !o.filter.empty() || !m.selection.empty();
  const LargeObjects& l = m.large_objects;
  plan->blobs = l.included && l.count > 0 && o.blobs && o.filter.empty();
  if (!m.consistent && m.snapshots.size() > 1) {
    log::Warn("this backup was completed by --resume and is not one point in time: " +
              DescribeSnapshots(m));
  }
  if (l.count > 0 && !l.included) {
    log::Warn("the source database had " + std::to_string(l.count) +
              " large objects, which this backup does not hold; they will be missing");
  } else if (l.included && l.count > 0 && !plan->blobs) {
    log::Info(
        "the backup's " + std::to_string(l.count) + " large objects are not restored (" +
        (o.blobs ? "a selection of tables leaves them out, as pg_restore does" : "--no-blobs") +
        ")");
  }
  if (!plan->partial) {
    for (const TableEntry& t : m.tables) plan->tables.push_back(&t);
    return Status::Ok();
  }
  if (m.relations.empty() && !m.tables.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  o.dir + ": backup format version " + std::to_string(m.format_version) +
                      " has no list of relations to select from; restore it whole (without "
                      "--table, --exclude-table and --schema)");
  }
  const std::set<uint32_t> selected = pg::SelectRelations(m.relations, o.filter);
  if (selected.empty()) {
    return Status(StatusCode::kInvalidArgument, o.filter.Describe() +
                                                    " matches no relation in the backup " + o.dir +
                                                    "; see `dbbackup list " + o.dir + "`");
  }
  for (const TableEntry& t : m.tables) {
    if (selected.contains(t.oid)) plan->tables.push_back(&t);
  }
  // The archive's table of contents, filtered to the selected relations and what they need.
  io::TempFile toc;
  DBB_RETURN_IF_ERROR(toc.Create("dbbackup-toc"));
  DBB_RETURN_IF_ERROR(
      pg::ListArchive(o.dir + "/" + m.schema.file, m.server_version_num, toc.path(), o.stop));
  auto text = io::ReadSmallFile(toc.path(), kMaxTocBytes);
  if (!text.ok()) return text.status();
  auto entries = pg::ParseTocList(text.value());
  if (!entries.ok()) return entries.status().WithContext(o.dir + "/" + m.schema.file);
  std::set<uint32_t> excluded;
  for (const pg::RelationInfo& r : m.relations) {
    if (o.filter.Excludes(r.schema, r.name)) excluded.insert(r.oid);
  }
  pg::TocSelection selection = pg::SelectToc(entries.value(), selected, excluded);
  plan->relations = std::move(selection.relation_oids);
  DBB_RETURN_IF_ERROR(plan->list.Create("dbbackup-list"));
  DBB_RETURN_IF_ERROR(io::WriteFileAtomic(plan->list.path(), selection.list));
  std::string note = "restoring " + std::to_string(plan->tables.size()) + " of " +
                     std::to_string(m.tables.size()) + " tables" +
                     (o.filter.empty() ? "" : " (" + o.filter.Describe() + ")");
  if (selection.dropped > 0) {
    note += "; " + std::to_string(selection.dropped) +
            " schema entries that belong to or depend on other relations are left out";
    if (!selection.dropped_examples.empty()) note += ", e.g. " + selection.dropped_examples[0];
  }
  log::Info(note);
  return Status::Ok();
}

Status CheckEmpty(pg::Connection& target, const std::string& name) {
  auto objects = pg::DescribeUserObjects(target);
  if (!objects.ok()) return objects.status();
  if (objects->empty()) return Status::Ok();
  return Status(StatusCode::kRefused, "target database \"" + name + "\" is not empty (" +
                                          objects.value() +
                                          "); restore into a new database (--create) or an "
                                          "empty one. Nothing was changed.");
}

// Loads tables' files (a whole table or a chunk). Thread-safe: LoadFile runs on every
// connection at once.
class DataLoader {
 public:
  DataLoader(const RestoreOptions& options, RunState* run) : options_(options), run_(run) {}

  uint64_t rows() const { return rows_.load(); }
  uint64_t raw_bytes() const { return raw_bytes_.load(); }
  uint64_t stored_bytes() const { return stored_bytes_.load(); }
  // The tables' load times, each its files' times added up.
  std::vector<TableTiming> timings() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<TableTiming> out;
    for (const auto& [table, timing] : timings_) out.push_back(timing);
    return out;
  }

  Status LoadFile(pg::Connection& conn, const TableEntry& table, const DataFile& file) {
    const SteadyClock::time_point start = SteadyClock::now();
    const std::string path = options_.dir + "/" + file.file;
    const std::string what =
        "table " + pg::QualifiedName(conn, table.schema, table.name) + " from " + path;
    auto reader = io::OpenReader(path, options_.reader);
    if (!reader.ok()) return reader.status();
    // The statement is rebuilt from the names, never taken as SQL text from the manifest.
    auto copy = pg::CopyIn::Start(
        conn, pg::CopyInSql(conn, table.schema, table.name, table.columns, table.binary));
    if (!copy.ok()) return copy.status().WithContext(what);
    Status st = Stream(*reader.value(), copy.value());
    if (!st.ok()) {
      copy->Abort(st.message());
      return st.WithContext(what);
    }
    auto rows = copy->Finish();
    if (!rows.ok()) return rows.status().WithContext(what);
    if (rows.value() != file.rows) {
      return Status(StatusCode::kCorrupt, what + ": loaded " + std::to_string(rows.value()) +
                                              " rows, the manifest says " +
                                              std::to_string(file.rows));
    }
    rows_ += rows.value();
    raw_bytes_ += file.raw_bytes;
    stored_bytes_ += file.stored_bytes;
    std::lock_guard<std::mutex> lock(mu_);
    TableTiming& t = timings_[&table];
    t.table = table.schema + "." + table.name;
    t.seconds += SecondsSince(start);
    t.raw_bytes += file.raw_bytes;
    ++t.files;
    return Status::Ok();
  }

 private:
  // File -> inflate -> COPY.
  Status Stream(io::FileReader& reader, pg::CopyIn& copy) {
    StopSource* stop = run_->stop();
    return compress::InflateAll([&reader] { return reader.Next(); },
                                [&copy, stop, this](std::span<const std::byte> bytes) {
                                  if (stop->requested()) {
                                    return Status(StatusCode::kCancelled, "stopped");
                                  }
                                  if (Progress* p = run_->progress()) p->AddBytes(bytes.size());
                                  return copy.Put(bytes);
                                });
  }

 private:
  const RestoreOptions& options_;
  RunState* run_;
  std::atomic<uint64_t> rows_{0};
  std::atomic<uint64_t> raw_bytes_{0};
  std::atomic<uint64_t> stored_bytes_{0};
  mutable std::mutex mu_;
  std::map<const TableEntry*, TableTiming> timings_;
};

// Sequence values, then materialized views in dependency order: what pg_dump's data section
// holds besides table rows.
Status RestoreSequencesAndViews(pg::Connection& conn, const Manifest& m, const RestorePlan& plan,
                                RestoreResult* result) {
  auto restored = [&plan](uint32_t oid) { return !plan.partial || plan.relations.contains(oid); };
  for (const pg::SequenceInfo& s : m.sequences) {
    if (!restored(s.oid)) continue;
    auto r = conn.Query(
        "SELECT pg_catalog.setval($1::regclass, $2::bigint, $3::boolean)",
        {pg::QualifiedName(conn, s.schema, s.name), s.last_value, s.is_called ? "true" : "false"});
    if (!r.ok()) return r.status().WithContext("sequence " + s.schema + "." + s.name);
    ++result->sequences;
  }
  for (const pg::MatViewInfo& v : m.matviews) {
    if (!v.populated || !restored(v.oid)) continue;
    DBB_RETURN_IF_ERROR(
        conn.Exec("REFRESH MATERIALIZED VIEW " + pg::QualifiedName(conn, v.schema, v.name)));
    ++result->matviews;
  }
  return Status::Ok();
}

// The data phase: `jobs` connections take the tables' files and the blob files, largest first
// (the chunks of one table load concurrently, each in its own COPY).
Status LoadData(const RestoreOptions& o, const Manifest& m, const RestorePlan& plan,
                pg::Connection& target, RunState& run, RestoreResult* result) {
  DataLoader loader(o, &run);
  uint64_t per_transaction = 0;
  if (plan.blobs) {
    auto n = ObjectsPerTransaction(target, o.jobs);
    if (!n.ok()) return n.status();
    per_transaction = n.value();
  }
  auto engine = compress::ParseEngine(m.compression.engine);
  if (!engine.ok()) return engine.status().WithContext(o.dir + "/" + kManifestName);
  BlobLoader blobs({.dir = o.dir,
                    .suffix = compress::FileSuffix(engine.value()),
                    .objects_per_transaction = per_transaction,
                    .piece_bytes = m.compression.page_bytes > 0 ? m.compression.page_bytes : kMiB,
                    .reader = o.reader,
                    .stop = o.stop});
  std::vector<SizedTask> tasks;
  for (const TableEntry* t : plan.tables) {
    for (size_t i = 0; i < t->files.size(); ++i) {
      const DataFile& f = t->files[i];
      tasks.push_back(
          {.bytes = f.raw_bytes,
           .run = [&loader, t, &f](pg::Connection& conn) { return loader.LoadFile(conn, *t, f); },
           .label = t->schema + "." + t->name + ChunkSuffix(i, t->files.size())});
    }
  }
  if (plan.blobs) {
    for (const BlobFile& f : m.large_objects.files) {
      tasks.push_back({.bytes = f.bytes + f.data.rows * kBlobObjectCostBytes,
                       .run = [&blobs, &f](pg::Connection& conn) { return blobs.Load(conn, f); },
                       .label = "large objects " + std::to_string(f.first_oid) + ".." +
                                std::to_string(f.last_oid),
                       .bytes_when_done = true});
    }
  }
  // A restore that fails is redone from scratch; waiting for each commit's flush buys nothing.
  RunOnConnections(
      o.conn, o.jobs,
      [](pg::Connection& conn) { return conn.Exec("SET synchronous_commit = off"); },
      std::move(tasks), &run);
  result->tables = plan.tables.size();
  result->rows = loader.rows();
  result->raw_bytes = loader.raw_bytes();
  result->large_objects = blobs.objects();
  result->large_object_bytes = blobs.bytes();
  result->metrics.raw_bytes = loader.raw_bytes() + blobs.bytes();
  result->metrics.stored_bytes = loader.stored_bytes();
  if (plan.blobs) {
    for (const BlobFile& f : m.large_objects.files)
      result->metrics.stored_bytes += f.data.stored_bytes;
    result->metrics.stored_bytes += m.large_objects.content_stored_bytes;
  }
  result->metrics.slowest_tables = SlowestOf(loader.timings());
  return run.status();
}

Status RestoreInto(const RestoreOptions& o, const Manifest& m, const RestorePlan& plan,
                   RunState& run, RestoreResult* result) {
  auto target = pg::Connection::Open(o.conn);
  if (!target.ok()) return target.status();
  const int cancel_id = run.stop()->OnStop([c = &target.value()] { c->Cancel(); });
  const std::string archive = o.dir + "/" + m.schema.file;
  Status st = CheckEmpty(target.value(), target->database());
  run.SetPhase("schema (pre-data)");
  if (st.ok()) {
    st = pg::RestoreSection(target.value(), {.archive_path = archive,
                                             .section = "pre-data",
                                             .list_path = plan.list.path(),
                                             .stop = run.stop()});
  }
  run.SetPhase("data");
  if (st.ok()) st = LoadData(o, m, plan, target.value(), run, result);
  run.SetPhase("indexes and constraints (post-data)");
  if (st.ok()) {
    st = pg::RestoreSection(target.value(), {.archive_path = archive,
                                             .section = "post-data",
                                             .jobs = o.jobs,
                                             .list_path = plan.list.path(),
                                             .stop = run.stop()});
  }
  run.SetPhase("sequences and materialized views");
  if (st.ok()) st = RestoreSequencesAndViews(target.value(), m, plan, result);
  if (st.ok() && (o.create || o.apply_properties)) {
    // Last, so that a setting such as default_transaction_read_only cannot affect the load.
    st = pg::ApplyDatabaseProps(target.value(), target->database(), m.properties);
  } else if (st.ok() && (!m.properties.settings.empty() || !m.properties.comment.empty() ||
                         m.properties.acl || !m.properties.role_settings.empty())) {
    log::Info(
        "the source database's own owner, privileges, settings and comment were not applied "
        "(they are applied with --create)");
  }
  run.stop()->Unregister(cancel_id);
  result->database = target->database();
  return st;
}

}  // namespace

Result<RestoreResult> RunRestore(const RestoreOptions& o) {
  DBB_CHECK(o.stop != nullptr && o.jobs >= 1);
  const Clock::time_point start = Clock::now();
  auto manifest = ReadManifest(o.dir);
  if (!manifest.ok()) return manifest.status();
  const Manifest& m = manifest.value();
  if (!m.complete) {
    return Status(StatusCode::kCorrupt, o.dir + ": the manifest says the backup is incomplete");
  }
  RestorePlan plan;
  DBB_RETURN_IF_ERROR(PlanRestore(o, m, &plan));
  DBB_RETURN_IF_ERROR(CheckFilesPresent(o.dir, m, plan.tables, plan.blobs));
  if (o.create) DBB_RETURN_IF_ERROR(CreateDatabase(o, m));

  RunState run(o.stop, o.progress);
  run.SetProgressPart(o.progress_part);
  RestoreResult result;
  Status st = RestoreInto(o, m, plan, run, &result);
  if (!st.ok()) {
    run.Fail(st);
    const Status failed = run.status();
    // Refused or unreachable: nothing was changed. Otherwise the target holds part of the data.
    if (failed.code() == StatusCode::kRefused || failed.code() == StatusCode::kConnection) {
      return failed;
    }
    return Status(failed.code(),
                  failed.message() + "\ndatabase \"" + result.database +
                      "\" is incomplete: drop it and restore again",
                  failed.sys_errno());
  }
  result.manifest = std::move(manifest.value());
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.metrics.duration_s = result.seconds;
  result.metrics.errors = run.retries();
  CaptureProcessMetrics(&result.metrics);
  return result;
}

}  // namespace dbb::engine
