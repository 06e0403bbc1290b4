#include "exec.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bbox::guest {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// What the child tells the parent through the close-on-exec report pipe when
// it cannot run the command. Nothing arrives when exec succeeds.
struct StartFailure {
  int exit_code;
  char message[240];
};

bool has_var(const std::vector<std::string>& env, const char* name) {
  size_t n = std::strlen(name);
  for (const auto& e : env) {
    if (e.size() > n && e.compare(0, n, name) == 0 && e[n] == '=') return true;
  }
  return false;
}

std::string env_value(const std::vector<std::string>& env, const char* name) {
  size_t n = std::strlen(name);
  for (const auto& e : env) {
    if (e.size() > n && e.compare(0, n, name) == 0 && e[n] == '=') return e.substr(n + 1);
  }
  return "";
}

[[noreturn]] void child_fail(int report_fd, int code, const char* fmt, const char* a,
                             const char* b) {
  StartFailure f{};
  f.exit_code = code;
  std::snprintf(f.message, sizeof f.message, fmt, a, b);
  (void)!::write(report_fd, &f, sizeof f);
  ::_exit(code);
}

// execve of one candidate. ENOENT for a file that exists means its
// interpreter (#!) or dynamic loader is missing: reported apart, as 126.
constexpr int kMissingInterpreter = -1;

int try_exec(const std::string& file, char* const* argv, char* const* envp) {
  ::execve(file.c_str(), argv, envp);
  int err = errno;
  if (err == ENOENT && ::access(file.c_str(), F_OK) == 0) return kMissingInterpreter;
  return err;
}

// execvpe with the PATH of the new environment rather than ours.
[[noreturn]] void exec_command(const proto::ExecRequest& req, char* const* envp, int report_fd,
                               const std::string& path) {
  std::vector<char*> argv;
  for (const auto& a : req.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string& cmd = req.argv[0];
  int err = ENOENT;
  if (cmd.find('/') != std::string::npos) {
    err = try_exec(cmd, argv.data(), envp);
  } else if (!cmd.empty()) {
    size_t i = 0;
    while (i <= path.size()) {
      size_t j = path.find(':', i);
      if (j == std::string::npos) j = path.size();
      std::string dir = j > i ? path.substr(i, j - i) : ".";
      int e = try_exec(dir + "/" + cmd, argv.data(), envp);
      // Keep the most telling error: a found but unrunnable file beats ENOENT.
      if (e != ENOENT && e != ENOTDIR) err = e;
      i = j + 1;
    }
  }
  if (err == ENOENT) child_fail(report_fd, 127, "%s: command not found%s", cmd.c_str(), "");
  if (err == kMissingInterpreter) {
    child_fail(report_fd, 126, "%s: cannot run: its interpreter or loader is missing%s",
               cmd.c_str(), "");
  }
  child_fail(report_fd, 126, "%s: %s", cmd.c_str(), std::strerror(err));
}

// Runs in the child between fork and exec: only async-signal-safe work in
// spirit (the parent is single-threaded, so malloc is safe here too).
[[noreturn]] void child(const proto::ExecRequest& req, int in, int out, int err, bool tty,
                        int report_fd, const std::string& agent_socket) {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::setsid();
  // The PTY slave becomes the controlling terminal of the new session.
  if (tty && ::ioctl(in, TIOCSCTTY, 0) != 0) {
    child_fail(report_fd, 126, "set controlling terminal: %s%s", std::strerror(errno), "");
  }
  ::dup2(in, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);

  // Drop to the requested ids: groups first, uid last, so nothing of root's
  // remains (setuid as root to a non-zero id clears all capabilities).
  // (Not as root, as in host-side tests, only the current ids are possible.)
  gid_t gid = req.gid;
  bool already = ::geteuid() != 0 && ::getuid() == req.uid && ::getgid() == req.gid;
  if (!already && (::setgroups(1, &gid) != 0 || ::setgid(req.gid) != 0 || ::setuid(req.uid) != 0)) {
    child_fail(report_fd, 126, "switch to uid %s: %s", std::to_string(req.uid).c_str(),
               std::strerror(errno));
  }
  if (::chdir(req.cwd.c_str()) != 0) {
    child_fail(report_fd, 126, "cd %s: %s", req.cwd.c_str(), std::strerror(errno));
  }
  std::vector<std::string> env = command_env(req, agent_socket);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  exec_command(req, envp.data(), report_fd, env_value(env, "PATH"));
}

bool open_pty(const proto::Winsize& ws, uid_t uid, UniqueFd* master, UniqueFd* slave) {
  master->reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!*master || ::grantpt(master->get()) != 0 || ::unlockpt(master->get()) != 0) return false;
  char name[64];
  if (::ptsname_r(master->get(), name, sizeof name) != 0) return false;
  slave->reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!*slave) return false;
  // The command's own terminal belongs to it, as a login would arrange.
  (void)!::fchown(slave->get(), uid, static_cast<gid_t>(-1));
  if (ws.rows > 0 && ws.cols > 0) {
    winsize w{ws.rows, ws.cols, 0, 0};
    ::ioctl(master->get(), TIOCSWINSZ, &w);
  }
  return true;
}

