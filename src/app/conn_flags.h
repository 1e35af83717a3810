// Connection options as every PostgreSQL client spells them: -h, -p, -U, and a database that may
// be a name, a conninfo string or a postgresql:// URI. What is not given comes from the PG*
// environment variables and ~/.pgpass, through libpq.
#pragma once

#include <CLI/CLI.hpp>

#include "common/status.h"
#include "pg/connection.h"

namespace dbb::app {

// Adds -h/--host, -p/--port, -U/--username to `cmd`, stored into `params`.
void AddConnFlags(CLI::App* cmd, pg::ConnParams* params);

// -j: kInvalidArgument unless 1 to 256 connections.
Status CheckJobs(int jobs);

// Plain database name (not a conninfo string or URI): what CREATE DATABASE needs.
bool IsPlainDatabaseName(const std::string& name);

}  // namespace dbb::app
