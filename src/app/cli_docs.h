// The man page and the bash completion of dbbackup, rendered from its CLI11 definition (the
// command tree main.cpp builds), so that neither can miss or misspell a command or an option.
// Hidden commands and options (empty group) are left out of both.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace dbb::app {

// `man dbbackup`: roff, section 1. Every command path with its description, options and
// arguments; the configuration file, environment, exit codes (app/exit_codes.h), files, examples.
std::string RenderManPage(const CLI::App& root);

// A bash script defining _dbbackup and `complete -F _dbbackup dbbackup`: commands at each level,
// the options of the command and of its parents, option values (directories, files, choices).
std::string RenderBashCompletion(const CLI::App& root);

// The fixed set of values `option` accepts, from its option text ("a|b"), its IsMember or
// CheckedTransformer check ("{a,b}"), or a short list of options checked only after parsing;
// empty when any value goes.
std::vector<std::string> OptionChoices(const CLI::Option& option);

}  // namespace dbb::app
