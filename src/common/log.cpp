#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace dbb::log {

namespace {

std::atomic<bool> g_verbose{false};
std::mutex g_mutex;

void Emit(std::string_view prefix, std::string_view line) {
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "dbbackup: %.*s%.*s\n", static_cast<int>(prefix.size()), prefix.data(),
               static_cast<int>(line.size()), line.data());
}

}  // namespace

void SetVerbose(bool verbose) { g_verbose.store(verbose, std::memory_order_relaxed); }
bool IsVerbose() { return g_verbose.load(std::memory_order_relaxed); }

void Info(std::string_view line) { Emit("", line); }
void Warn(std::string_view line) { Emit("warning: ", line); }
void Verbose(std::string_view line) {
  if (IsVerbose()) Emit("", line);
}

}  // namespace dbb::log
