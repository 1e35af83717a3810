#include "support/pg_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

extern char** environ;

namespace dbb::testing {
namespace {

namespace fs = std::filesystem;

// An OS user to run a child as; `set` is false for "stay who we are".
struct OsUser {
  bool set = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

OsUser LookUpUser(const std::string& name) {
  struct passwd pw {};
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result) != 0 || result == nullptr) {
    return {};
  }
  return OsUser{true, pw.pw_uid, pw.pw_gid};
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& text, size_t max_chars) {
  return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

// Writing to a child that exited must not kill the test with SIGPIPE.
void IgnoreSigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

std::string ProcessResult::Describe() const {
  std::string s = term_signal != 0 ? "killed by signal " + std::to_string(term_signal)
                                   : "exit " + std::to_string(exit_code);
  if (!err.empty()) s += "; stderr:\n" + Tail(err, 8000);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Subprocess

Subprocess::Subprocess(const ProcessOptions& options) : stdin_data_(options.stdin_data) {
  if (options.argv.empty()) {
    start_error_ = "empty argv";
    return;
  }
  OsUser user;
  if (!options.run_as_user.empty() && ::geteuid() == 0) {
    user = LookUpUser(options.run_as_user);
    if (!user.set) {
      start_error_ = "no OS user " + options.run_as_user;
      return;
    }
  }

  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_strings;
  auto overridden = [&](const std::string& entry) {
    const std::string name = entry.substr(0, entry.find('='));
    if (name.rfind("PG", 0) == 0) return true;  // never inherit PGPASSWORD, PGHOST, ...
    if (name == "LC_ALL" || name == "LANGUAGE") return true;
    return std::any_of(options.env.begin(), options.env.end(),
                       [&](const auto& kv) { return kv.first == name; });
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (!overridden(*e)) env_strings.emplace_back(*e);
  }
  // English messages whatever the developer's locale, so that tests can match key words.
  if (std::none_of(options.env.begin(), options.env.end(),
                   [](const auto& kv) { return kv.first == "LC_ALL"; })) {
    env_strings.emplace_back("LC_ALL=C.UTF-8");
  }
  for (const auto& [name, value] : options.env) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string cwd = options.cwd.empty() ? "/" : options.cwd;

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    start_error_ = std::string("pipe: ") + std::strerror(errno);
    return;
  }
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    start_error_ = std::string("pipe: ") + std::strerror(errno);
    return;
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    start_error_ = std::string("fork: ") + std::strerror(errno);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      ::close(fd);
    }
    return;
  }
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP}) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    auto die = [](const char* what) {
      const char* msg = std::strerror(errno);
      [[maybe_unused]] ssize_t w = ::write(2, what, std::strlen(what));
      w = ::write(2, ": ", 2);
      w = ::write(2, msg, std::strlen(msg));
      w = ::write(2, "\n", 1);
      ::_exit(127);
    };
    if (user.set) {
      if (::setgroups(1, &user.gid) != 0) die("setgroups");
      if (::setgid(user.gid) != 0) die("setgid");
      if (::setuid(user.uid) != 0) die("setuid");
    }
    if (::chdir(cwd.c_str()) != 0) die("chdir");
    ::execvpe(argv[0], argv.data(), envp.data());
    die(argv[0]);
  }
  pid_ = pid;
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  in_fd_ = in_pipe[1];
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  // Feed stdin now as far as the pipe takes it, so that a child that is never waited for while
  // it runs (a lock holder) still gets its input.
  ::fcntl(in_fd_, F_SETFL, ::fcntl(in_fd_, F_GETFL) | O_NONBLOCK);
  IgnoreSigpipe();
  while (stdin_written_ < stdin_data_.size()) {
    const ssize_t w =
        ::write(in_fd_, stdin_data_.data() + stdin_written_, stdin_data_.size() - stdin_written_);
    if (w <= 0) break;
    stdin_written_ += static_cast<size_t>(w);
  }
  if (stdin_written_ == stdin_data_.size()) CloseFd(in_fd_);
}

