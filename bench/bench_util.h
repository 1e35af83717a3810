// Shared by the benchmark programs: where to write, the sample input file, timing an external
// command.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace dbb::bench {

// $DBB_BENCH_DIR, default /var/tmp (a real disk; /tmp may be tmpfs elsewhere).
std::string BenchDir();
// Mixed sample data (half text rows, half random) of `bytes`, cached in memory for the process.
std::span<const std::byte> SampleInput(size_t bytes);
// The same bytes as a file in BenchDir(), written once per process, for external tools.
const std::string& SampleInputFile(size_t bytes);
// Runs a shell command and returns its wall time in seconds; aborts the benchmark run on failure.
double TimeCommand(const std::string& command);

}  // namespace dbb::bench
