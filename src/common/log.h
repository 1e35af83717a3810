// Messages to stderr for the person running the command. Thread-safe; each call is one line.
// Verbose lines (fallback choices, memory bounds, timings) appear only with --verbose; with
// --quiet, Info and Warn lines are dropped too (the commands still report their errors).
//
// Lines printed while a progress line may be on a terminal go through here, so that the progress
// line (ShowStatus) is cleared first and never left half-overwritten. (The commands print their
// final error and summary once the display has stopped and cleared it.)
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
