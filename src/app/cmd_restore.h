// `dbbackup restore single` (a backup directory into one database) and `restore cluster` (a
// cluster backup onto a server).
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

// Registers `single` under `restore`; the command's exit code is stored in *exit_code.
void AddRestoreSingleCommand(CLI::App* restore, int* exit_code);
// `cluster` under `restore`.
void AddRestoreClusterCommand(CLI::App* restore, int* exit_code);

}  // namespace dbb::app
