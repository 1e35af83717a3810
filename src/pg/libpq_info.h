// Facts about the linked libpq, for --version and diagnostics.
#pragma once

#include <string>

namespace dbb::pg {

// "15.18" for the libpq this process runs with (not the one it was built against).
std::string LibpqVersion();

}  // namespace dbb::pg
