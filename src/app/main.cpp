#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{"dbbackup: fast, bounded-memory PostgreSQL logical backup"};
  app.set_version_flag("--version", "dbbackup 0.1.0");
  CLI11_PARSE(app, argc, argv);
  return 0;
}
