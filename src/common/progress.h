// The live progress of a long command (backup, restore, verify): its worker threads count what
// they have done; a display thread (app/progress_display.h) reads a snapshot a few times a
// second. Thread-safe; counting is an atomic add, cheap enough per COPY buffer.
//
// Totals are the plan's estimates (relation sizes for a backup, the manifest's bytes for a
// restore), so done may pass total: whoever shows a percentage bounds it (ProgressPercent). A run
// of several databases counts each one's rough size up front (AddEstimate) and replaces it with
// the database's plan when that is made (AddPlanned), so that the total is known from the start.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace dbb {

class Progress {
 public:
  struct Snapshot {
    std::string phase;  // "planning", "data", "indexes and constraints"...: what runs now
    uint64_t bytes_total = 0;
    uint64_t bytes_done = 0;
    uint64_t units_total = 0;  // files or tables
    uint64_t units_done = 0;
    uint64_t estimate_bytes = 0;       // of bytes_total: rough sizes not yet replaced by a plan
    uint64_t errors = 0;               // recovered from (a lost connection retried)
    std::vector<std::string> current;  // the units in flight, oldest first
  };

  void SetPhase(std::string_view phase);
  // A part of the work not planned yet, counted as `bytes` until AddPlanned replaces it.
  void AddEstimate(uint64_t bytes);
  // Planned work: `units` of `bytes` in all, replacing `replaces_estimate_bytes` of AddEstimate.
  void AddPlanned(uint64_t units, uint64_t bytes, uint64_t replaces_estimate_bytes = 0);
  void AddBytes(uint64_t bytes) { bytes_done_.fetch_add(bytes, std::memory_order_relaxed); }
  void AddError() { errors_.fetch_add(1, std::memory_order_relaxed); }
  void AddUnitsDone(uint64_t units) { units_done_.fetch_add(units, std::memory_order_relaxed); }

  // A unit in flight, shown as `what` ("public.orders (chunk 3 of 8)") until it ends; Done()
  // counts it as finished (a unit that failed and will be retried just ends).
  class Unit {
   public:
    Unit(Progress* progress, std::string what);  // progress may be null: then it does nothing
    ~Unit();
    Unit(const Unit&) = delete;
    Unit& operator=(const Unit&) = delete;
    void Done();

   private:
    Progress* progress_;
    uint64_t id_ = 0;
  };

  Snapshot Read() const;

 private:
  std::atomic<uint64_t> bytes_total_{0};
  std::atomic<uint64_t> bytes_done_{0};
  std::atomic<uint64_t> units_total_{0};
  std::atomic<uint64_t> units_done_{0};
  std::atomic<uint64_t> errors_{0};
  mutable std::mutex mu_;  // guards the rest
  uint64_t estimate_bytes_ = 0;
  std::string phase_;
  uint64_t next_id_ = 0;
  std::map<uint64_t, std::string> current_;  // by start order
};

// The share of bytes done, in percent, for a display: 0 without a total, 99.9 once every unit is
// done and nothing is left unplanned, and below 100 until the command says it has finished
// (estimates are not exact).
double ProgressPercent(const Progress::Snapshot& s);

}  // namespace dbb
