// `dbbackup tune --check | --apply`: audits the host settings that sustained backup throughput
// depends on (sysctl, limits, the backup disk's scheduler, mount options) against the recommended
// files compiled into the binary, and installs them (tune/audit.h, tune/apply.h).
//
// --check exit codes: 0 every setting is as recommended; 4 at least one differs; 1 none differs
// but some could not be checked. --apply: 0 done (or nothing to change, or --dry-run); 1 a change
// failed (the others are still made; each failure is printed); 7 changes to make on the real
// host without root (nothing was changed); 2 usage.
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

void AddTuneCommand(CLI::App& app, int* exit_code);

}  // namespace dbb::app
