// `dbbackup bench`: measures this host for backups and recommends settings (engine/host_bench.h);
// `dbbackup bench pipeline`: the page pipeline on synthetic data (engine/pipeline_bench.h).
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

// Registers `bench` and `bench pipeline`; on success the command's exit code is stored in
// *exit_code.
void AddBenchCommand(CLI::App& app, int* exit_code);

}  // namespace dbb::app
