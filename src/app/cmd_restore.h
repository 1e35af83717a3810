// `dbbackup restore single`: a backup directory into one database.
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

// Registers `single` under `restore`; the command's exit code is stored in *exit_code.
void AddRestoreSingleCommand(CLI::App* restore, int* exit_code);

}  // namespace dbb::app
