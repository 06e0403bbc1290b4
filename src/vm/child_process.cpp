#include "vm/child_process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include <fmt/format.h>

extern char** environ;

namespace bbox::vm {
namespace {

// What a child that failed before exec writes to the parent.
struct SpawnFailure {
  int err = 0;
  char what[96] = {};
};

// Copies a C string into a fixed buffer without the C library (fork-safe).
void copy_what(char (&dst)[96], const char* src) {
  size_t i = 0;
  for (; src != nullptr && src[i] != '\0' && i + 1 < sizeof(dst); ++i) dst[i] = src[i];
  dst[i] = '\0';
}

[[noreturn]] void fail_in_child(int report_fd, int err, const char* what) {
  SpawnFailure f;
  f.err = err;
  copy_what(f.what, what);
  // A short write only loses the reason; the parent still sees a failure.
  ssize_t unused = ::write(report_fd, &f, sizeof(f));
  (void)unused;
  ::_exit(127);
}

// Moves a descriptor above the standard three so dup2 onto 0..2 cannot
// clobber a source that is itself 0..2.
int lift_fd(int fd) { return fd < 0 ? fd : ::fcntl(fd, F_DUPFD_CLOEXEC, 10); }

// Everything the child does after fork, before exec. Runs in the child only:
// async-signal-safe calls, no allocation.
[[noreturn]] void child_main(const SpawnOptions& o, pid_t parent, int report_fd,
                             const char* const* argv, const char* const* envp) {
  // Safety: the parent-death signal is set first so that from here on the child
  // cannot outlive bbox; the getppid check closes the race where bbox died
  // between fork and prctl (the child was then already re-parented).
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail_in_child(report_fd, errno, "prctl");
  if (::getppid() != parent) ::_exit(127);
  if (o.own_process_group && ::setpgid(0, 0) != 0) fail_in_child(report_fd, errno, "setpgid");

  // Dispositions that bbox changed (ignored SIGPIPE, handlers) and the signal
  // mask survive exec; the child starts from the defaults.
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (o.umask >= 0) ::umask(static_cast<mode_t>(o.umask));

  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) fail_in_child(report_fd, errno, "open /dev/null");
  int src[3] = {lift_fd(o.stdin_fd < 0 ? null_fd : o.stdin_fd),
                lift_fd(o.stdout_fd < 0 ? null_fd : o.stdout_fd),
                lift_fd(o.stderr_fd < 0 ? null_fd : o.stderr_fd)};
  for (int i = 0; i < 3; ++i) {
    if (src[i] < 0 || ::dup2(src[i], i) < 0) fail_in_child(report_fd, errno, "dup2");
  }

  // Safety: every descriptor above 2 that bbox holds (sockets, the terminal,
  // other sessions' files) is marked close-on-exec, then only the ones the
  // caller named are let through.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    fail_in_child(report_fd, errno, "close_range");
  }
  for (int fd : o.inherit_fds) {
    if (::fcntl(fd, F_SETFD, 0) != 0) fail_in_child(report_fd, errno, "keep descriptor");
  }

  if (o.setup != nullptr) {
    const char* what = "set up";
    int err = o.setup->run(&what);
    if (err != 0) fail_in_child(report_fd, err, what);
  }
  ::execve(o.program.c_str(), const_cast<char* const*>(argv), const_cast<char* const*>(envp));
  fail_in_child(report_fd, errno, "exec");
}

std::vector<const char*> c_strings(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(s.c_str());
  out.push_back(nullptr);
  return out;
}

}  // namespace

bool ChildExit::exited() const { return WIFEXITED(raw); }

int ChildExit::code() const {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return 128;
}

std::string ChildExit::describe() const {
  if (WIFEXITED(raw)) return fmt::format("exited with status {}", WEXITSTATUS(raw));
  if (WIFSIGNALED(raw)) return fmt::format("killed by signal {}", WTERMSIG(raw));
  return "stopped";
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), own_group_(o.own_group_), exit_(std::move(o.exit_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    kill_and_reap();
    pid_ = std::exchange(o.pid_, -1);
    own_group_ = o.own_group_;
    exit_ = std::move(o.exit_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { kill_and_reap(); }

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& o) {
  std::vector<const char*> argv = c_strings(o.argv);
  std::vector<const char*> envp = c_strings(o.env);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return errno_error("create pipe", errno);
  UniqueFd report_read(report[0]);
  UniqueFd report_write(report[1]);

  pid_t parent = ::getpid();
  // Safety: between fork and exec the child runs child_main only, which
  // uses async-signal-safe calls on memory prepared above.
  pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork", errno);
  if (pid == 0) child_main(o, parent, report_write.get(), argv.data(), envp.data());

  ChildProcess child;
  child.pid_ = pid;
  child.own_group_ = o.own_process_group;
  report_write.reset();
  if (o.after_fork) {
    Status s = o.after_fork(pid);
    if (!s) return s.error().wrap("start " + o.program.filename().string());
  }
  SpawnFailure f;
  ssize_t n;
  do {
    n = ::read(report_read.get(), &f, sizeof(f));
  } while (n < 0 && errno == EINTR);
  if (n == 0) return child;  // exec closed the pipe: the program is running

  child.wait();
  std::string what = n == static_cast<ssize_t>(sizeof(f)) ? f.what : "start";
  return Error{fmt::format("start {}: {}: {}", o.program.filename().string(), what,
                           std::strerror(n == sizeof(f) ? f.err : EIO))};
}

bool ChildProcess::poll_exit() {
  if (exit_) return true;
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_ = ChildExit{status};
    return true;
  }
  if (r < 0 && errno == ECHILD) {
    exit_ = ChildExit{0};  // reaped elsewhere; nothing left to wait for
    return true;
  }
  return false;
}

bool ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return true;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!poll_exit()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

ChildExit ChildProcess::wait() {
  while (!exit_ && pid_ > 0) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_) exit_ = ChildExit{status};
    if (r < 0 && errno != EINTR) exit_ = ChildExit{0};
  }
  return exit_.value_or(ChildExit{});
}

void ChildProcess::signal(int sig) {
  // Never signal after reaping: the pid may belong to someone else by then.
  if (pid_ <= 0 || exit_) return;
  if (own_group_) {
    ::kill(-pid_, sig);
  } else {
    ::kill(pid_, sig);
  }
}

void ChildProcess::kill_and_reap() {
  if (pid_ <= 0 || poll_exit()) return;
  signal(SIGKILL);
  wait();
}

Result<RunOutput> run_program(const std::filesystem::path& program,
                              const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("create pipe", errno);
  UniqueFd out_read(fds[0]);
  UniqueFd out_write(fds[1]);
  SpawnOptions o;
  o.program = program;
  o.argv = argv;
  o.env = current_environment();
  o.umask = -1;
  o.stdout_fd = out_write.get();
  o.stderr_fd = out_write.get();
  auto child = ChildProcess::spawn(o);
  if (!child) return child.error();
  out_write.reset();

  RunOutput result;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(out_read.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (result.output.size() < 65536) result.output.append(buf, static_cast<size_t>(n));
  }
  result.status = child->wait();
  return result;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace bbox::vm