Subprocess::~Subprocess() {
  CloseFd(in_fd_);
  CloseFd(out_fd_);
  CloseFd(err_fd_);
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void Subprocess::Signal(int sig) const {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

bool Subprocess::Exited() {
  if (pid_ <= 0 || reaped_) return true;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

ProcessResult Subprocess::Wait() {
  ProcessResult result;
  if (pid_ <= 0) {
    result.err = "cannot start: " + start_error_;
    return result;
  }
  if (waited_) {
    result.err = "already waited";
    return result;
  }
  size_t written = stdin_written_;
  char buf[65536];
  while (in_fd_ >= 0 || out_fd_ >= 0 || err_fd_ >= 0) {
    struct pollfd fds[3];
    nfds_t n = 0;
    if (in_fd_ >= 0) fds[n++] = {in_fd_, POLLOUT, 0};
    if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_fd_) {
        const ssize_t w =
            ::write(in_fd_, stdin_data_.data() + written, stdin_data_.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_data_.size()) {
          CloseFd(in_fd_);
        }
        continue;
      }
      int& fd = fds[i].fd == out_fd_ ? out_fd_ : err_fd_;
      std::string& sink = &fd == &out_fd_ ? result.out : result.err;
      const ssize_t r = ::read(fd, buf, sizeof buf);
      if (r > 0) {
        sink.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        CloseFd(fd);
      }
    }
  }
  if (!reaped_) {
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  waited_ = true;
  const int status = status_;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
    result.exit_code = 128 + result.term_signal;
  }
  return result;
}

ProcessResult RunProcess(const ProcessOptions& options) {
  Subprocess p(options);
  return p.Wait();
}

std::string ServerOsUser() {
  if (::geteuid() != 0) return "";
  if (LookUpUser("postgres").set) return "postgres";
  if (LookUpUser("nobody").set) return "nobody";
  return "";
}

std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// ---------------------------------------------------------------------------------------------
// PgServer

namespace {

bool HasServerTools(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "initdb", ec) && fs::is_regular_file(dir / "pg_ctl", ec) &&
         fs::is_regular_file(dir / "postgres", ec);
}

// The directory holding initdb/pg_ctl/postgres; "" with *why set when there is none.
std::string FindBinDir(std::string* why) {
  if (const char* env = std::getenv("DBB_PG_BINDIR"); env != nullptr && *env != '\0') {
    if (HasServerTools(env)) return env;
    *why = std::string("DBB_PG_BINDIR=") + env + " has no initdb, pg_ctl and postgres";
    return "";
  }
  // Debian/Ubuntu: /usr/lib/postgresql/<major>/bin; RHEL: /usr/pgsql-<major>/bin. Newest first.
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (const auto& [root, prefix] :
       {std::pair<std::string, std::string>{"/usr/lib/postgresql", ""}, {"/usr", "pgsql-"}}) {
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) != 0) continue;
      const std::string ver = name.substr(prefix.size());
      if (ver.empty() || !std::all_of(ver.begin(), ver.end(), ::isdigit)) continue;
      if (HasServerTools(entry.path() / "bin")) {
        found.emplace_back(std::atoi(ver.c_str()), (entry.path() / "bin").string());
      }
    }
  }
  if (!found.empty()) return std::max_element(found.begin(), found.end())->second;
  ProcessResult pgc = RunProcess({.argv = {"pg_config", "--bindir"}});
  if (pgc.exit_code == 0) {
    std::string dir = pgc.out.substr(0, pgc.out.find('\n'));
    if (HasServerTools(dir)) return dir;
  }
  ProcessResult which = RunProcess({.argv = {"sh", "-c", "command -v initdb"}});
  if (which.exit_code == 0) {
    const fs::path dir = fs::path(which.out.substr(0, which.out.find('\n'))).parent_path();
    if (HasServerTools(dir)) return dir.string();
  }
  *why =
      "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in $DBB_PG_BINDIR, "
      "/usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, pg_config --bindir or $PATH; install the "
      "postgresql package (scripts/install-deps.sh)";
  return "";
}

}  // namespace

int FreeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  struct sockaddr_in addr {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<struct sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

namespace {

std::unique_ptr<PgServer>& SharedServer() {
  static std::unique_ptr<PgServer> server;
  return server;
}
std::string g_skip_reason;
bool g_start_failed = false;

}  // namespace

bool PgServer::Start(std::string* error) {
  os_user_ = ServerOsUser();
  if (::geteuid() == 0 && os_user_.empty()) {
    *error = "running as root and there is no 'postgres' or 'nobody' OS user to run the server";
    return false;
  }
  const OsUser user = os_user_.empty() ? OsUser{} : LookUpUser(os_user_);

  // A base directory the server user can write: $TMPDIR may be a root-only 0700 directory, so
  // try the usual world-traversable places after it. The socket path must stay short (< 108).
  std::vector<std::string> bases;
  if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0') bases.emplace_back(t);
  for (const char* b : {"/tmp", "/var/tmp", "/dev/shm"}) bases.emplace_back(b);
  std::string tried;
  for (const std::string& b : bases) {
    if (b.size() > 60) continue;
    std::string pattern = b + "/dbbpg.XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) {
      tried += " " + b + " (" + std::strerror(errno) + ")";
      continue;
    }
    const std::string dir = buf.data();
    bool ok = true;
    if (user.set) {
      ok = ::chown(dir.c_str(), user.uid, user.gid) == 0 &&
           RunProcess({.argv = {"sh", "-c", "test -w \"$0\" && test -x \"$0\"", dir},
                       .run_as_user = os_user_})
                   .exit_code == 0;
    }
    if (ok) {
      base_dir_ = dir;
      break;
    }
    tried += " " + b + " (not writable by " + os_user_ + ")";
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  if (base_dir_.empty()) {
    *error = "no temporary directory usable by the server user; tried:" + tried;
    return false;
  }
  data_dir_ = base_dir_ + "/data";
  socket_dir_ = base_dir_ + "/sock";
  log_file_ = base_dir_ + "/server.log";

  // A watchdog that stops the server and removes its directory if this process dies without
  // running its exit handlers (crash, SIGKILL from a ctest timeout). It waits for "done" (normal
  // exit, already cleaned up) or EOF on a pipe whose write end only this process holds.
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) == 0) {
    // A second pass catches an initdb or pg_ctl start that was still running at the first.
    static const char kScript[] =
        "IFS= read -r line; [ \"$line\" = done ] && exit 0; "
        "clean() { pid=$(head -n 1 \"$0/postmaster.pid\" 2>/dev/null); "
        "if [ -n \"$pid\" ]; then kill -QUIT \"$pid\"; i=0; "
        "while [ $i -lt 100 ] && kill -0 \"$pid\" 2>/dev/null; do sleep 0.1; i=$((i+1)); done; "
        "fi; rm -rf \"$1\"; }; clean \"$@\"; sleep 3; clean \"$@\"";
    const std::string d = data_dir_, b = base_dir_;
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setsid();
      ::dup2(pipefd[0], 0);
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execl("/bin/sh", "sh", "-c", kScript, d.c_str(), b.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(pipefd[0]);
    if (pid > 0) {
      reaper_fd_ = pipefd[1];
    } else {
      ::close(pipefd[1]);
    }
  }

  if (::mkdir(socket_dir_.c_str(), 0700) != 0 ||
      (user.set && ::chown(socket_dir_.c_str(), user.uid, user.gid) != 0)) {
    *error = "cannot create " + socket_dir_ + ": " + std::strerror(errno);
    return false;
  }

  ProcessResult init;
  for (const char* locale : {"--locale=C.UTF-8", "--locale=C"}) {
    init = RunProcess({.argv = {Tool("initdb"), "-D", data_dir_, "-U", "postgres", "-A", "trust",
                                "--auth-host=scram-sha-256", "-E", "UTF8", locale, "-N"},
                       .run_as_user = os_user_,
                       .cwd = base_dir_});
    if (init.exit_code == 0) break;
    std::error_code ec;
    fs::remove_all(data_dir_, ec);
  }
  if (init.exit_code != 0) {
    *error = "initdb failed: " + init.Describe() + "\n" + init.out;
    return false;
  }
  {
    std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
    conf << "\n# dbbackup integration tests\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << socket_dir_ << "'\n"
         << "fsync = off\n"
         << "synchronous_commit = off\n"
         << "full_page_writes = off\n"
         << "max_connections = 50\n"
         << "shared_buffers = 128MB\n"
         << "max_locks_per_transaction = 256\n"
         << "max_wal_size = 2GB\n"
         << "log_min_messages = warning\n"
         << "password_encryption = 'scram-sha-256'\n";
    if (!conf) {
      *error = "cannot append to " + data_dir_ + "/postgresql.conf";
      return false;
    }
  }

  // Another test program may take the port between FreePort() and the server's bind: retry.
  std::string last;
  for (int attempt = 0; attempt < 6 && !running_; ++attempt) {
    port_ = FreeTcpPort();
    if (port_ == 0) continue;
    ProcessResult start =
        RunProcess({.argv = {Tool("pg_ctl"), "-D", data_dir_, "-l", log_file_, "-w", "-t", "60",
                             "-o", "-p " + std::to_string(port_), "start"},
                    .run_as_user = os_user_,
                    .cwd = base_dir_});
    if (start.exit_code == 0) {
      running_ = true;
      break;
    }
    last = start.Describe() + "\nserver log:\n" + Tail(ReadTextFile(log_file_), 4000);
    if (last.find("already in use") == std::string::npos) break;
  }
  if (!running_) {
    *error = "pg_ctl start failed: " + last;
    return false;
  }

  ProcessResult ver = TryPsql("postgres", "SHOW server_version_num");
  if (ver.exit_code != 0) {
    *error = "the server started but psql cannot connect: " + ver.Describe();
    return false;
  }
  major_version_ = std::atoi(ver.out.c_str()) / 10000;
  return true;
}

