// Messages to stderr for the person running the command. Thread-safe; each call is one line.
// Verbose lines (fallback choices, memory bounds, timings) appear only with --verbose.
#pragma once

#include <string_view>

namespace dbb::log {

void SetVerbose(bool verbose);
bool IsVerbose();

void Info(std::string_view line);
void Warn(std::string_view line);
void Verbose(std::string_view line);

}  // namespace dbb::log
