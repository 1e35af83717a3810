#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

extern char** environ;

namespace dbb {

namespace {

constexpr size_t kStderrTailBytes = 64 * 1024;
constexpr int kPollMs = 100;
constexpr auto kKillAfter = std::chrono::seconds(5);

// A descriptor closed on scope exit (common cannot use io::UniqueFd: io sits above common).
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// posix_spawn's two attribute objects, destroyed on scope exit.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// This process's environment with `overrides` replacing or adding variables.
std::vector<std::string> ChildEnv(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string_view key = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : overrides) replaced = replaced || key == k;
    if (!replaced) env.emplace_back(entry);
  }
  for (const auto& [k, v] : overrides) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The child gets its own process group so that a terminal's Ctrl-C reaches only us: the stop
// then goes through StopSource (SIGTERM to the whole group, which includes pg_restore -j
// workers), and a child never dies "on its own" in the middle of an orderly stop. Signal mask
// and dispositions are reset: a parent that blocks SIGTERM for a signal thread, or ignores
// SIGPIPE, must not pass that on.
void SetAttributes(posix_spawnattr_t& attr) {
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(
      &attr,
      static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP));
}

// The file that receives stdout or stderr.
Result<int> OpenOutput(const std::string& path) {
  if (path.empty()) {
    const int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Status::FromErrno(errno, "open /dev/null");
    return fd;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "create " + path);
  // An existing file keeps its mode through O_CREAT; the output may hold database contents.
  if (::fchmod(fd, 0600) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "chmod " + path);
  }
  return fd;
}

struct Child {
  pid_t pid = -1;
  Fd stderr_fd;  // read end, non-blocking; none when stderr goes to a file
};

Result<Child> Spawn(const ProcessOptions& options) {
  Result<int> out = OpenOutput(options.stdout_path);
  if (!out.ok()) return out.status();
  Fd out_fd(*out);
  Fd read_end;
  Fd write_end;
  if (options.stderr_path.empty()) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe");
    read_end = Fd(pipe_fds[0]);
    write_end = Fd(pipe_fds[1]);
    // Only our end is non-blocking: the child's stderr must block like any other.
    if (::fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) {
      return Status::FromErrno(errno, "fcntl");
    }
  } else {
    Result<int> err = OpenOutput(options.stderr_path);
    if (!err.ok()) return err.status();
    write_end = Fd(*err);
  }

  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, out_fd.get(), 1);
  posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), 2);
  SetAttributes(setup.attr);

  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = ChildEnv(options.env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), envp.data());
  if (rc != 0) return Status::FromErrno(rc, "cannot run " + options.argv[0]);
  return Child{.pid = pid, .stderr_fd = std::move(read_end)};
}

void KeepTail(std::string& tail, const char* data, size_t n) {
  tail.append(data, n);
  if (tail.size() > kStderrTailBytes) tail.erase(0, tail.size() - kStderrTailBytes);
}

// Reads what the pipe holds now; false once the writer side is closed (EOF) or broken.
bool ReadAvailable(int fd, std::string& tail) {
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      KeepTail(tail, buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

// Signals the child's process group once a stop is requested: SIGTERM first, SIGKILL when it
// has not exited kKillAfter later.
class Stopper {
 public:
  Stopper(pid_t pid, StopSource* stop) : pid_(pid), stop_(stop) {}
  void Poll() {
    if (stop_ == nullptr || !stop_->requested() || killed_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!term_sent_) {
      ::kill(-pid_, SIGTERM);
      term_sent_ = true;
      term_time_ = now;
    } else if (now - term_time_ >= kKillAfter) {
      ::kill(-pid_, SIGKILL);
      killed_ = true;
    }
  }

 private:
  pid_t pid_;
  StopSource* stop_;
  bool term_sent_ = false;
  std::chrono::steady_clock::time_point term_time_{};
  bool killed_ = false;
};

// Collects stderr and reaps the child, polling the stop request every kPollMs. Always reaps,
// even after an error, so no zombie is left behind.
Result<ProcessResult> Wait(Child& child, StopSource* stop) {
  ProcessResult result;
  Stopper stopper(child.pid, stop);
  bool pipe_open = child.stderr_fd.get() >= 0;
  // Without a pipe to wait on (closed at the child's exit, or stderr goes to a file), the wait
  // for the exit starts short and grows to kPollMs: most children are gone within a
  // millisecond of closing stderr, and each pg_dump / pg_restore would otherwise cost 100 ms more.
  int idle_ms = 1;
  for (;;) {
    pollfd pfd{.fd = child.stderr_fd.get(), .events = POLLIN, .revents = 0};
    const int ready = ::poll(&pfd, pipe_open ? 1 : 0, pipe_open ? kPollMs : idle_ms);
    if (!pipe_open) idle_ms = std::min(2 * idle_ms, kPollMs);
    if (ready > 0) pipe_open = ReadAvailable(child.stderr_fd.get(), result.stderr_text);

    int wstatus = 0;
    const pid_t r = ::waitpid(child.pid, &wstatus, WNOHANG);
    if (r == child.pid) {
      // A grandchild may still hold the pipe; take what is there now and do not wait for EOF.
      if (pipe_open) ReadAvailable(child.stderr_fd.get(), result.stderr_text);
      if (WIFEXITED(wstatus)) result.exit_code = WEXITSTATUS(wstatus);
      if (WIFSIGNALED(wstatus)) result.term_signal = WTERMSIG(wstatus);
      return result;
    }
    if (r < 0 && errno != EINTR) return Status::FromErrno(errno, "waitpid");
    stopper.Poll();
  }
}

Status Cancelled(const ProcessOptions& options) {
  return Status(StatusCode::kCancelled, options.argv[0] + " stopped: " + options.stop->reason());
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessOptions& options) {
  DBB_CHECK_MSG(!options.argv.empty(), "RunProcess needs argv[0]");
  if (options.stop != nullptr && options.stop->requested()) return Cancelled(options);
  Result<Child> child = Spawn(options);
  if (!child.ok()) return child.status();
  Result<ProcessResult> result = Wait(*child, options.stop);
  if (options.stop != nullptr && options.stop->requested()) return Cancelled(options);
  return result;
}

}  // namespace dbb