void PgServer::Stop() {
  if (running_) {
    ProcessResult stop = RunProcess(
        {.argv = {Tool("pg_ctl"), "-D", data_dir_, "-m", "fast", "-w", "-t", "60", "stop"},
         .run_as_user = os_user_,
         .cwd = base_dir_});
    if (stop.exit_code != 0) {
      // Last resort: immediate shutdown, so that no server outlives the tests.
      RunProcess({.argv = {Tool("pg_ctl"), "-D", data_dir_, "-m", "immediate", "-w", "stop"},
                  .run_as_user = os_user_,
                  .cwd = base_dir_});
    }
    running_ = false;
  }
  if (!base_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(base_dir_, ec);
    base_dir_.clear();
  }
  if (reaper_fd_ >= 0) {
    [[maybe_unused]] ssize_t w = ::write(reaper_fd_, "done\n", 5);
    CloseFd(reaper_fd_);
  }
}

PgServer::~PgServer() { Stop(); }

PgServer* PgServer::Shared() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::string bin = FindBinDir(&g_skip_reason);
    if (bin.empty()) return;
    std::unique_ptr<PgServer> server(new PgServer());
    server->bin_dir_ = bin;
    std::string error;
    if (server->Start(&error)) {
      SharedServer() = std::move(server);
    } else {
      g_start_failed = true;
      g_skip_reason = "PostgreSQL from " + bin + " could not be started: " + error;
      // server's destructor stops whatever was started and removes the directory.
    }
  });
  if (!SharedServer() && g_start_failed) ADD_FAILURE() << g_skip_reason;
  return SharedServer().get();
}

std::string PgServer::SkipReason() { return g_skip_reason; }

std::unique_ptr<PgServer> PgServer::StartNew(std::string* error) {
  const std::string bin = FindBinDir(error);
  if (bin.empty()) return nullptr;
  std::unique_ptr<PgServer> server(new PgServer());
  server->bin_dir_ = bin;
  std::string why;
  if (!server->Start(&why)) {
    *error = "PostgreSQL from " + bin + " could not be started: " + why;
    return nullptr;  // server's destructor stops whatever was started and removes the directory
  }
  return server;
}

std::string PgServer::Conninfo(const std::string& db) const {
  auto quote = [](const std::string& v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  };
  return "host=" + quote(socket_dir_) + " port=" + std::to_string(port_) +
         " user=postgres dbname=" + quote(db);
}

std::string PgServer::ConnFlags() const {
  return "-h " + socket_dir_ + " -p " + std::to_string(port_) + " -U postgres";
}

std::vector<std::string> PgServer::ConnArgs() const {
  return {"-h", socket_dir_, "-p", std::to_string(port_), "-U", "postgres"};
}

ProcessResult PgServer::TryPsql(const std::string& db, const std::string& sql) const {
  std::vector<std::string> argv = {Tool("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"};
  for (auto& a : ConnArgs()) argv.push_back(a);
  argv.insert(argv.end(), {"-d", db, "-f", "-"});
  return RunProcess({.argv = argv, .stdin_data = sql});
}

std::string PgServer::Psql(const std::string& db, const std::string& sql) const {
  ProcessResult r = TryPsql(db, sql);
  if (r.exit_code != 0) {
    ADD_FAILURE() << "psql on database " << db << " failed (" << r.Describe()
                  << ")\nSQL: " << Tail(sql, 2000);
    return "";
  }
  return r.out;
}

std::string PgServer::PsqlFile(const std::string& db, const std::string& path) const {
  std::vector<std::string> argv = {Tool("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"};
  for (auto& a : ConnArgs()) argv.push_back(a);
  argv.insert(argv.end(), {"-d", db, "-f", path});
  ProcessResult r = RunProcess({.argv = argv});
  if (r.exit_code != 0) {
    ADD_FAILURE() << "psql -f " << path << " on database " << db << " failed (" << r.Describe()
                  << ")";
    return "";
  }
  return r.out;
}

void PgServer::CreateDatabase(const std::string& db) const {
  Psql("postgres", "CREATE DATABASE " + QuoteIdent(db));
}

void PgServer::DropDatabase(const std::string& db) const {
  Psql("postgres", "DROP DATABASE IF EXISTS " + QuoteIdent(db) + " WITH (FORCE)");
}

}  // namespace dbb::testing
