#include "common/progress.h"

#include <algorithm>

namespace dbb {

void Progress::SetPhase(std::string_view phase) {
  std::lock_guard<std::mutex> lock(mu_);
  phase_ = phase;
}

void Progress::AddEstimate(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  estimate_bytes_ += bytes;
  bytes_total_.fetch_add(bytes, std::memory_order_relaxed);
}

void Progress::AddPlanned(uint64_t units, uint64_t bytes, uint64_t replaces_estimate_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t replaced = std::min(replaces_estimate_bytes, estimate_bytes_);
  estimate_bytes_ -= replaced;
  units_total_.fetch_add(units, std::memory_order_relaxed);
  // One change of the total (unsigned arithmetic wraps to the right value).
  bytes_total_.fetch_add(bytes - replaced, std::memory_order_relaxed);
}

Progress::Unit::Unit(Progress* progress, std::string what) : progress_(progress) {
  if (progress_ == nullptr) return;
  std::lock_guard<std::mutex> lock(progress_->mu_);
  id_ = progress_->next_id_++;
  progress_->current_.emplace(id_, std::move(what));
}

Progress::Unit::~Unit() {
  if (progress_ == nullptr) return;
  std::lock_guard<std::mutex> lock(progress_->mu_);
  progress_->current_.erase(id_);
}

void Progress::Unit::Done() {
  if (progress_ != nullptr) progress_->AddUnitsDone(1);
}

Progress::Snapshot Progress::Read() const {
  Snapshot s{.bytes_total = bytes_total_.load(std::memory_order_relaxed),
             .bytes_done = bytes_done_.load(std::memory_order_relaxed),
             .units_total = units_total_.load(std::memory_order_relaxed),
             .units_done = units_done_.load(std::memory_order_relaxed),
             .errors = errors_.load(std::memory_order_relaxed)};
  std::lock_guard<std::mutex> lock(mu_);
  s.phase = phase_;
  s.estimate_bytes = estimate_bytes_;
  s.current.reserve(current_.size());
  for (const auto& [id, what] : current_) s.current.push_back(what);
  return s;
}

double ProgressPercent(const Progress::Snapshot& s) {
  constexpr double kMost = 99.9;  // until the command has finished
  // Every unit done: what is left (fsync, index builds) is not counted in bytes.
  if (s.units_total > 0 && s.units_done >= s.units_total && s.estimate_bytes == 0) return kMost;
  if (s.bytes_total == 0) return 0;
  const double share = static_cast<double>(s.bytes_done) / static_cast<double>(s.bytes_total);
  return std::min(share * 100.0, kMost);
}

}  // namespace dbb
