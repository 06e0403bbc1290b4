#include "bbox_test/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "bbox/common/unique_fd.h"

extern char** environ;

namespace bbox::test_support {

namespace fs = std::filesystem;

namespace {

// Everything the child needs, made before fork: in a test process with
// threads, the child may only make async-signal-safe calls.
struct ExecPlan {
  std::string program;
  std::string cwd;
  std::vector<std::string> argv_s, env_s;
  std::vector<char*> argv, envp;
};

std::map<std::string, std::string> child_environment(const ProcessOptions& o) {
  std::map<std::string, std::string> env;
  for (char** e = o.clean_env ? nullptr : environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (const auto& [k, v] : o.env) env[k] = v;
  return env;
}

ExecPlan make_plan(const std::vector<std::string>& argv, const ProcessOptions& o) {
  ExecPlan p;
  std::map<std::string, std::string> env = child_environment(o);
  for (const auto& [k, v] : env) p.env_s.push_back(k + "=" + v);
  p.argv_s = argv;
  if (!argv.empty()) {
    std::string path_list = env.count("PATH") ? env["PATH"] : "/usr/bin:/bin";
    bool bare = argv[0].find('/') == std::string::npos;
    p.program = bare ? find_program(argv[0], path_list).string() : argv[0];
  }
  p.cwd = o.cwd.string();
  for (auto& a : p.argv_s) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : p.env_s) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  return p;
}

// In the child: stdio onto `in`, `out`, `err`, the signal mask the caller
// had, then exec. dup2 drops O_CLOEXEC on the copies, so only 0-2 survive
// the exec. Never returns.
[[noreturn]] void exec_child(const ExecPlan& p, int in, int out, int err, const sigset_t& mask) {
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  if (!p.cwd.empty() && ::chdir(p.cwd.c_str()) != 0) ::_exit(126);
  if (!p.program.empty()) ::execve(p.program.c_str(), p.argv.data(), p.envp.data());
  ::_exit(127);
}

bool make_pipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return true;
}

// Reads what is there on `fd` into `sink`; closes `fd` at end of file.
void drain(UniqueFd* fd, std::string* sink) {
  char buf[65536];
  ssize_t n = ::read(fd->get(), buf, sizeof buf);
  if (n > 0) {
    sink->append(buf, static_cast<size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    fd->reset();
  }
}

// Feeds `input` from `*offset` on; closes `fd` when all is written or the
// child stopped reading (EPIPE: SIGPIPE is blocked by the caller).
void feed(UniqueFd* fd, const std::string& input, size_t* offset) {
  if (*offset < input.size()) {
    ssize_t n = ::write(fd->get(), input.data() + *offset, input.size() - *offset);
    if (n > 0) *offset += static_cast<size_t>(n);
    if (n < 0 && errno != EINTR && errno != EAGAIN) fd->reset();
  }
  if (*offset >= input.size()) fd->reset();
}

// Moves data between the child's pipes until stdout and stderr are closed.
void pump(UniqueFd in, const std::string& input, UniqueFd out, UniqueFd err, ProcessResult* r) {
  if (in.valid()) ::fcntl(in.get(), F_SETFL, O_NONBLOCK);
  size_t offset = 0;
  while (out.valid() || err.valid()) {
    pollfd fds[3] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}, {in.get(), POLLOUT, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) drain(&out, &r->out);
    if (fds[1].revents != 0) drain(&err, &r->err);
    if (fds[2].revents != 0) feed(&in, input, &offset);
  }
}

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ProcessResult r;
  ExecPlan plan = make_plan(argv, options);
  UniqueFd in_r, in_w, out_r, out_w, err_r, err_w;
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!make_pipe(&out_r, &out_w) || !make_pipe(&err_r, &err_w) || !null.valid()) return r;
  if (options.input && !make_pipe(&in_r, &in_w)) return r;

  // A child that exits without reading its input must not kill the test
  // with SIGPIPE: blocked in this thread while feeding, restored in the child.
  sigset_t pipe_only, old_mask;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
  pid_t pid = ::fork();
  if (pid == 0)
    exec_child(plan, options.input ? in_r.get() : null.get(), out_w.get(), err_w.get(), old_mask);
  in_r.reset(), out_w.reset(), err_w.reset();
  if (pid > 0) {
    pump(std::move(in_w), options.input.value_or(""), std::move(out_r), std::move(err_r), &r);
    r.exit_code = wait_process(pid);
  }
  timespec zero{};
  while (::sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
  }
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return r;
}

pid_t start_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ExecPlan plan = make_plan(argv, options);
  UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null.valid()) return -1;
  sigset_t mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  pid_t pid = ::fork();
  if (pid == 0) exec_child(plan, null.get(), null.get(), null.get(), mask);
  return pid;
}

int wait_process(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return exit_code_of(status);
}

std::string shell_output(const std::string& command, int* status) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    if (status != nullptr) *status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  if (status != nullptr) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

std::string shell_quote(std::string_view word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(a);
  }
  return out;
}

fs::path find_program(std::string_view program, std::string_view path_list) {
  while (true) {
    size_t colon = path_list.find(':');
    std::string_view dir = path_list.substr(0, colon);
    fs::path candidate = fs::path(dir.empty() ? "." : std::string(dir)) / program;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
    if (colon == std::string_view::npos) return {};
    path_list.remove_prefix(colon + 1);
  }
}

}  // namespace bbox::test_support
