#include "app/cmd_docs.h"

#include <cstdio>
#include <string>

#include "app/cli_docs.h"
#include "app/exit_codes.h"

namespace dbb::app {
namespace {

// The top of the command tree. Walked when the command runs, not when it is registered: the
// commands main.cpp adds after this one exist only then.
const CLI::App& Root(const CLI::App& cmd) {
  const CLI::App* app = &cmd;
  while (app->get_parent() != nullptr) app = app->get_parent();
  return *app;
}

// A failed write (a full disk, a closed pipe) must fail the build step that captures it.
int Print(const std::string& text) {
  const bool ok = std::fputs(text.c_str(), stdout) >= 0 && std::fflush(stdout) == 0;
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

void AddDocsCommands(CLI::App& app, int* exit_code) {
  CLI::App* completion = app.add_subcommand("completion", "Print a shell completion script");
  completion->require_subcommand(1);
  CLI::App* bash = completion->add_subcommand(
      "bash",
      "Print the bash completion script (commands, options and their values). Load it with "
      "`source <(dbbackup completion bash)`, or install it as "
      "/usr/share/bash-completion/completions/dbbackup");
  bash->callback([bash, exit_code] { *exit_code = Print(RenderBashCompletion(Root(*bash))); });
  // Hidden: the package builds the man page with it; users read it with `man dbbackup`.
  CLI::App* manpage = app.add_subcommand("manpage", "Print the man page (roff)");
  manpage->group("");
  manpage->callback([manpage, exit_code] { *exit_code = Print(RenderManPage(Root(*manpage))); });
}

}  // namespace dbb::app
