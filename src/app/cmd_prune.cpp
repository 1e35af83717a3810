#include "app/cmd_prune.h"

namespace dbb::app {

void AddPruneCommand(CLI::App& /*app*/, int* /*exit_code*/) {}

}  // namespace dbb::app
