// `dbbackup bench ...`: measurements on this host without a database.
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

// Registers `bench pipeline`; on success the command's exit code is stored in *exit_code.
void AddBenchCommand(CLI::App& app, int* exit_code);

}  // namespace dbb::app
