// Messages to stderr for the person running the command. Thread-safe; each call is one line.
// Verbose lines (fallback choices, memory bounds, timings) appear only with --verbose; with
// --quiet, Info and Warn lines are dropped too (the commands still report their errors).
//
// Every line goes through here, so that a progress line rewritten in place on a terminal
// (ShowStatus) is cleared before another line is printed, and is never left half-overwritten.
#pragma once

#include <string_view>

namespace dbb::log {

void SetVerbose(bool verbose);
bool IsVerbose();
void SetQuiet(bool quiet);
bool IsQuiet();

void Info(std::string_view line);
void Warn(std::string_view line);
void Verbose(std::string_view line);
// The line as it is, without the "dbbackup: " prefix (progress lines for logs and programs).
void Raw(std::string_view line);

// A status line for a terminal: written without a newline, replacing the previous one; the next
// line of any kind (or ClearStatus) erases it first.
void ShowStatus(std::string_view text);
void ClearStatus();

}  // namespace dbb::log
