// Command-line options for the page pipeline, shared by every command that writes compressed
// files (backup, bench).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "common/status.h"
#include "compress/pipeline.h"

namespace dbb::app {

struct PipelineFlags {
  std::string engine = "isal";
  int level = -1;      // -1: the engine's default
  size_t threads = 0;  // 0: one per CPU
  std::string page_size = "1MiB";
  size_t pages = 0;  // 0: derived from threads and outputs
  std::string io_engine = "auto";
  std::string direct = "auto";
};

void AddPipelineFlags(CLI::App* cmd, PipelineFlags* flags);
// Checks the values (engine, level range, sizes) and fills the options; errors name the flag.
Result<compress::PipelineOptions> ToPipelineOptions(const PipelineFlags& flags);

}  // namespace dbb::app
