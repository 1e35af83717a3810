// The JSON form of a data file's manifest entry (engine-internal), shared by the manifest and the
// in-progress journal (journal.h), which records each file as the manifest will.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/manifest.h"

namespace dbb::engine {

nlohmann::json FileToJson(const DataFile& file);
// Throws a json exception (the parsers turn it into kCorrupt) on a missing or bad field.
DataFile FileFromJson(const nlohmann::json& j);

}  // namespace dbb::engine
