#include "bench_util.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <vector>

#include "engine/sample_data.h"

namespace dbb::bench {

std::string BenchDir() {
  const char* dir = std::getenv("DBB_BENCH_DIR");
  return dir && *dir ? dir : "/var/tmp";
}

std::span<const std::byte> SampleInput(size_t bytes) {
  static std::map<size_t, std::vector<std::byte>> cache;
  auto& data = cache[bytes];
  if (data.empty()) data = engine::MakeSampleData(engine::SampleKind::kMixed, bytes, 7);
  return data;
}

const std::string& SampleInputFile(size_t bytes) {
  static std::map<size_t, std::string> files;
  auto& path = files[bytes];
  if (path.empty()) {
    path = BenchDir() + "/dbbackup-bench-input-" + std::to_string(bytes);
    const auto data = SampleInput(bytes);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
  }
  return path;
}

double TimeCommand(const std::string& command) {
  const auto start = std::chrono::steady_clock::now();
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "benchmark command failed: %s\n", command.c_str());
    std::exit(1);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace dbb::bench
