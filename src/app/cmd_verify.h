// `dbbackup verify DIR [--quick] [-j N] [--json]`: checks a backup directory (single-database or
// cluster) without any database (engine/verify.h). Each problem is one line on stderr,
// "verify: <path relative to DIR>: <what is wrong>"; a summary line (or, with --json, a JSON
// object) on stdout. Exit 0: everything holds; 3: a partial cluster backup whose databases are
// all good; 4: problems found; 1: DIR cannot be read; 2: usage.
#pragma once

#include <CLI/CLI.hpp>

namespace dbb::app {

void AddVerifyCommand(CLI::App& app, int* exit_code);

}  // namespace dbb::app
