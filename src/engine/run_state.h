// What the threads of one backup or restore share: the first error, the stop request that it
// (or a signal) raised, and the files the run created so a failed run can take them back.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/progress.h"
#include "common/status.h"
#include "common/stop.h"

namespace dbb::engine {

// A run that is one database of a cluster run sharing its Progress: its units are shown as
// "<database>: <unit>", its plan replaces the `estimate_bytes` the cluster run counted for it up
// front (Progress::AddEstimate), and the cluster run owns the phase. Empty: a run of its own.
struct ProgressPart {
  std::string database;
  uint64_t estimate_bytes = 0;
};

class RunState {
 public:
  // `progress` (optional) is where the run's workers count what they do.
  explicit RunState(StopSource* stop, Progress* progress = nullptr)
      : stop_(stop), progress_(progress) {}

  StopSource* stop() const { return stop_; }
  Progress* progress() const { return progress_; }
  // One database of a cluster run, which owns the phase.
  void SetProgressPart(const ProgressPart& part) {
    if (!part.database.empty()) unit_prefix_ = part.database + ": ";
    estimate_bytes_ = part.estimate_bytes;
  }
  const std::string& unit_prefix() const { return unit_prefix_; }  // "shop: " or ""
  uint64_t estimate_bytes() const { return estimate_bytes_; }
  // The phase, unless this run is part of a cluster run.
  void SetPhase(std::string_view phase) const {
    if (progress_ != nullptr && unit_prefix_.empty()) progress_->SetPhase(phase);
  }

  // A lost connection replaced and its work redone: counted in the metrics as an error
  // recovered from.
  void CountRetry();
  uint64_t retries() const { return retries_.load(); }

  // Records the first real error and stops the other workers. Errors that arrive after a stop
  // was requested are its echoes (a cancelled COPY, a killed pg_dump) and are dropped.
  void Fail(const Status& status);
  // The first error; kCancelled with the signal's name if a signal stopped the run; else OK.
  Status status() const;

  // Files and directories this run made, removed (files first, then directories, newest first)
  // by RemoveCreated when the run fails.
  void AddCreated(const std::string& path);
  // A directory this run made, removed with everything in it (files not added one by one).
  void AddCreatedTree(const std::string& path);
  void RemoveCreated();

 private:
  StopSource* stop_;
  Progress* progress_;
  std::string unit_prefix_;
  uint64_t estimate_bytes_ = 0;
  std::atomic<uint64_t> retries_{0};
  mutable std::mutex mu_;
  Status first_error_;
  std::vector<std::string> created_;
  std::vector<std::string> created_trees_;
};

}  // namespace dbb::engine
