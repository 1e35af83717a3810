// A throwaway PostgreSQL server for the integration tests: initdb into a fresh temporary
// directory, its own port and Unix socket directory, stopped and removed at the end of the test
// program. When the tests run as root, the server runs as the `postgres` OS user (PostgreSQL
// refuses root). The bootstrap superuser is "postgres" (initdb -U postgres); local socket
// connections use trust auth; TCP on 127.0.0.1 uses scram-sha-256 (for password tests).
//
// Also here: a small subprocess runner (argv, no shell) that captures stdout and stderr
// separately, feeds stdin, can run the child as another OS user, and can signal a running child.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dbb::testing {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is a path or a name looked up in $PATH
  std::string stdin_data;         // written to the child's stdin (from the start), then closed
  // Extra environment (NAME, VALUE), applied after the inherited one. The child never inherits
  // PG* variables (PGPASSWORD, PGHOST...) from the test's environment: only those set here.
  std::vector<std::pair<std::string, std::string>> env;
  std::string run_as_user;  // when non-empty and we are root: setuid to this OS user
  std::string cwd;          // when non-empty: chdir here first (default: "/")
};

struct ProcessResult {
  int exit_code = -1;   // exit status, or 128 + signal when killed by a signal
  int term_signal = 0;  // the signal that killed it, 0 when it exited
  std::string out;
  std::string err;
  // "exit N" / "signal N" and stderr, for failure messages.
  std::string Describe() const;
};

// A running child process. Wait() collects its output; Signal() sends it a signal meanwhile.
class Subprocess {
 public:
  explicit Subprocess(const ProcessOptions& options);  // starts it; check started()
  ~Subprocess();                                       // kills (SIGKILL) and reaps if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool started() const { return pid_ > 0; }
  const std::string& start_error() const { return start_error_; }
  pid_t pid() const { return pid_; }
  void Signal(int sig) const;
  // True once the child has exited (it is reaped; Wait() still collects its output).
  bool Exited();
  ProcessResult Wait();

 private:
  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string stdin_data_;
  size_t stdin_written_ = 0;  // written at start as far as the pipe takes it, the rest in Wait()
  std::string start_error_;
  bool waited_ = false;
  bool reaped_ = false;
  int status_ = 0;
};

// Starts, waits, returns the result (exit_code -1 and err set when it could not start).
ProcessResult RunProcess(const ProcessOptions& options);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, then released); 0 on error.
int FreeTcpPort();

// The OS user the server runs as: "postgres" (or "nobody") when the tests run as root, else "".
std::string ServerOsUser();

class PgServer {
 public:
  // The server shared by every test in this program: started on first use, stopped at exit.
  // nullptr when PostgreSQL cannot be started here; SkipReason() says why (the caller does
  // GTEST_SKIP() << PgServer::SkipReason()). When the binaries exist but the server fails to
  // start, Shared() also records a test failure (ADD_FAILURE) so that the skip hides nothing.
  static PgServer* Shared();
  static std::string SkipReason();
  // Another server, independent of Shared() and of any other (its own directory, port and
  // socket; the same initdb options and configuration), for tests that need a second cluster
  // (a restore target). Stopped and its directory removed when destroyed. nullptr, with *error
  // saying why, when it cannot be started (no binaries, initdb or start failed); what was
  // started is cleaned up then.
  static std::unique_ptr<PgServer> StartNew(std::string* error);

  const std::string& bin_dir() const { return bin_dir_; }  // initdb, pg_ctl, psql, pg_dump
  const std::string& socket_dir() const { return socket_dir_; }
  int port() const { return port_; }
  std::string superuser() const { return "postgres"; }
  // The server's major version (e.g. 15).
  int major_version() const { return major_version_; }
  // A program from bin_dir() (e.g. Tool("pg_dump")).
  std::string Tool(const std::string& name) const { return bin_dir_ + "/" + name; }

  // "host=<socket_dir> port=<port> user=postgres dbname=<db>"
  std::string Conninfo(const std::string& db) const;
  // Connection flags for dbbackup and the client tools: "-h <socket_dir> -p <port> -U postgres"
  std::string ConnFlags() const;
  // The same as separate arguments, for ProcessOptions::argv.
  std::vector<std::string> ConnArgs() const;

  // Runs SQL with psql (-X -q -At -v ON_ERROR_STOP=1) as the superuser; returns stdout. A
  // failure is a test failure (ADD_FAILURE with psql's stderr) and returns "".
  std::string Psql(const std::string& db, const std::string& sql) const;
  std::string PsqlFile(const std::string& db, const std::string& path) const;
  // The same without the test failure: the caller inspects exit code and stderr.
  ProcessResult TryPsql(const std::string& db, const std::string& sql) const;
  // CREATE DATABASE / DROP DATABASE IF EXISTS (WITH FORCE).
  void CreateDatabase(const std::string& db) const;
  void DropDatabase(const std::string& db) const;

  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

 private:
  PgServer() = default;
  bool Start(std::string* error);
  void Stop();

  std::string bin_dir_;
  std::string base_dir_;  // holds data_dir_, socket_dir_ and the server log
  std::string data_dir_;
  std::string socket_dir_;
  std::string log_file_;
  std::string os_user_;
  int port_ = 0;
  int major_version_ = 0;
  int reaper_fd_ = -1;  // write end of the pipe the clean-up watchdog waits on
  bool running_ = false;
};

// Quotes an SQL identifier ("a""b") and an SQL string literal ('it''s').
std::string QuoteIdent(const std::string& name);
std::string QuoteLiteral(const std::string& value);

}  // namespace dbb::testing
