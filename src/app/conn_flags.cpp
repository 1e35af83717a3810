#include "app/conn_flags.h"

namespace dbb::app {

void AddConnFlags(CLI::App* cmd, pg::ConnParams* params) {
  // -h is the host, as in psql and pg_dump; help stays on --help.
  cmd->set_help_flag("--help", "Print this help message and exit");
  cmd->add_option("-h,--host", params->host,
                  "server host or socket directory (default: PGHOST, else the local socket)");
  cmd->add_option("-p,--port", params->port, "server port (default: PGPORT, else 5432)");
  cmd->add_option("-U,--username", params->user,
                  "user name (default: PGUSER, else the OS user); the password comes from "
                  "PGPASSWORD or ~/.pgpass, never from the command line");
}

bool IsPlainDatabaseName(const std::string& name) {
  return name.find('=') == std::string::npos && name.rfind("postgresql://", 0) != 0 &&
         name.rfind("postgres://", 0) != 0;
}

Status CheckJobs(int jobs) {
  if (jobs >= 1 && jobs <= 256) return Status::Ok();
  return Status(StatusCode::kInvalidArgument, "-j: use 1 to 256");
}

}  // namespace dbb::app
