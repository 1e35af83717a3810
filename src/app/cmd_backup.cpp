#include "app/cmd_backup.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "app/conn_flags.h"
#include "app/exit_codes.h"
#include "app/pipeline_flags.h"
#include "app/selection_flags.h"
#include "app/signals.h"
#include "common/log.h"
#include "common/units.h"
#include "engine/backup.h"
#include "engine/pipeline_bench.h"

namespace dbb::app {
namespace {

struct BackupFlags {
  pg::ConnParams conn;
  std::string positional_db;
  std::string dir;
  int jobs = 2;
  std::string lock_wait_timeout = "0";
  std::string chunk_size = "auto";
  engine::BlobMode blob_mode = engine::BlobMode::kInline;
  bool no_blobs = false;
  SelectionFlags selection;
  PipelineFlags pipeline;
};

constexpr uint64_t kMinChunkSize = 1000 * 1000;

std::string FormatSeconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string TrimSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

void PrintSummary(const engine::BackupResult& r, const std::string& dir) {
  const engine::Manifest& m = r.manifest;
  const double ratio = static_cast<double>(m.raw_bytes()) /
                       static_cast<double>(std::max<uint64_t>(1, m.stored_bytes()));
  std::printf(
      "backup of database \"%s\" complete: %s\n"
      "  %zu tables, %llu rows, %zu sequences, %zu materialized views%s\n"
      "  data %s -> %s stored (ratio %.2f) in %.1f s: %.0f MB/s\n"
      "  files written with %s; peak memory %s (page pipeline %s)\n",
      m.database.c_str(), dir.c_str(), m.tables.size(), static_cast<unsigned long long>(m.rows()),
      m.sequences.size(), m.matviews.size(),
      m.large_objects.included
          ? ("\n  large objects: " + engine::DescribeLargeObjects(m.large_objects)).c_str()
          : "",
      FormatBytes(m.raw_bytes()).c_str(), FormatBytes(m.stored_bytes()).c_str(), ratio,
      m.duration_s, static_cast<double>(m.raw_bytes()) / 1e6 / std::max(m.duration_s, 1e-3),
      r.io.c_str(), FormatBytes(engine::PeakRssBytes()).c_str(),
      FormatBytes(r.pipeline_memory_bytes).c_str());
  const engine::BackupTimes& t = r.times;
  log::Verbose(
      "where the data phase's time went (seconds, summed over threads): connections in "
      "COPY " +
      FormatSeconds(t.copy_s) + ", of which waiting for the server and libpq " +
      FormatSeconds(t.copy_s - t.append_s) + " and handing pages to compression " +
      FormatSeconds(t.append_s) + " (blocked for a free page " +
      FormatSeconds(t.pipeline.producer_wait_s) + "); compression threads busy " +
      FormatSeconds(t.pipeline.compress_s) + "; writing " + FormatSeconds(t.pipeline.write_s));
}

int RunBackupSingle(BackupFlags& f) {
  const std::string cmd = "backup single";
  if (!f.positional_db.empty() && !f.conn.conninfo.empty()) {
    return ReportFailure(cmd,
                         Status(StatusCode::kInvalidArgument,
                                "give the database once: as DBNAME or with -d, not both"),
                         0);
  }
  if (f.conn.conninfo.empty()) f.conn.conninfo = f.positional_db;
  if (f.jobs < 1 || f.jobs > 256) {
    return ReportFailure(cmd, Status(StatusCode::kInvalidArgument, "-j: use 1 to 256"), 0);
  }
  auto timeout = ParseDurationMs(f.lock_wait_timeout);
  if (!timeout.ok())
    return ReportFailure(cmd, timeout.status().WithContext("--lock-wait-timeout"), 0);
  std::optional<uint64_t> chunk_size;  // auto
  if (f.chunk_size != "auto") {
    auto parsed = ParseBytes(f.chunk_size);
    if (!parsed.ok()) return ReportFailure(cmd, parsed.status().WithContext("--chunk-size"), 0);
    chunk_size = parsed.value();
  }
  if (chunk_size && *chunk_size != 0 && *chunk_size < kMinChunkSize) {
    return ReportFailure(cmd,
                         Status(StatusCode::kInvalidArgument, "--chunk-size " + f.chunk_size +
                                                                  ": use at least 1MB (or 0 to "
                                                                  "never split tables)"),
                         0);
  }
  auto filter = ToRelationFilter(f.selection);
  if (!filter.ok()) return ReportFailure(cmd, filter.status(), 0);
  auto pipeline = ToPipelineOptions(f.pipeline);
  if (!pipeline.ok()) return ReportFailure(cmd, pipeline.status(), 0);

  StopSource stop;
  SignalWatcher signals(&stop);
  const std::string dir = TrimSlashes(f.dir);
  auto result = engine::RunBackup({.conn = f.conn,
                                   .dir = dir,
                                   .jobs = f.jobs,
                                   .lock_wait_timeout_ms = timeout.value(),
                                   .chunk_size = chunk_size,
                                   .filter = std::move(filter.value()),
                                   .blobs = !f.no_blobs,
                                   .blob_mode = f.blob_mode,
                                   .pipeline = pipeline.value(),
                                   .stop = &stop});
  if (!result.ok()) return ReportFailure(cmd, result.status(), stop.signal());
  PrintSummary(result.value(), dir);
  return kExitOk;
}

}  // namespace

void AddBackupSingleCommand(CLI::App* backup, int* exit_code) {
  auto flags = std::make_shared<BackupFlags>();
  CLI::App* cmd = backup->add_subcommand(
      "single",
      "Back up one database to a new directory: one consistent snapshot, schema by pg_dump, data "
      "as compressed COPY BINARY streams over -j connections, manifest written last");
  cmd->add_option(
      "DBNAME", flags->positional_db,
      "database: a name, a conninfo string or a postgresql:// URI (default: PGDATABASE)");
  cmd->add_option("-d,--dbname", flags->conn.conninfo, "the database, as an option");
  AddConnFlags(cmd, &flags->conn);
  cmd->add_option("--dir", flags->dir, "backup directory: new, or empty (created 0700)")
      ->required();
  cmd->add_option("-j,--jobs", flags->jobs,
                  "data connections; they take tables and chunks largest first")
      ->capture_default_str();
  cmd->add_option("--chunk-size", flags->chunk_size,
                  "split tables larger than this (heap and TOAST) into block ranges copied in "
                  "parallel, one file each (PostgreSQL 14+; e.g. 256MB, 4GiB; 0 = never). auto: "
                  "a quarter of each connection's share of the data, 64 MiB to 1 GiB")
      ->capture_default_str();
  AddSelectionFlags(cmd, &flags->selection, "back up");
  const std::map<std::string, engine::BlobMode> modes{{"inline", engine::BlobMode::kInline},
                                                      {"external", engine::BlobMode::kExternal}};
  cmd->add_option("--blob-mode", flags->blob_mode,
                  "large objects: inline (packed into files like table data, many objects per "
                  "file) or external (each distinct content once, in blobs/ named by its "
                  "SHA-256: identical objects are stored once)")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case))
      ->default_str("inline");
  cmd->add_flag("--no-blobs", flags->no_blobs,
                "leave large objects out (a selection of tables leaves them out too, as "
                "pg_dump does)");
  cmd->add_option("--lock-wait-timeout", flags->lock_wait_timeout,
                  "fail if a table's ACCESS SHARE lock is not granted within this time (e.g. "
                  "30s, 5min; 0 = wait forever, as pg_dump)")
      ->capture_default_str();
  AddPipelineFlags(cmd, &flags->pipeline);
  cmd->callback([flags, exit_code] { *exit_code = RunBackupSingle(*flags); });
}

}  // namespace dbb::app
