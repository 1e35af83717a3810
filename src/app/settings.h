// Where a command's settings come from besides its command line, highest first:
//
//   1. the command line;
//   2. the environment: DBBACKUP_NAME for every long option --name (DBBACKUP_COMPRESS_ENGINE
//      for --compress-engine), read by CLI11 for an option the command line left out;
//   3. a target of the configuration file (--target NAME): its [NAME] section, then [defaults];
//   4. the option's built-in default.
//
// The configuration file (/etc/dbbackup/dbbackup.conf, or --config FILE) is INI:
//
//   # a comment: # or ; at the start of a line, or after white space in a value
//   # ("a quoted value" keeps them: password = "pa #ss")
//   [defaults]          applies to every target
//   jobs = 4
//   [prod]              a target: dbbackup backup --target prod
//   kind = single       single (one database) or cluster (the whole server)
//   dbname = shop
//   dir = /var/lib/dbbackup/prod
//   keep-last = 7
//
// Keys are the long option names of `backup single`, `backup cluster` and `prune`, plus kind,
// password and passfile (libpq's). A password may only sit in a file that its owner alone can
// read (no group or other permission bits), as libpq demands of ~/.pgpass; it never appears in a
// message.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "pg/connection.h"

namespace dbb::app {

inline constexpr const char* kDefaultConfigPath = "/etc/dbbackup/dbbackup.conf";

// "DBBACKUP_COMPRESS_ENGINE" for "compress-engine".
std::string EnvNameOf(const std::string& long_name);

// The variable of an option with a long name ("" for --help, --version and positionals).
std::string EnvNameFor(const CLI::Option& opt);

// Gives every long option of `app`, and of each subcommand once it is invoked, its DBBACKUP_*
// variable.
void BindEnvironment(CLI::App& app);

struct ConfigValue {
  std::string value;
  std::string where;  // "FILE:LINE", for messages
};

// A target: [defaults] overlaid by its own section. A key may repeat (options that take a list).
struct Target {
  std::string name;
  std::string config_path;
  std::map<std::string, std::vector<ConfigValue>> values;

  bool cluster() const;  // kind = cluster
};

// Reads the target `name` from the configuration file at `path`. kInvalidArgument, naming the
// file and line, for a syntax error, an unknown key, a bad kind, a password in a file others can
// read, or no such target (the message lists the targets there).
Result<Target> LoadTarget(const std::string& path, const std::string& name);

// Adds the global --config FILE to `root` (the default: kDefaultConfigPath).
void AddConfigFlag(CLI::App& root);

// Adds --target NAME to `cmd`, stored into *target.
void AddTargetFlag(CLI::App* cmd, std::string* target);

// Loads `target` (nothing to do when empty: false) from the --config file and sets the options
// of `cmd` that neither the command line nor the environment set; its password and passfile go
// into `conn` when given. Keys that belong to the other target commands are left alone; a target
// whose kind is not the `backup` subcommand's is refused. kInvalidArgument naming the key and
// the file line for a value the option refuses.
Result<bool> ApplyTarget(const std::string& target, CLI::App* cmd, pg::ConnParams* conn = nullptr);

// `backup --target NAME` without `single` or `cluster`: inserts the target's kind after `backup`
// (args[0] is the program). Other command lines come back as they were; so does one whose target
// cannot be read (the command then reports why).
std::vector<std::string> InsertTargetKind(std::vector<std::string> args, const CLI::App& root);

}  // namespace dbb::app
