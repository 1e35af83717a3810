// `dbbackup backup single` (one database) and `backup cluster` (a whole server), each into a new
// backup directory.
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

// Registers `single` under `backup`; the command's exit code is stored in *exit_code.
void AddBackupSingleCommand(CLI::App* backup, int* exit_code);
// `backup cluster`: the globals and every database of a server.
void AddBackupClusterCommand(CLI::App* backup, int* exit_code);

}  // namespace dbb::app
