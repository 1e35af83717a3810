// `dbbackup prune`: retention. Deletes the backups in a directory that a --keep-last /
// --keep-days policy no longer keeps, finding them by their manifests.
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

// Registers `prune` under `app`; the command's exit code is stored in *exit_code.
void AddPruneCommand(CLI::App& app, int* exit_code);

}  // namespace dbb::app
