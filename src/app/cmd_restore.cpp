#include "app/cmd_restore.h"

#include <cstdio>
#include <memory>
#include <string>

#include "app/conn_flags.h"
#include "app/exit_codes.h"
#include "app/selection_flags.h"
#include "app/signals.h"
#include "common/units.h"
#include "engine/pipeline_bench.h"
#include "engine/restore.h"

namespace dbb::app {
namespace {

struct RestoreFlags {
  pg::ConnParams conn;
  std::string dir;
  std::string target;
  bool create = false;
  int jobs = 2;
  bool no_blobs = false;
  SelectionFlags selection;
};

int RunRestoreSingle(RestoreFlags& f) {
  const std::string cmd = "restore single";
  if (f.jobs < 1 || f.jobs > 256) {
    return ReportFailure(cmd, Status(StatusCode::kInvalidArgument, "-j: use 1 to 256"), 0);
  }
  if (f.create && !IsPlainDatabaseName(f.target)) {
    return ReportFailure(cmd,
                         Status(StatusCode::kInvalidArgument,
                                "--create needs a plain database name in -d; give the server "
                                "with -h, -p and -U"),
                         0);
  }
  auto filter = ToRelationFilter(f.selection);
  if (!filter.ok()) return ReportFailure(cmd, filter.status(), 0);
  if (IsPlainDatabaseName(f.target)) {
    f.conn.dbname = f.target;
  } else {
    f.conn.conninfo = f.target;
  }
  StopSource stop;
  SignalWatcher signals(&stop);
  auto r = engine::RunRestore({.dir = f.dir,
                               .conn = f.conn,
                               .create = f.create,
                               .jobs = f.jobs,
                               .filter = std::move(filter.value()),
                               .blobs = !f.no_blobs,
                               .stop = &stop});
  if (!r.ok()) return ReportFailure(cmd, r.status(), stop.signal());
  const engine::Manifest& m = r->manifest;
  const uint64_t bytes = r->raw_bytes + r->large_object_bytes;
  std::printf(
      "restore of \"%s\" (backup of \"%s\", %s) into database \"%s\" complete\n"
      "  %zu tables, %llu rows, %zu sequences set, %zu materialized views refreshed\n",
      f.dir.c_str(), m.database.c_str(), m.finished_at.c_str(), r->database.c_str(), r->tables,
      static_cast<unsigned long long>(r->rows), r->sequences, r->matviews);
  if (r->large_objects > 0) {
    std::printf("  large objects: %llu created, %s\n",
                static_cast<unsigned long long>(r->large_objects),
                FormatBytes(r->large_object_bytes).c_str());
  }
  std::printf("  data %s in %.1f s: %.0f MB/s; peak memory %s\n", FormatBytes(bytes).c_str(),
              r->seconds, static_cast<double>(bytes) / 1e6 / std::max(r->seconds, 1e-3),
              FormatBytes(engine::PeakRssBytes()).c_str());
  return kExitOk;
}

}  // namespace

void AddRestoreSingleCommand(CLI::App* restore, int* exit_code) {
  auto flags = std::make_shared<RestoreFlags>();
  CLI::App* cmd = restore->add_subcommand(
      "single",
      "Restore a backup directory into one database: pre-data schema, data over -j connections, "
      "then indexes and constraints in parallel, sequences and materialized views. The target "
      "must be empty (or new, with --create)");
  cmd->add_option("DIR", flags->dir, "backup directory (with manifest.json)")->required();
  cmd->add_option("-d,--dbname", flags->target,
                  "target database: a name, or a conninfo string / URI without --create")
      ->required();
  AddConnFlags(cmd, &flags->conn);
  cmd->add_flag("--create", flags->create,
                "create the target database first (connecting to the postgres database), with "
                "the source's encoding and locale");
  cmd->add_option("-j,--jobs", flags->jobs,
                  "connections for data (files largest first; a table's chunks load in "
                  "parallel) and for post-data (indexes, constraints)")
      ->capture_default_str();
  AddSelectionFlags(cmd, &flags->selection, "restore");
  cmd->add_flag("--no-blobs", flags->no_blobs,
                "do not restore large objects (a selection of tables leaves them out too, as "
                "pg_restore does)");
  cmd->callback([flags, exit_code] { *exit_code = RunRestoreSingle(*flags); });
}

}  // namespace dbb::app
