#include "engine/disk_bench.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <utility>

#include "common/timing.h"
#include "engine/sample_data.h"
#include "io/file_writer.h"

namespace dbb::engine {

namespace {

namespace fs = std::filesystem;

// Below this a measurement is mostly the open, the first requests and the fsync.
constexpr uint64_t kMinCapBytes = 16 * kMiB;

// The scratch directory: made by Make, removed with whatever is left in it on destruction, so
// every early return (an error, a stop) cleans up.
class ScratchDir {
 public:
  static Result<ScratchDir> Make(const std::string& parent) {
    std::string path = parent + "/dbbackup-bench.XXXXXX";
    if (::mkdtemp(path.data()) == nullptr) {
      return Status::FromErrno(errno, "create a directory in " + parent);
    }
    return ScratchDir(std::move(path));
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  ScratchDir(ScratchDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  ScratchDir& operator=(ScratchDir&&) = delete;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

std::string IoText(const io::IoChoice& choice) {
  return std::string(io::IoEngineName(choice.engine)) +
         (choice.direct ? ", O_DIRECT" : ", buffered");
}

struct Slice {
  uint64_t cap_bytes = 0;
  double seconds = 0;
  const StopSource* stop = nullptr;
};

// The time left of the phase, shared evenly by the measurements still to run, so that what a
// measurement spends beyond its slice (the fsync, removing its file) comes out of the later ones;
// but each gets at least a quarter of an even share, so that none is reduced to nothing.
class PhaseClock {
 public:
  PhaseClock(double seconds, size_t measurements)
      : start_(SteadyClock::now()),
        seconds_(seconds),
        min_slice_s_(seconds / static_cast<double>(measurements) / 4),
        left_(measurements) {}
  double NextSlice() {
    const double slice_s =
        std::max((seconds_ - SecondsSince(start_)) / static_cast<double>(left_), min_slice_s_);
    if (left_ > 1) --left_;
    return slice_s;
  }

 private:
  SteadyClock::time_point start_;
  double seconds_;
  double min_slice_s_;
  size_t left_;
};

// Appends `request` until the slice's time or bytes run out, then closes (fsync) and removes the
// file; the row's time covers both.
Result<DiskRow> TimeWrites(std::unique_ptr<io::FileWriter> writer, const char* mode,
                           std::span<const std::byte> request, const Slice& slice) {
  const std::string path = writer->path();
  const auto start = SteadyClock::now();
  uint64_t bytes = 0;
  Status status;
  // Each 4 KiB block gets a number of its own: deduplicating storage (ZFS dedup, VDO, arrays)
  // would store a repeated block once and look faster than it is.
  std::vector<std::byte> block(request.begin(), request.end());
  uint64_t block_no = 0;
  while (bytes + request.size() <= slice.cap_bytes && SecondsSince(start) < slice.seconds &&
         !(slice.stop != nullptr && slice.stop->requested())) {
    for (size_t off = 0; off + sizeof block_no <= block.size(); off += 4096) {
      ++block_no;
      std::memcpy(block.data() + off, &block_no, sizeof block_no);
    }
    status = writer->Append(block);
    if (!status.ok()) break;
    bytes += request.size();
  }
  if (status.ok()) status = writer->Close();
  const double seconds = SecondsSince(start);
  const io::IoChoice choice = writer->choice();
  writer.reset();
  std::error_code ec;
  fs::remove(path, ec);
  if (!status.ok()) return status;
  return DiskRow{.mode = mode,
                 .request_bytes = request.size(),
                 .bytes = bytes,
                 .seconds = seconds,
                 .mb_per_s = static_cast<double>(bytes) / 1e6 / std::max(seconds, 1e-9),
                 .io = IoText(choice)};
}

// The O_DIRECT rows, one per request size; none (and a note) where the file system refuses it.
Status MeasureDirect(const std::string& dir, std::span<const std::byte> data, Slice slice,
                     PhaseClock& clock, DiskBenchResult* result) {
  for (const size_t request_bytes : DiskRequestSizes()) {
    slice.seconds = clock.NextSlice();
    const std::string path = dir + "/direct-" + std::to_string(request_bytes);
    auto writer =
        io::OpenWriter(path, {.direct = io::DirectMode::kAuto, .buffer_bytes = request_bytes});
    if (!writer.ok()) return writer.status();
    const io::IoChoice choice = writer.value()->choice();
    if (!choice.direct) {
      writer.value().reset();
      std::error_code ec;
      fs::remove(path, ec);
      result->notes.push_back("O_DIRECT not available here (" + choice.reason +
                              "): backups write through the page cache");
      return Status::Ok();
    }
    if (!choice.reason.empty() && result->rows.empty()) result->notes.push_back(choice.reason);
    auto row = TimeWrites(std::move(writer).value(), "direct", data.first(request_bytes), slice);
    if (!row.ok()) return row.status();
    result->rows.push_back(std::move(row).value());
  }
  return Status::Ok();
}

// The O_DIRECT row of the writer's request size, else the fastest one; 0 when none.
double DirectRate(const std::vector<DiskRow>& rows) {
  double best = 0;
  for (const DiskRow& r : rows) {
    if (r.mode != "direct") continue;
    if (r.request_bytes == kWriterRequestBytes) return r.mb_per_s;
    best = std::max(best, r.mb_per_s);
  }
  return best;
}

}  // namespace

std::vector<size_t> DiskRequestSizes() { return {256 * kKiB, 1 * kMiB, 4 * kMiB}; }

uint64_t DiskCapBytes(uint64_t max_bytes, uint64_t free_bytes) {
  const uint64_t largest_request = DiskRequestSizes().back();
  return std::min(max_bytes, free_bytes / 10) / largest_request * largest_request;
}

uint64_t BufferedCapBytes(uint64_t cap_bytes, double direct_mb_per_s, double slice_s) {
  const auto direct_bytes = static_cast<uint64_t>(std::max(0.0, direct_mb_per_s * 1e6 * slice_s));
  return std::min(cap_bytes, std::max(direct_bytes, kMinCapBytes));
}

Result<DiskBenchResult> RunDiskBench(const DiskBenchOptions& options) {
  auto scratch = ScratchDir::Make(options.parent_dir);
  if (!scratch.ok()) return scratch.status();
  const std::string& dir = scratch.value().path();
  DiskBenchResult result{.scratch_dir = dir};
  struct statvfs fs_stats {};
  if (::statvfs(dir.c_str(), &fs_stats) != 0) return Status::FromErrno(errno, "statvfs " + dir);
  const uint64_t free_bytes = static_cast<uint64_t>(fs_stats.f_bavail) * fs_stats.f_frsize;
  result.cap_bytes = DiskCapBytes(options.max_bytes, free_bytes);
  if (result.cap_bytes < kMinCapBytes) {
    result.notes.push_back("disk not measured: " + FormatBytes(free_bytes) + " free at " +
                           options.parent_dir + ", and a measurement needs " +
                           FormatBytes(kMinCapBytes) + " within --max-disk and a tenth of it");
    return result;
  }

  // Random bytes: the backup's files are compressed, and a file system that compresses (btrfs,
  // ZFS) must not make the disk look faster than it is.
  const auto data = MakeSampleData(SampleKind::kRandom, DiskRequestSizes().back());
  PhaseClock clock(options.seconds, DiskRequestSizes().size() + 1);
  const Slice direct{.cap_bytes = result.cap_bytes, .stop = options.stop};
  DBB_RETURN_IF_ERROR(MeasureDirect(dir, data, direct, clock, &result));
  Slice buffered{.seconds = clock.NextSlice(), .stop = options.stop};
  buffered.cap_bytes =
      BufferedCapBytes(result.cap_bytes, DirectRate(result.rows), buffered.seconds);
  auto writer = io::OpenWriter(dir + "/buffered", {.engine = io::IoEngine::kPwrite,
                                                   .direct = io::DirectMode::kOff,
                                                   .buffer_bytes = kWriterRequestBytes});
  if (!writer.ok()) return writer.status();
  auto row = TimeWrites(std::move(writer).value(), "buffered",
                        std::span(data).first(kWriterRequestBytes), buffered);
  if (!row.ok()) return row.status();
  result.rows.push_back(std::move(row).value());
  if (options.stop != nullptr && options.stop->requested()) {
    return Status(StatusCode::kCancelled, "stopped while measuring the disk");
  }
  return result;
}

}  // namespace dbb::engine
