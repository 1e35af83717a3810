// `dbbackup completion bash` and the man page generator, both from the command line's own
// definition.
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

// Registers the documentation commands under `app` (the root); exit code into *exit_code.
void AddDocsCommands(CLI::App& app, int* exit_code);

}  // namespace dbb::app
