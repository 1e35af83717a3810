#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace dbb::log {

namespace {

std::atomic<bool> g_verbose{false};
std::atomic<bool> g_quiet{false};
std::mutex g_mutex;
bool g_status_shown = false;  // guarded by g_mutex

// Erases the status line, if one is shown; call with g_mutex held.
void EraseStatus() {
  if (!g_status_shown) return;
  std::fputs("\r\033[K", stderr);
  g_status_shown = false;
}

void Emit(std::string_view prefix, std::string_view line) {
  std::lock_guard lock(g_mutex);
  EraseStatus();
  std::fprintf(stderr, "%.*s%.*s\n", static_cast<int>(prefix.size()), prefix.data(),
               static_cast<int>(line.size()), line.data());
  std::fflush(stderr);
}

}  // namespace

void SetVerbose(bool verbose) { g_verbose.store(verbose, std::memory_order_relaxed); }
bool IsVerbose() { return g_verbose.load(std::memory_order_relaxed); }
void SetQuiet(bool quiet) { g_quiet.store(quiet, std::memory_order_relaxed); }
bool IsQuiet() { return g_quiet.load(std::memory_order_relaxed); }

void Info(std::string_view line) {
  if (!IsQuiet()) Emit("dbbackup: ", line);
}
void Warn(std::string_view line) {
  if (!IsQuiet()) Emit("dbbackup: warning: ", line);
}
void Verbose(std::string_view line) {
  if (IsVerbose()) Emit("dbbackup: ", line);
}
void Raw(std::string_view line) { Emit("", line); }

void ShowStatus(std::string_view text) {
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "\r\033[K%.*s", static_cast<int>(text.size()), text.data());
  std::fflush(stderr);
  g_status_shown = true;
}

void ClearStatus() {
  std::lock_guard lock(g_mutex);
  EraseStatus();
  std::fflush(stderr);
}

}  // namespace dbb::log
