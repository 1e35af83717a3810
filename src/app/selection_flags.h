// --table, --exclude-table and --schema, for backup and restore alike (pg_dump's spelling and
// pattern syntax, pg/name_pattern.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "pg/name_pattern.h"

namespace dbb::app {

struct SelectionFlags {
  std::vector<std::string> tables;
  std::vector<std::string> exclude_tables;
  std::vector<std::string> schemas;
};

// `what` is "back up" or "restore", for the help text.
void AddSelectionFlags(CLI::App* cmd, SelectionFlags* flags, const std::string& what);

// kInvalidArgument naming the flag and the pattern for a bad pattern.
Result<pg::RelationFilter> ToRelationFilter(const SelectionFlags& flags);

}  // namespace dbb::app
