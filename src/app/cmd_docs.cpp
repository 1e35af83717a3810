#include "app/cmd_docs.h"

namespace dbb::app {

void AddDocsCommands(CLI::App& /*app*/, int* /*exit_code*/) {}

}  // namespace dbb::app
