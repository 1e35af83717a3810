#include "app/cmd_list.h"

#include <cstdio>
#include <memory>
#include <string>

#include "app/exit_codes.h"
#include "common/units.h"
#include "engine/cluster_manifest.h"
#include "engine/manifest.h"
#include "engine/sealed_json.h"

namespace dbb::app {
namespace {

struct ListFlags {
  std::string dir;
  bool json = false;
  size_t max_tables = 20;
};

// The manifest as the backup wrote it: sealed from format 5 on (its checksum included).
std::string AsWritten(const std::string& json, int format_version) {
  return format_version >= engine::kSealedSinceFormatVersion ? engine::SealJson(json) : json;
}

double Ratio(uint64_t raw, uint64_t stored) {
  return static_cast<double>(raw) / static_cast<double>(std::max<uint64_t>(1, stored));
}

void PrintTables(const engine::Manifest& m, size_t max_tables) {
  std::printf("  %-40s %-6s %6s %12s %10s %10s %6s\n", "table (largest first)", "format", "files",
              "rows", "data", "stored", "ratio");
  for (size_t i = 0; i < m.tables.size() && i < max_tables; ++i) {
    const engine::TableEntry& t = m.tables[i];
    const std::string name = t.schema + "." + t.name;
    std::printf("  %-40s %-6s %6zu %12llu %10s %10s %6.2f\n", name.c_str(),
                t.binary ? "binary" : "text", t.files.size(),
                static_cast<unsigned long long>(t.rows()), FormatBytes(t.raw_bytes()).c_str(),
                FormatBytes(t.stored_bytes()).c_str(), Ratio(t.raw_bytes(), t.stored_bytes()));
  }
  if (m.tables.size() > max_tables) {
    std::printf("  ... and %zu more tables (--max-tables to show them)\n",
                m.tables.size() - max_tables);
  }
}

// A cluster backup: its globals, tablespaces and a line per database, each checked for its
// files. Exit 0 complete, 3 partial (databases missing), 1 damaged.
int RunListCluster(const ListFlags& f) {
  auto m = engine::ReadClusterManifest(f.dir);
  if (!m.ok()) return ReportFailure("list", m.status(), 0);
  const engine::ClusterManifest& c = m.value();
  Status damaged = Status::Ok();
  for (const engine::ClusterDatabase& d : c.databases) {
    if (d.status != engine::DatabaseStatus::kComplete || !damaged.ok()) continue;
    const std::string dir = f.dir + "/" + d.dir;
    auto db = engine::ReadManifest(dir);
    damaged = db.ok() ? engine::CheckFilesPresent(dir, db.value()) : db.status();
  }
  if (f.json) {
    std::fputs(AsWritten(engine::ToJson(c), c.format_version).c_str(), stdout);
  } else {
    const size_t missing = c.missing();
    const std::string state = !damaged.ok() ? "DAMAGED"
                              : missing > 0
                                  ? "PARTIAL, " + std::to_string(missing) + " of " +
                                        std::to_string(c.databases.size()) + " databases missing"
                                  : "complete";
    std::printf(
        "cluster backup %s: %s\n"
        "  PostgreSQL %s, taken %s to %s (%.1f s); format version %d, dbbackup %s\n"
        "  each database is one point in time of its own (not across databases)\n"
        "  globals: %s (%s)\n",
        f.dir.c_str(), state.c_str(), c.server_version.c_str(), c.started_at.c_str(),
        c.finished_at.c_str(), c.duration_s, c.format_version, c.dbbackup_version.c_str(),
        FormatBytes(c.globals.bytes).c_str(),
        c.globals.role_passwords ? "roles with their passwords" : "roles without passwords");
    if (!c.excluded.empty()) {
      std::string names;
      for (const std::string& name : c.excluded) names += (names.empty() ? "" : ", ") + name;
      std::printf("  left out (--exclude-database): %s\n", names.c_str());
    }
    for (const pg::TablespaceInfo& t : c.tablespaces) {
      std::printf("  tablespace %s (owner %s) at %s\n", t.name.c_str(), t.owner.c_str(),
                  t.location.c_str());
    }
    std::printf("  %-30s %-11s %7s %12s %10s %10s %6s  %s\n", "database (largest first)", "status",
                "tables", "rows", "data", "stored", "ratio", "directory");
    for (const engine::ClusterDatabase& d : c.databases) {
      if (d.status != engine::DatabaseStatus::kComplete) {
        std::printf("  %-30s %-11s %s\n", d.name.c_str(), engine::DatabaseStatusName(d.status),
                    d.error.c_str());
        continue;
      }
      std::printf("  %-30s %-11s %7zu %12llu %10s %10s %6.2f  %s\n", d.name.c_str(), "complete",
                  d.tables, static_cast<unsigned long long>(d.rows),
                  FormatBytes(d.raw_bytes).c_str(), FormatBytes(d.stored_bytes).c_str(),
                  Ratio(d.raw_bytes, d.stored_bytes), d.dir.c_str());
    }
  }
  if (!damaged.ok()) return ReportFailure("list", damaged, 0);
  return c.partial() ? kExitPartial : kExitOk;
}

int RunList(const ListFlags& f) {
  if (engine::IsClusterBackup(f.dir)) return RunListCluster(f);
  auto m = engine::ReadManifest(f.dir);
  if (!m.ok()) return ReportFailure("list", m.status(), 0);
  const Status files = engine::CheckFilesPresent(f.dir, m.value());
  if (f.json) {
    std::fputs(AsWritten(engine::ToJson(m.value()), m->format_version).c_str(), stdout);
    return files.ok() ? kExitOk : ReportFailure("list", files, 0);
  }
  const engine::Manifest& b = m.value();
  const char* state = !b.complete ? "INCOMPLETE" : files.ok() ? "complete" : "DAMAGED";
  const std::string consistency =
      b.consistent ? "one point in time (snapshot " + b.snapshot + ")"
                   : "NOT one point in time (resumed): " + engine::DescribeSnapshots(b);
  std::printf(
      "backup %s: %s\n"
      "  database \"%s\" on PostgreSQL %s, taken %s to %s (%.1f s)\n"
      "  consistency: %s\n"
      "  format version %d, dbbackup %s; compression %s level %d, %s pages\n"
      "  %zu tables, %llu rows: data %s, stored %s (ratio %.2f, schema %s)\n"
      "  %zu sequences, %zu materialized views\n",
      f.dir.c_str(), state, b.database.c_str(), b.server_version.c_str(), b.started_at.c_str(),
      b.finished_at.c_str(), b.duration_s, consistency.c_str(), b.format_version,
      b.dbbackup_version.c_str(), b.compression.engine.c_str(), b.compression.level,
      FormatBytes(b.compression.page_bytes).c_str(), b.tables.size(),
      static_cast<unsigned long long>(b.rows()), FormatBytes(b.raw_bytes()).c_str(),
      FormatBytes(b.stored_bytes()).c_str(), Ratio(b.raw_bytes(), b.stored_bytes()),
      FormatBytes(b.schema.bytes).c_str(), b.sequences.size(), b.matviews.size());
  if (!b.selection.empty()) {
    std::printf("  part of the database: %s (the schema archive holds all of it)\n",
                b.selection.c_str());
  }
  const engine::LargeObjects& l = b.large_objects;
  if (l.included) {
    std::printf("  large objects: %s\n", engine::DescribeLargeObjects(l).c_str());
  } else if (l.count > 0) {
    std::printf("  large objects: %llu in the database, NOT in this backup\n",
                static_cast<unsigned long long>(l.count));
  }
  PrintTables(b, f.max_tables);
  if (!files.ok()) return ReportFailure("list", files, 0);
  return b.complete ? kExitOk : kExitFailure;
}

}  // namespace

void AddListCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ListFlags>();
  CLI::App* cmd = app.add_subcommand(
      "list",
      "Show what a backup directory holds: database, server version, when, consistency, tables "
      "with rows and sizes, compression ratio, and whether it is complete (exit 1 if not). On a "
      "cluster backup: globals, tablespaces and each database's status (exit 3 when some are "
      "missing)");
  cmd->add_option("DIR", flags->dir, "backup directory")->required();
  cmd->add_flag("--json", flags->json, "print the manifest (JSON) instead");
  cmd->add_option("--max-tables", flags->max_tables, "tables to show")->capture_default_str();
  cmd->callback([flags, exit_code] { *exit_code = RunList(*flags); });
}

}  // namespace dbb::app
