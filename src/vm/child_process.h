// ChildProcess: one child of bbox, owned like a file descriptor. The child
// gets a parent-death signal (SIGKILL) before it runs anything, so it cannot
// outlive bbox even when bbox itself is killed with SIGKILL; the destructor
// kills and reaps whatever is still running.
//
// Contract: spawn from the thread that will outlive the child (the kernel
// sends the parent-death signal when the *thread* that forked exits). bbox
// spawns every VM child from the thread that runs run_vm.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bbox/common/result.h"
#include "bbox/common/unique_fd.h"

namespace bbox::vm {

// Runs in the child between fork and exec. Only async-signal-safe calls are
// allowed (no allocation, no locks). Returns 0 or an errno value; on non-zero
// the child reports "<what>: strerror" to the parent and exits.
struct ChildSetup {
  virtual ~ChildSetup() = default;
  virtual int run(const char** what) = 0;
};

struct SpawnOptions {
  std::filesystem::path program;  // absolute path; no PATH search
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // NAME=value; the complete environment
  int stdin_fd = -1;              // -1: /dev/null
  int stdout_fd = -1;             // -1: /dev/null
  int stderr_fd = -1;             // -1: /dev/null
  std::vector<int> inherit_fds;   // kept open across exec at the same number
  bool own_process_group = true;  // setpgid(0, 0): terminal signals skip it
  int umask = 077;                // files and sockets the child creates are private;
                                  // -1 keeps bbox's umask
  ChildSetup* setup = nullptr;    // extra steps before exec (not owned)
  // Runs in the parent right after fork, while the child may be waiting in
  // `setup` (for example for its user namespace to be mapped). An error
  // kills the child and fails the spawn.
  std::function<Status(pid_t)> after_fork;
};

// Exit status of a reaped child, as waitpid reports it.
struct ChildExit {
  int raw = 0;
  bool exited() const;
  int code() const;              // exit code, or 128+N after signal N
  std::string describe() const;  // "exited with status 3", "killed by signal 9"
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Kills (SIGKILL, the whole group when it has its own) and reaps.
  ~ChildProcess();

  // Forks and execs. Fails when fork fails, the setup step fails or exec
  // fails; the error names the program.
  static Result<ChildProcess> spawn(const SpawnOptions& options);

  pid_t pid() const { return pid_; }
  bool valid() const { return pid_ > 0; }
  // The exit status once reaped.
  const std::optional<ChildExit>& exit_status() const { return exit_; }

  // Reaps without blocking; true when the child has exited.
  bool poll_exit();
  // Waits up to `timeout` for the child to exit; true when it has.
  bool wait_for(std::chrono::milliseconds timeout);
  // Blocks until the child exits.
  ChildExit wait();
  // Sends a signal to the child (its group when it has its own).
  void signal(int sig);
  // SIGKILL and reap; a no-op once reaped.
  void kill_and_reap();

 private:
  pid_t pid_ = -1;
  bool own_group_ = false;
  std::optional<ChildExit> exit_;
};

// Runs a program to completion and returns its exit status, with stdout and
// stderr captured together (at most 64 KiB kept). It inherits bbox's
// environment and umask.
struct RunOutput {
  ChildExit status;
  std::string output;
};
Result<RunOutput> run_program(const std::filesystem::path& program,
                              const std::vector<std::string>& argv);

// The calling process's environment as NAME=value strings.
std::vector<std::string> current_environment();

}  // namespace bbox::vm