bool make_pipe(UniqueFd* r, UniqueFd* w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  r->reset(p[0]);
  w->reset(p[1]);
  return true;
}

void set_nonblocking(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

std::vector<std::string> command_env(const proto::ExecRequest& req,
                                     const std::string& agent_socket) {
  std::vector<std::string> env = req.env;
  if (!agent_socket.empty()) {
    std::erase_if(env, [](const std::string& e) { return e.rfind("SSH_AUTH_SOCK=", 0) == 0; });
    env.push_back("SSH_AUTH_SOCK=" + agent_socket);
  }
  bool root = req.uid == 0;
  if (!has_var(env, "PATH")) env.push_back(std::string("PATH=") + kDefaultPath);
  if (!has_var(env, "HOME")) env.push_back(root ? "HOME=/root" : "HOME=/home/sandbox");
  if (!has_var(env, "USER")) env.push_back(root ? "USER=root" : "USER=sandbox");
  if (!has_var(env, "LOGNAME")) env.push_back(root ? "LOGNAME=root" : "LOGNAME=sandbox");
  if (req.tty && !has_var(env, "TERM")) env.push_back("TERM=xterm-256color");
  return env;
}

Spawned spawn(const proto::ExecRequest& req, const std::string& agent_socket) {
  Spawned s;
  if (req.argv.empty()) {
    s.start_error = "empty command";
    return s;
  }
  UniqueFd child_in, child_out, child_err, report_r, report_w;
  bool ok = make_pipe(&report_r, &report_w);
  if (req.tty) {
    UniqueFd master;
    ok = ok && open_pty(req.winsize, req.uid, &master, &child_in);
    if (ok) {
      // Close-on-exec copies: the command gets the slave only as fds 0-2.
      child_out.reset(::fcntl(child_in.get(), F_DUPFD_CLOEXEC, 0));
      child_err.reset(::fcntl(child_in.get(), F_DUPFD_CLOEXEC, 0));
      s.input.reset(::fcntl(master.get(), F_DUPFD_CLOEXEC, 0));
      s.output = std::move(master);
    }
  } else {
    ok = ok && make_pipe(&child_in, &s.input) && make_pipe(&s.output, &child_out) &&
         make_pipe(&s.errors, &child_err);
  }
  if (!ok) {
    s.start_error = std::string("set up the command's terminal or pipes: ") + std::strerror(errno);
    return s;
  }

  pid_t pid = ::fork();
  if (pid < 0) {
    s.start_error = std::string("fork: ") + std::strerror(errno);
    return s;
  }
  if (pid == 0)
    child(req, child_in.get(), child_out.get(), child_err.get(), req.tty, report_w.get(),
          agent_socket);

  s.pid = pid;
  report_w.reset();
  // Blocks only until the child execs (the pipe closes) or reports failure.
  StartFailure f{};
  ssize_t n;
  while ((n = ::read(report_r.get(), &f, sizeof f)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof f)) {
    f.message[sizeof f.message - 1] = '\0';
    s.start_error = f.message;
  }
  set_nonblocking(s.input.get());
  set_nonblocking(s.output.get());
  set_nonblocking(s.errors.get());
  return s;
}

}  // namespace bbox::guest
