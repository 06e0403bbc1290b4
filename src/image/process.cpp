#include "image/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bbox/common/unique_fd.h"

namespace bbox::image {
namespace {

struct Pipe {
  UniqueFd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("create pipe", errno);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

// Child side after fork: wire the pipes to 0/1/2 and exec. Only
// async-signal-safe calls here: the parent may have other threads.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, int in, int out, int err) {
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

// Feeds input to the child's stdin and drains its stdout and stderr without
// blocking on any one of them.
void pump(UniqueFd& in, UniqueFd& out, UniqueFd& err, const std::string& input,
          std::string& out_text, std::string& err_text) {
  size_t written = 0;
  if (input.empty()) in.reset();
  while (out.valid() || err.valid()) {
    pollfd p[3] = {{out.get(), POLLIN, 0}, {err.get(), POLLIN, 0}, {in.get(), POLLOUT, 0}};
    if (::poll(p, 3, -1) < 0 && errno != EINTR) return;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      UniqueFd& fd = i == 0 ? out : err;
      if (!fd.valid() || p[i].revents == 0) continue;
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n <= 0)
        fd.reset();
      else
        (i == 0 ? out_text : err_text).append(buf, n);
    }
    if (in.valid() && p[2].revents != 0) {
      ssize_t n = ::write(in.get(), input.data() + written, input.size() - written);
      if (n <= 0 || (written += n) == input.size()) in.reset();
    }
  }
}

}  // namespace

Result<std::string> run_program(const std::vector<std::string>& argv, const std::string& input) {
  auto in = make_pipe();
  auto out = make_pipe();
  auto err = make_pipe();
  if (!in || !out || !err) return Error{"run " + argv[0] + ": cannot create pipes"};

  pid_t pid = ::fork();
  if (pid < 0) return errno_error("run " + argv[0], errno);
  if (pid == 0) exec_child(argv, in->read.get(), out->write.get(), err->write.get());
  in->read.reset();
  out->write.reset();
  err->write.reset();

  // A child that exits early must not kill us with SIGPIPE while we feed it.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  std::string out_text, err_text;
  pump(in->write, out->read, err->read, input, out_text, err_text);
  ::sigaction(SIGPIPE, &old, nullptr);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return out_text;
  std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                      : "died of signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && err_text.empty()) {
    how = "not found or not executable";
  }
  std::string tail = last_line(err_text);
  return Error{"run " + argv[0] + ": " + how + (tail.empty() ? "" : " (" + tail + ")")};
}

}  // namespace bbox::image
