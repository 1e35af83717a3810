// Large objects in a backup: planned on the coordinator from their sizes under the snapshot,
// copied by the data connections in units of consecutive OIDs, one blob file per unit
// (blob_stream.h, docs/FORMAT.md "Large objects"):
//
//   inline    data/blobs.NNNN.gz: each object's head (OID, owner, ACL, comment) and contents
//   external  data/blobs.NNNN.gz: heads with each content's SHA-256; each distinct content once
//             in blobs/<hex[0:2]>/<hex>.gz, through the same compression pipeline
//
// Contents are read in pieces: small objects (up to kSmallObjectBytes) a batch per query, larger
// ones one page at a time, so a 4 GB object costs the memory of a 4 KB one.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "compress/pipeline.h"
#include "engine/manifest.h"
#include "engine/run_state.h"
#include "pg/connection.h"

namespace dbb::engine {

struct BlobPlanOptions {
  uint64_t unit_bytes = 0;    // a unit ends once it holds this much content ...
  uint64_t unit_objects = 0;  // ... or this many objects
  const char* suffix = ".gz";
};

// Lists every object's size under the coordinator's snapshot (a query per 10000 objects) and
// cuts the OID order into units, one BlobFile each (name, OID range, objects, bytes); fills
// `large_objects` count and bytes. Memory: the units only.
Status PlanBlobs(pg::Connection& coordinator, const BlobPlanOptions& options,
                 LargeObjects* large_objects);

// Copies units on the data connections. Thread-safe: one Copy per unit, concurrently. A unit
// whose Copy failed (a lost connection) may be copied again: its blob file is written anew, and
// the external contents it stored before failing are neither written nor counted twice.
class BlobCopier {
 public:
  BlobCopier(std::string dir, BlobMode mode, const char* suffix, compress::Pipeline* pipeline,
             RunState* run)
      : dir_(std::move(dir)), mode_(mode), suffix_(suffix), pipeline_(pipeline), run_(run) {}

  // Creates blobs/ for external contents (call once, before Copy).
  Status Prepare();
  // Writes the unit `file` names (as planned) and fills in its stats; kCorrupt when the
  // objects found differ from the plan (they cannot under one snapshot).
  Status Copy(pg::Connection& conn, BlobFile& file);

  // After every Copy: distinct contents, bytes saved and stored (external).
  void Summarize(LargeObjects* large_objects) const;

 private:
  class UnitWriter;
  friend class UnitWriter;

  const std::string dir_;
  const BlobMode mode_;
  const char* const suffix_;
  compress::Pipeline* const pipeline_;
  RunState* const run_;
  std::atomic<uint64_t> distinct_{0};
  std::atomic<uint64_t> saved_bytes_{0};
  std::atomic<uint64_t> content_stored_bytes_{0};
  // External contents stored by a Copy that then failed, by hex SHA-256, with their stored
  // size: not counted yet. The first unit to find one of them in place counts it as its own.
  // At most a unit's objects per failed Copy.
  std::mutex orphans_mu_;
  std::unordered_map<std::string, uint64_t> orphans_;
};

}  // namespace dbb::engine
