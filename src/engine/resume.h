// `backup --resume`: what of an interrupted backup's earlier runs stays (docs/FORMAT.md,
// "Resuming").
//
// A table keeps the file layout an earlier run gave it (names and block ranges) while it is the
// same table: same oid, schema, name, columns and COPY format. Each of its files that a run
// finished (journal.h) and that still has the size and CRC-32C the journal recorded is kept as
// it is, marked with the run that read it. Everything else goes and is made again in the new
// run's snapshot: other files under data/ (unfinished, damaged, of dropped or changed tables,
// .partial leftovers), the schema archive, large objects.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/journal.h"
#include "engine/manifest.h"

namespace dbb::engine {

struct KeptFiles {
  size_t files = 0;
  uint64_t stored_bytes = 0;
  std::set<uint32_t> table_oids;  // tables with at least one kept file
};

// Lays the journal's plan over `tables` (this run's plan, in the new catalog's order) and keeps
// what can be kept: a kept DataFile carries its recorded stats and `snapshot` = the run that
// read it (>= 1); every other file has snapshot 0. Checks the candidates' CRCs on `jobs` threads.
// Then prunes `dir` to the kept files (above).
Result<KeptFiles> KeepEarlierFiles(const std::string& dir, const Journal& previous, int jobs,
                                   std::vector<TableEntry>* tables);

// Removes from `dir` everything of an unfinished backup but the journal and the files named in
// `keep` (relative paths): the schema archive, blobs/, and every other file under data/.
Status PruneUnfinished(const std::string& dir, const std::set<std::string>& keep);

// The file names of `tables` whose files are finished (snapshot != 0).
std::set<std::string> FinishedFiles(const std::vector<TableEntry>& tables);

}  // namespace dbb::engine
