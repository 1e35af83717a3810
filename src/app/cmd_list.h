// `dbbackup list DIR`: what a backup directory holds and whether it is complete.
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

void AddListCommand(CLI::App& app, int* exit_code);

}  // namespace dbb::app
