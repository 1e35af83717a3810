// Finds a PostgreSQL server running on the host (under the root), for the judgement calls that
// depend on one: vm.overcommit_memory. Reads /proc/<pid>/comm, status and cmdline; processes that
// vanish or cannot be read are skipped.
#pragma once

#include <optional>
#include <string>

namespace dbb::tune {

struct LocalPostgres {
  int pid = 0;           // the postmaster (a "postgres" process whose parent is not one)
  std::string data_dir;  // its -D argument, "" when not given on the command line
};

std::optional<LocalPostgres> FindLocalPostgres(const std::string& root);

}  // namespace dbb::tune
