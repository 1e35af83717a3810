#include "app/selection_flags.h"

namespace dbb::app {

void AddSelectionFlags(CLI::App* cmd, SelectionFlags* flags, const std::string& what) {
  cmd->add_option("-t,--table", flags->tables,
                  what +
                      " only the tables (and views, sequences, materialized views) matching "
                      "this pattern, with their indexes, constraints, triggers and owned "
                      "sequences; repeatable. Patterns as pg_dump: * and ?, schema.name, "
                      "\"Quoted\" for case and dots")
      ->allow_extra_args(false);
  cmd->add_option("-T,--exclude-table", flags->exclude_tables,
                  "leave out relations matching this pattern; repeatable, applied last")
      ->allow_extra_args(false);
  cmd->add_option("-n,--schema", flags->schemas,
                  what +
                      " only relations in schemas matching this pattern (ignored with --table); "
                      "repeatable")
      ->allow_extra_args(false);
}

Result<pg::RelationFilter> ToRelationFilter(const SelectionFlags& flags) {
  return pg::RelationFilter::Create(flags.tables, flags.exclude_tables, flags.schemas);
}

}  // namespace dbb::app
